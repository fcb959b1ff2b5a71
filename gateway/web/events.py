"""GET /ops/events: one server-sent event stream per open screen.

At connect: `hello` (the current periods), `snapshot` (the latest value of every KPI the screens
show: DuckDB's kpi_latest merged with what the tail has read), the last `health`; then live
`kpi` batches, `alert` raises and clears, `ack`, `periods` (a new day began) and `health`.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from aiohttp import web

from gateway.web import queries
from gateway.web.hub import Hub
from gateway.web.messages import kpi_row, newest
from gateway.web.sink import SinkClient, SinkUnavailable

KEEPALIVE_S = 15.0   # a comment line, so proxies and the browser see the stream alive
RETRY_MS = 3000      # the browser reconnects this long after a stream ends


async def _send(resp: web.StreamResponse, name: str, data: Any) -> None:
    await resp.write(b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n")


class EventStream:
    def __init__(self, hub: Hub, sink: SinkClient, province: str) -> None:
        self.hub, self.sink, self.province = hub, sink, province

    async def handle(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        await resp.write(f"retry: {RETRY_MS}\n\n".encode())
        sub = await self.hub.subscribe()   # first, so nothing published while we read DuckDB is lost
        try:
            periods = self.hub.current_periods()
            await _send(resp, "hello", {"periods": periods, "now": int(time.time() * 1000)})
            try:
                rows = [kpi_row(r) for r in await self.sink.rows(queries.snapshot(self.province, periods))]
            except SinkUnavailable as exc:
                await _send(resp, "problem", {"error": str(exc)})
                return resp   # the browser retries in RETRY_MS
            await _send(resp, "snapshot", newest(rows + self.hub.cached()))
            if self.hub.last_health is not None:
                await _send(resp, "health", self.hub.last_health)
            while not sub.ended:
                try:
                    event = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await _send(resp, *event)
        except ConnectionError:
            pass   # the screen went away
        finally:
            self.hub.unsubscribe(sub)
        return resp
