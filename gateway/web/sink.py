"""The screens' reads and writes through the DuckDB sink's loopback service (DuckDB has one
writer, the sink: the gateway never opens the file)."""
from __future__ import annotations

from typing import Any

import aiohttp
import orjson


class SinkUnavailable(Exception):
    """The sink is restarting or the query was refused; the screens say so and retry."""


class SinkClient:
    def __init__(self, sink_url: str) -> None:
        self.sink_url = sink_url
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def rows(self, query: str) -> list[dict[str, Any]]:
        """One read-only query's rows as dicts."""
        status, answer = await self._post("/sql", {"query": query})
        if status != 200:
            raise SinkUnavailable(answer.get("error") if isinstance(answer, dict) else f"HTTP {status}")
        return [dict(zip(answer["columns"], row)) for row in answer["rows"]]

    async def acknowledge(self, alert_id: str, by: str) -> tuple[int, Any]:
        return await self._post(f"/alerts/{alert_id}/ack", {"by": by})

    async def _post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        assert self._session is not None, "start() first"
        try:
            async with self._session.post(self.sink_url + path, data=orjson.dumps(body),
                                          headers={"Content-Type": "application/json"}) as resp:
                return resp.status, orjson.loads(await resp.read() or b"null")
        except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise SinkUnavailable(f"the DuckDB sink is not answering: {exc}") from exc
