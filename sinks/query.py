"""Read-only SQL over the live DuckDB store, and the sink's own health, on a loopback port."""
from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import duckdb
import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sinks.barriers import BarrierTracker
from sinks.metrics import SinkMetrics


class SinkState(Protocol):
    """What the query service reads from the sink that runs it."""
    con: duckdb.DuckDBPyConnection
    batches: int
    barriers: BarrierTracker
    metrics: SinkMetrics

    @property
    def written(self) -> Mapping[str, int]: ...

    async def lag(self) -> dict[str, int]: ...

    async def backup(self, to: Path) -> dict[str, Any]: ...

READ_ONLY = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
MAX_ROWS = 100_000


class QueryError(Exception):
    pass


def run_query(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int = MAX_ROWS) -> dict[str, Any]:
    """Run one read-only query on a fresh cursor; anything but SELECT is refused."""
    cursor = con.cursor()
    try:
        statements = cursor.extract_statements(sql)
        if len(statements) != 1 or statements[0].type not in READ_ONLY:
            raise QueryError("only one read-only statement (SELECT, WITH ... SELECT, EXPLAIN) is allowed")
        result = cursor.execute(sql)
        columns = [d[0] for d in result.description or []]
        types = [str(d[1]) for d in result.description or []]
        rows = result.fetchmany(max_rows)
        return {"columns": columns, "types": types, "rows": rows, "truncated": len(rows) == max_rows}
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from exc
    finally:
        cursor.close()


def acknowledge_alert(con: duckdb.DuckDBPyConnection, alert_id: str, by: str) -> dict[str, Any] | None:
    """Record who acknowledged an alert; the first acknowledgement stands. None: no such alert."""
    cursor = con.cursor()
    try:
        cursor.execute("UPDATE alerts SET acknowledged_at = now(), acknowledged_by = ? "
                       "WHERE alert_id = ? AND acknowledged_at IS NULL", [by, alert_id])
        row = cursor.execute("SELECT alert_id, epoch_ms(acknowledged_at), acknowledged_by FROM alerts "
                             "WHERE alert_id = ?", [alert_id]).fetchone()
    finally:
        cursor.close()
    return {"alert_id": row[0], "acknowledged_at": row[1], "acknowledged_by": row[2]} if row else None


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS),
                        status=status, content_type="application/json")


class QueryServer:
    def __init__(self, service: SinkState) -> None:
        self.service = service
        app = web.Application(client_max_size=1 << 20)
        app.add_routes(
            [
                web.post("/sql", self.sql),
                web.get("/stats", self.stats),
                web.get("/barriers/{barrier_id}", self.barrier),
                web.get("/metrics", self.metrics),
                web.post("/alerts/{alert_id}/ack", self.acknowledge),
                web.post("/backup", self.backup),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self, port: int) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def sql(self, request: web.Request) -> web.Response:
        body = await request.json(loads=orjson.loads)
        try:
            result = await asyncio.to_thread(run_query, self.service.con, str(body.get("query", "")))
        except QueryError as exc:
            return _json({"error": str(exc)}, status=400)
        return _json(result)

    async def stats(self, request: web.Request) -> web.Response:
        return _json(
            {
                "written": dict(self.service.written),
                "batches": self.service.batches,
                "lag": await self.service.lag(),
            }
        )

    async def metrics(self, request: web.Request) -> web.Response:
        text = await asyncio.to_thread(generate_latest, self.service.metrics.registry)
        return web.Response(body=text, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def acknowledge(self, request: web.Request) -> web.Response:
        """An operator acknowledged an alert on the ops screens (the sink is DuckDB's one writer)."""
        try:
            body = await request.json(loads=orjson.loads)
        except ValueError:
            body = None
        by = str(body.get("by", "")).strip()[:80] if isinstance(body, dict) else ""
        if not by:
            return _json({"error": 'say who acknowledges: {"by": "<name>"}'}, status=400)
        try:
            alert_id = request.match_info["alert_id"]
            row = await asyncio.to_thread(acknowledge_alert, self.service.con, alert_id, by)
        except duckdb.TransactionException as exc:  # the sink is closing this very alert: try again
            return _json({"error": str(exc)}, status=409)
        return _json(row) if row else _json({"error": "no such alert"}, status=404)

    async def backup(self, request: web.Request) -> web.Response:
        """`{"to": "<folder>"}`: a consistent copy of the store there (loopback only, like every route)."""
        body = await request.json(loads=orjson.loads)
        to = body.get("to") if isinstance(body, dict) else None
        if not isinstance(to, str) or not Path(to).is_absolute():
            return _json({"error": 'say where: {"to": "<absolute folder>"}'}, status=400)
        try:
            return _json(await self.service.backup(Path(to)))
        except OSError as exc:
            return _json({"error": str(exc)}, status=500)

    async def barrier(self, request: web.Request) -> web.Response:
        barrier_id = request.match_info["barrier_id"]
        complete = self.service.barriers.is_complete(barrier_id)
        missing = [] if complete else [list(a) for a in self.service.barriers.missing(barrier_id)[:20]]
        return _json({"complete": complete, "missing": missing})
