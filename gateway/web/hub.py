"""Fan-out of the live topics to the open screens (server-sent event streams).

The topic tail runs only while a screen is open (and a little after the last one closes), so a
pipeline nobody watches pays nothing. KPI updates are coalesced per key for half a second: a busy
pipeline rewrites a key many times a second, a wall needs the latest. Alert raises, clears and
acknowledgements go out at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from contract.periods import periods_of
from contract.settings import Settings
from contract.topology import Topology
from gateway.web.tail import TopicTail

Event = tuple[str, Any]          # (SSE event name, JSON-able data); None ends a stream
FLUSH_S = 0.5
HEALTH_EVERY_S = 5.0
LINGER_S = 60.0                  # keep following the topics this long after the last screen closed
QUEUE_MAX = 2000                 # a screen this far behind is dropped; it reconnects and resyncs
CACHE_MAX = 200_000              # KPI keys remembered since the tail started


class Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_MAX)
        self.ended = False   # dropped or closing: the stream ends after what it is reading now

    def offer(self, event: Event | None) -> bool:
        try:
            self.queue.put_nowait(event)
            return True
        except asyncio.QueueFull:
            return False

    def end(self) -> None:
        self.ended = True
        self.offer(None)   # wakes a stream waiting on an empty queue (a full one is not waiting)


class Hub:
    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        health: Callable[[], Awaitable[dict[str, Any]]],
        broker_generation: Callable[[], object],
    ) -> None:
        """`broker_generation` changes when the embedded broker was restarted (the gateway gets a
        new publisher): its topics start over, so the tail and the screens start over too."""
        self.settings, self.topology, self.health = settings, topology, health
        self.broker_generation = broker_generation
        self.subscribers: set[Subscriber] = set()
        self.cache: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self.pending: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.last_health: dict[str, Any] | None = None
        self.tail: TopicTail | None = None
        self._tail_task: asyncio.Task[None] | None = None
        self._generation: object = None
        self._tasks: list[asyncio.Task[None]] = []
        self._idle_since: float | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._stopping = False
        self._stopper: asyncio.Task[None] | None = None  # referenced, so it is not collected mid-way

    # -- screens ------------------------------------------------------------------------------
    async def subscribe(self, ready_timeout_s: float = 15) -> Subscriber:
        """A new stream; returns once the tail is positioned, so nothing published from here on is missed."""
        sub = Subscriber()
        self.subscribers.add(sub)
        self._idle_since = None
        async with self._lock:
            if self.tail is None and not self._closed:
                self._start()
        assert self.tail is not None or self._closed
        if self.tail is not None:
            with contextlib.suppress(asyncio.TimeoutError):  # the broker is slow: live values follow later
                await asyncio.wait_for(self.tail.positioned.wait(), ready_timeout_s)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        if not self.subscribers:
            self._idle_since = time.monotonic()

    def cached(self) -> list[dict[str, Any]]:
        return list(self.cache.values())

    def current_periods(self) -> dict[str, str]:
        return dict(periods_of(int(time.time() * 1_000_000), self.settings.units.timezone))

    def broadcast(self, name: str, data: Any) -> None:
        for sub in list(self.subscribers):
            if not sub.offer((name, data)):
                self.subscribers.discard(sub)  # too slow: its stream ends, the browser reconnects
                sub.end()

    async def close(self) -> None:
        """The gateway stops: end every stream now (aiohttp would wait for them), stop the tail."""
        self._closed = True
        for sub in list(self.subscribers):
            sub.end()
        self.subscribers.clear()
        await self._stop()

    # -- from the tail ------------------------------------------------------------------------
    def on_kpi(self, update: dict[str, Any]) -> None:
        key = (update["kpi"], update["unit"], update["grain"], update["period"])
        self.cache[key] = update
        self.cache.move_to_end(key)
        if len(self.cache) > CACHE_MAX:
            self.cache.popitem(last=False)
        self.pending[key] = update

    def on_alert(self, event: dict[str, Any]) -> None:
        self._flush()  # the KPI values that led to it go first
        self.broadcast("alert", event)

    # -- running ------------------------------------------------------------------------------
    def _start(self) -> None:
        self._start_tail()
        self._tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._push_health())]

    def _start_tail(self) -> None:
        self._generation = self.broker_generation()
        self.tail = TopicTail(self.settings.broker, self.topology, self.on_kpi, self.on_alert)
        self._tail_task = asyncio.create_task(self.tail.run())

    async def _restart_tail(self) -> None:
        """The broker came back empty: follow its new topics; the screens re-read their snapshot."""
        if self._tail_task is not None:
            self._tail_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._tail_task
        self.cache.clear()
        self.pending.clear()
        self._start_tail()
        assert self.tail is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.tail.positioned.wait(), 15)
        self.broadcast("resync", {})

    async def _stop(self) -> None:
        tasks, self._tasks, self.tail = self._tasks + [t for t in [self._tail_task] if t], [], None
        self._tail_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.cache.clear()
        self.pending.clear()

    def _flush(self) -> None:
        if self.pending:
            batch, self.pending = list(self.pending.values()), {}
            self.broadcast("kpi", batch)

    async def _pump(self) -> None:
        """Flush coalesced KPI updates, announce a new day (or month...); stop when idle."""
        periods = self.current_periods()
        while True:
            await asyncio.sleep(FLUSH_S)
            self._flush()
            if self.broker_generation() is not self._generation:
                await self._restart_tail()
            now_periods = self.current_periods()
            if now_periods != periods:
                periods = now_periods
                self.broadcast("periods", periods)
            idle_since = self._idle_since
            if (
                idle_since is not None
                and not self.subscribers
                and not self._stopping
                and time.monotonic() - idle_since > LINGER_S
            ):
                self._stopping = True
                self._stopper = asyncio.get_running_loop().create_task(self._stop_when_idle())

    async def _push_health(self) -> None:
        """Its own task: asking the broker for lag may take a while, KPI updates must not wait."""
        while True:
            if self.subscribers:
                try:
                    self.last_health = await self.health()
                    self.broadcast("health", self.last_health)
                except Exception:  # noqa: BLE001 - health is best effort; the next round tries again
                    pass
            await asyncio.sleep(HEALTH_EVERY_S)

    async def _stop_when_idle(self) -> None:
        async with self._lock:  # a screen opening meanwhile keeps everything running
            try:
                if not self.subscribers and self.tail is not None:
                    await self._stop()
            finally:
                self._stopping = False
