"""Batched, idempotent writes into DuckDB (Arrow batches: ~100x faster than executemany).

Every write is safe to repeat: the sink commits its consumer offsets after DuckDB commits, so
after a crash the same messages come again and must change nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from contract.records import KpiUpdate, split_kpi_key
from sinks import counters, offsets
from sinks.alerts import create_alerts
from sinks.drilldown import create_drilldown, upsert_details
from sinks.index766 import create_index766, write_index766
from sinks.offsets import Offsets
from sinks.schema import create_schema, raw_table

_KPI_COLS = (
    "kpi",
    "unit",
    "unit_level",
    "grain",
    "period",
    "value",
    "numerator",
    "denominator",
    "updated_at",
)


@dataclass
class Batch:
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    kpis: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # key -> update, None = retract
    details: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # source -> entity -> row
    index766: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)  # unit/period -> total
    counters: list[dict[str, Any]] = field(default_factory=list)   # telecom counter rows (sinks/counters.py)
    offsets: Offsets = field(default_factory=dict)   # consumed up to, written with the rows
    epoch: int = 0                                   # the broker epoch the offsets count in

    def __len__(self) -> int:
        return (
            sum(map(len, self.raw.values()))
            + len(self.counters)
            + len(self.dead_letters)
            + len(self.kpis)
            + sum(map(len, self.details.values()))
        )


def open_store(path: Path, sources: list[str], timezone: str) -> duckdb.DuckDBPyConnection:
    """The store's connection; creates what is missing. DuckDB allows one writer process: a second
    one raises duckdb.IOException."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    create_schema(con, sources)
    create_drilldown(con, timezone)
    create_index766(con)
    create_alerts(con)
    return con


def write(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    con.execute("BEGIN")
    try:
        for source, rows in batch.raw.items():
            _insert_ignore(con, raw_table(source), rows)
        counters.insert(con, batch.counters)
        _insert_ignore(con, "dead_letters", batch.dead_letters)
        _write_kpis(con, batch.kpis)
        for source, entities in batch.details.items():
            upsert_details(con, source, entities)
        if batch.index766:
            write_index766(con, list(batch.index766.values()))
        offsets.save(con, batch.epoch, batch.offsets)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _insert_ignore(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    unique = list({r["id"]: r for r in reversed(rows)}.values())  # one row per id, first wins
    arrow = pa.Table.from_pylist(unique)
    cols = ", ".join(arrow.column_names)
    with _registered(con, arrow):
        con.execute(f"INSERT OR IGNORE INTO {table} ({cols}) SELECT {cols} FROM batch_rows")


def _write_kpis(con: duckdb.DuckDBPyConnection, kpis: dict[str, dict[str, Any] | None]) -> None:
    updates = [u for u in kpis.values() if u is not None]
    retracted = [split_kpi_key(k) for k, u in kpis.items() if u is None]
    if updates:
        arrow = pa.Table.from_pylist([{c: u[c] for c in _KPI_COLS} for u in updates], schema=_kpi_schema())
        with _registered(con, arrow):
            # History keeps changes only: a value re-emitted after a restart is not a new event.
            con.execute(f"""INSERT INTO kpi_history ({", ".join(_KPI_COLS)})
                SELECT a.* FROM batch_rows a LEFT JOIN kpi_current c USING (kpi, unit, grain, period)
                WHERE c.kpi IS NULL OR c.value IS DISTINCT FROM a.value
                   OR c.numerator IS DISTINCT FROM a.numerator
                   OR c.denominator IS DISTINCT FROM a.denominator""")
            con.execute("INSERT OR REPLACE INTO kpi_current SELECT * FROM batch_rows")
    for kpi, unit, grain, period in retracted:
        deleted = con.execute(
            """DELETE FROM kpi_current WHERE kpi = ? AND unit = ? AND grain = ? AND period = ?
                                 RETURNING unit_level""",
            [kpi, unit, grain, period],
        ).fetchall()
        if deleted:
            con.execute(
                """INSERT INTO kpi_history (kpi, unit, unit_level, grain, period, updated_at, retracted)
                           VALUES (?, ?, ?, ?, ?, now(), true)""",
                [kpi, unit, deleted[0][0], grain, period],
            )


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[None]:
    con.register("batch_rows", table)
    try:
        yield
    finally:
        con.unregister("batch_rows")


def _kpi_schema() -> pa.Schema:
    return pa.schema(
        [
            ("kpi", pa.string()),
            ("unit", pa.string()),
            ("unit_level", pa.string()),
            ("grain", pa.string()),
            ("period", pa.string()),
            ("value", pa.float64()),
            ("numerator", pa.float64()),
            ("denominator", pa.float64()),
            ("updated_at", pa.timestamp("us", tz="UTC")),
        ]
    )


def parse_kpi(value: bytes) -> dict[str, Any]:
    """A KPI update message as a kpi_current row (the 766 total's `detail` kept beside)."""
    return kpi_row(KpiUpdate.from_json(value))


def kpi_row(u: KpiUpdate) -> dict[str, Any]:
    row: dict[str, Any] = {
        "kpi": u.kpi,
        "unit": u.unit,
        "unit_level": u.unit_level,
        "grain": u.grain,
        "period": u.period,
        "value": u.value,
        "numerator": u.numerator,
        "denominator": u.denominator,
        "updated_at": datetime.fromisoformat(u.updated_at),
    }
    if u.detail is not None:
        row["detail"] = u.detail
    return row
