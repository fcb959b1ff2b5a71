"""A stage keeps state per input partition, rebuilt from the partition's log when it takes one.

State is a deterministic fold of the partition from offset 0, so it needs no changelog: a worker
that takes a partition over (start, rebalance, crash of another worker) reads the partition from
the beginning, and then skips the records below the offset it has applied (the watermark) when
the group consumer redelivers them. That makes every record count exactly once in the state,
whatever Kafka redelivers.

Barriers (control markers) are forwarded downstream after the outputs of every record before
them, so the sink can tell when everything accepted up to a moment is reflected in DuckDB.
"""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from contract.records import H_BARRIER, H_SRC, header
from streams.engine.messages import Msg
from streams.engine.reader import PartitionReader
from streams.heap import settle

log = logging.getLogger(__name__)
S = TypeVar("S")


class Slot(Generic[S]):
    def __init__(self, state: S) -> None:
        self.state = state
        self.watermark = 0                 # next offset to apply
        self.barriers: list[tuple[str, int]] = []   # (barrier id, sender) seen, not yet forwarded


class PartitionedStage(ABC, Generic[S]):
    def __init__(self, topic: str, reader: PartitionReader, assigned: Callable[[], set[int]]) -> None:
        self.topic, self.reader, self.assigned = topic, reader, assigned
        self.slots: dict[int, Slot[S]] = {}
        self._lock = asyncio.Lock()

    # -- what a concrete stage provides ------------------------------------------------------
    @abstractmethod
    def new_state(self, partition: int) -> S: ...

    @abstractmethod
    def apply(self, partition: int, state: S, msg: Msg) -> None:
        """Fold one data message in; raising makes it a dead letter, never a crash."""

    @abstractmethod
    async def flush(self, partition: int, slot: Slot[S], rebuilt: bool) -> None:
        """Send what changed (everything after a rebuild), then forward `slot.barriers`."""

    async def on_error(self, partition: int, msg: Msg, exc: Exception, rebuilding: bool = False) -> None:
        """A record the stage refused; also called for those refused while rebuilding (it may be the
        first time they are seen: records that came before the partition was first rebuilt)."""
        if not rebuilding:
            log.error("%s[%d]@%d: %s: %s", self.topic, partition, msg.offset, type(exc).__name__, exc)

    async def on_tick(self, partition: int, slot: Slot[S]) -> None:
        """Periodic work on an owned partition (live KPIs)."""

    # -- driven by the Faust agent, the timer and rebalances ---------------------------------
    async def handle(self, msgs: list[Msg]) -> None:
        async with self._lock:
            owned = self.assigned()
            for partition, batch in _by_partition(msgs).items():
                if partition not in owned:
                    continue   # revoked while buffered: the new owner rebuilds it
                slot = await self._ensure(partition)
                for msg in batch:
                    await self._consume(partition, slot, msg)
                await self.flush(partition, slot, rebuilt=False)

    async def tick(self) -> None:
        async with self._lock:
            for partition in sorted(self.assigned()):
                await self.on_tick(partition, await self._ensure(partition))

    def revoke(self, partitions: set[int]) -> None:
        for partition in partitions:
            self.slots.pop(partition, None)

    async def _consume(self, partition: int, slot: Slot[S], msg: Msg) -> None:
        barrier = _barrier(msg)
        if barrier is not None:
            slot.barriers.append(barrier)
        elif msg.offset >= slot.watermark:
            try:
                self.apply(partition, slot.state, msg)
            except Exception as exc:  # guard: Faust would ack and drop a record whose agent raised
                await self.on_error(partition, msg, exc)
        slot.watermark = max(slot.watermark, msg.offset + 1)

    async def _ensure(self, partition: int) -> Slot[S]:
        slot = self.slots.get(partition)
        if slot is not None:
            return slot
        slot = Slot(self.new_state(partition))
        refused: list[tuple[Msg, Exception]] = []
        async for batch in self.reader.read(self.topic, partition):
            for msg in batch:
                exc = _rebuild_one(self, partition, slot, msg)
                if exc is not None:
                    refused.append((msg, exc))
        settle()   # the rebuilt state lives long: keep it out of every later collection
        for msg, exc in refused:
            await self.on_error(partition, msg, exc, rebuilding=True)
        slot.barriers = slot.barriers[-64:]   # older ones completed long ago; re-forwarding is harmless
        self.slots[partition] = slot
        log.info("rebuilt %s[%d] up to offset %d", self.topic, partition, slot.watermark)
        await self.flush(partition, slot, rebuilt=True)
        return slot


def _rebuild_one(stage: PartitionedStage[Any], partition: int, slot: Slot[Any], msg: Msg) -> Exception | None:
    slot.watermark = msg.offset + 1
    barrier = _barrier(msg)
    if barrier is not None:
        slot.barriers.append(barrier)
        return None
    try:
        stage.apply(partition, slot.state, msg)
    except Exception as exc:
        return exc
    return None


def completed_barriers(pending: dict[str, set[int]], arrivals: list[tuple[str, int]],
                       senders: int) -> list[str]:
    """Barriers that have now come from every one of `senders` upstream partitions (a stage with
    several upstream senders forwards a barrier once, after all of them passed it)."""
    done = []
    for barrier_id, src in arrivals:
        seen = pending.setdefault(barrier_id, set())
        seen.add(src)
        if len(seen) >= senders:
            del pending[barrier_id]
            done.append(barrier_id)
    return done


def _barrier(msg: Msg) -> tuple[str, int] | None:
    barrier = header(msg.headers, H_BARRIER)
    if barrier is None:
        return None
    return barrier.decode(), int(header(msg.headers, H_SRC) or b"0")


def _by_partition(msgs: list[Msg]) -> dict[int, list[Msg]]:
    out: dict[int, list[Msg]] = {}
    for msg in msgs:
        out.setdefault(msg.partition, []).append(msg)
    return out
