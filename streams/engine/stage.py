"""A stage keeps state per input partition: loaded from its latest snapshot when it takes the
partition, then brought up to date by reading the partition on from there (streams/engine/
checkpoints.py); without a usable snapshot, folded from offset 0. The group consumer may redeliver
what the stage already applied: records below the offset it has applied (the watermark) are
skipped, so every record counts exactly once in the state, whatever Kafka redelivers.

Barriers (control markers) are forwarded downstream after the outputs of every record before
them, so the sink can tell when everything accepted up to a moment is reflected in DuckDB. A
checkpoint barrier also makes the stage snapshot the partition, once it came from every sender of
the partition; meanwhile what those senders sent after it is held back (an aligned checkpoint).
"""
from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from typing import Any, Generic, NamedTuple, TypeVar

from contract.records import H_BARRIER, H_CHECKPOINT, H_SRC, header
from streams.engine.checkpoints import FORMAT, CheckpointStore, Epoch, SnapshotHeader, choose, dumps, loads
from streams.engine.messages import Msg
from streams.engine.outbox import Sender
from streams.engine.reader import PartitionReader
from streams.heap import settle

log = logging.getLogger(__name__)
S = TypeVar("S")


class Marker(NamedTuple):
    barrier_id: str
    sender: int
    checkpoint: int | None   # the checkpoint's id when the barrier is a checkpoint barrier


class Slot(Generic[S]):
    def __init__(self, state: S, watermark: int = 0, checkpoint: int = 0) -> None:
        self.state = state
        self.watermark = watermark          # next offset to consume
        self.checkpoint = checkpoint        # the last checkpoint the state went through
        self.barriers: list[Marker] = []    # seen, forwarded after the next flush
        self.aligning: dict[int, set[int]] = {}   # checkpoint -> senders whose marker came
        self.held: list[Msg] = []           # from those senders meanwhile
        self.changed = False                # applied something since the last flush
        self.fresh = True                   # a new state (not loaded from a snapshot)
        self.behind = False                 # more input waited at the broker after the last batch
        self.flushed_at = time.monotonic()


class Saved(NamedTuple):
    """What a snapshot holds besides its header."""
    state: Any
    barriers: list[Marker]
    checkpoint: int


class Checkpointing(NamedTuple):
    """Where a stage keeps its snapshots and what they must match."""
    store: CheckpointStore
    epoch: Epoch
    fingerprint: str
    shared: dict[str, object]     # configuration objects the state refers to, by name
    keep: Callable[[], set[int]]  # checkpoints whose snapshots must stay (the complete one...)


class PartitionedStage(ABC, Generic[S]):
    senders = 1   # upstream partitions that each send a partition of this stage their markers

    def __init__(self, name: str, topic: str, reader: PartitionReader, assigned: Callable[[], set[int]],
                 outbox: Sender, partitions: int, checkpointing: Checkpointing | None,
                 coalesce_s: float = 1.0) -> None:
        self.name, self.topic, self.reader, self.assigned, self.outbox = name, topic, reader, assigned, outbox
        self.partitions, self.checkpointing, self.coalesce_s = partitions, checkpointing, coalesce_s
        self.slots: dict[int, Slot[S]] = {}
        self._lock = asyncio.Lock()

    # -- what a concrete stage provides ------------------------------------------------------
    @abstractmethod
    def new_state(self, partition: int) -> S: ...

    @abstractmethod
    def apply(self, partition: int, state: S, msg: Msg) -> None:
        """Fold one data message in; raising makes it a dead letter, never a crash."""

    @abstractmethod
    async def flush(self, partition: int, slot: Slot[S], taken: bool) -> None:
        """Send what changed (after taking the partition, what the stage's downstream needs to
        start from), then forward `slot.barriers`."""

    def sender_of(self, msg: Msg) -> int:
        return int(header(msg.headers, H_SRC) or b"0")

    async def on_error(self, partition: int, msg: Msg, exc: Exception, taking: bool = False) -> None:
        """A record the stage refused; also called for those refused while taking the partition (it
        may be the first time they are seen: records that came before the partition was taken)."""
        if not taking:
            log.error("%s[%d]@%d: %s: %s", self.topic, partition, msg.offset, type(exc).__name__, exc)

    async def on_tick(self, partition: int, slot: Slot[S]) -> None:
        """Periodic work on an owned partition (live KPIs)."""

    def flush_due(self, partition: int, slot: Slot[S]) -> bool:
        """After a batch: flush now, or keep coalescing while a backlog lasts (more input waits), up
        to `coalesce_s`: a key rewritten by many records is then sent once. Caught up, every batch
        is flushed: live updates wait for nothing."""
        return not slot.behind or time.monotonic() - slot.flushed_at >= self.coalesce_s

    # -- driven by the Faust agent, the timer and rebalances ---------------------------------
    async def handle(self, msgs: list[Msg], behind: Collection[int] = ()) -> None:
        """`behind`: the input partitions with more records waiting at the broker after this batch."""
        async with self._lock:
            owned = self.assigned()
            for partition, batch in _by_partition(msgs).items():
                if partition not in owned:
                    continue   # revoked while buffered: the new owner takes it from its log
                slot = await self._ensure(partition)
                for msg in batch:
                    await self._consume(partition, slot, msg)
                slot.behind = partition in behind
                if slot.barriers or self.flush_due(partition, slot):
                    await self._flush(partition, slot, taken=False)
            await self.outbox.deliver()

    async def tick(self) -> None:
        async with self._lock:
            for partition in sorted(self.assigned()):
                slot = await self._ensure(partition)
                if slot.changed and time.monotonic() - slot.flushed_at >= self.coalesce_s:
                    await self._flush(partition, slot, taken=False)   # what coalescing kept back
                await self.on_tick(partition, slot)
            await self.outbox.deliver()

    async def revoke(self, partitions: set[int]) -> None:
        """Partitions leave this worker: snapshot them first, so the next owner reads a short tail."""
        async with self._lock:
            for partition in partitions:
                slot = self.slots.pop(partition, None)
                if slot is None or self.checkpointing is None:
                    continue
                if slot.aligning:
                    # Its snapshot would resume after markers already aligned on: the next owner
                    # would wait for them for ever, holding back their senders. It reads on from
                    # the last snapshot instead.
                    log.info("%s[%d] left mid-checkpoint: no snapshot", self.name, partition)
                    continue
                await self._save(partition, slot, checkpoint=0)

    async def _flush(self, partition: int, slot: Slot[S], taken: bool) -> None:
        await self.flush(partition, slot, taken)
        slot.flushed_at, slot.changed = time.monotonic(), False

    async def _consume(self, partition: int, slot: Slot[S], msg: Msg, released: bool = False,
                       taking: bool = False) -> Exception | None:
        """One message in offset order (a redelivered one is skipped); `released`: held back by a
        checkpoint alignment and now due. Returns a refusal when `taking` (reported afterwards)."""
        if not released:
            if msg.offset < slot.watermark:
                return None
            slot.watermark = msg.offset + 1
        sender = self.sender_of(msg)
        if any(sender in senders for senders in slot.aligning.values()):
            slot.held.append(msg)   # this sender is past the checkpoint; the others are not yet
            return None
        marker = _marker(msg, sender)
        if marker is not None:
            slot.barriers.append(marker)
            if marker.checkpoint is not None and marker.checkpoint > slot.checkpoint:
                await self._align(partition, slot, marker.checkpoint, sender, taking)
            return None
        slot.changed = True
        try:
            self.apply(partition, slot.state, msg)
        except Exception as exc:  # noqa: BLE001 - guard: Faust would ack and drop a record whose agent raised
            if taking:
                return exc
            await self.on_error(partition, msg, exc)
        return None

    async def _align(self, partition: int, slot: Slot[S], checkpoint: int, sender: int, taking: bool) -> None:
        senders = slot.aligning.setdefault(checkpoint, set())
        senders.add(sender)
        if len(senders) < self.senders:
            return
        del slot.aligning[checkpoint]
        if self.checkpointing is not None:
            await self._save(partition, slot, checkpoint)
        slot.checkpoint = checkpoint
        held, slot.held = slot.held, []
        for msg in held:
            exc = await self._consume(partition, slot, msg, released=True, taking=taking)
            if exc is not None:
                await self.on_error(partition, msg, exc, taking=True)

    # -- snapshots ----------------------------------------------------------------------------
    async def _save(self, partition: int, slot: Slot[S], checkpoint: int) -> None:
        c = self.checkpointing
        assert c is not None
        # Send what the state holds unsent first: a state restored from the snapshot must remember as
        # sent exactly what downstream got (the combine's emitted rows, the index book's), or a value
        # sent after the snapshot and later changed back is never sent again. Barriers wait: they go
        # out after the snapshot, so a checkpoint completes only once every snapshot of it is written.
        barriers, slot.barriers = slot.barriers, []
        await self._flush(partition, slot, taken=False)
        slot.barriers = barriers + slot.barriers
        await self.outbox.deliver()   # what the state says it sent has reached the broker
        # Held messages are not in the state yet: the snapshot covers the partition up to the first
        # of them (the messages re-read after it that the state has applied are applied again, which
        # a stage's apply tolerates: the latest report and sample positions decide).
        offset = min([m.offset for m in slot.held] + [slot.watermark])
        header = SnapshotHeader(
            FORMAT,
            self.name,
            partition,
            self.partitions,
            checkpoint,
            c.epoch.number,
            offset,
            c.fingerprint,
            time.time(),
        )
        started = time.perf_counter()
        c.store.save(
            header, dumps(Saved(slot.state, slot.barriers, max(checkpoint, slot.checkpoint)), c.shared)
        )
        c.store.prune(self.name, partition, c.keep() | {checkpoint})
        log.info(
            "snapshot of %s[%d] at checkpoint %d, offset %d (%.2f s)",
            self.name,
            partition,
            checkpoint,
            offset,
            time.perf_counter() - started,
        )

    def _load(self, partition: int) -> Slot[S] | None:
        c = self.checkpointing
        if c is None:
            return None
        usable = {"format": FORMAT, "partitions": self.partitions, "fingerprint": c.fingerprint}
        headers = c.store.headers(self.name, partition)
        chosen = choose(headers, c.epoch, usable)
        if chosen is None:
            if headers:
                log.warning(
                    "%s[%d]: no usable snapshot (%s); folding it from offset 0",
                    self.name,
                    partition,
                    _why_not(headers[0], usable, c.epoch),
                )
            return None
        snapshot, start = chosen
        try:
            saved = loads(c.store.body(snapshot) or b"", c.shared)
            slot: Slot[S] = Slot(saved.state, start, saved.checkpoint)
            slot.barriers, slot.fresh = list(saved.barriers), False
        except Exception as exc:  # noqa: BLE001 - an unreadable snapshot is as if absent
            log.warning(
                "%s[%d]: snapshot unreadable (%s); folding it from offset 0", self.name, partition, exc
            )
            return None
        return slot

    async def _ensure(self, partition: int) -> Slot[S]:
        slot = self.slots.get(partition)
        if slot is not None:
            return slot
        started = time.perf_counter()
        loaded = self._load(partition)
        slot = loaded or Slot(self.new_state(partition))
        begin = slot.watermark
        refused: list[tuple[Msg, Exception]] = []
        async for batch in self.reader.read(self.topic, partition, start=begin):
            for msg in batch:
                exc = await self._consume(partition, slot, msg, taking=True)
                if exc is not None:
                    refused.append((msg, exc))
        settle()  # the state lives long: keep it out of every later collection
        for msg, exc in refused:
            await self.on_error(partition, msg, exc, taking=True)
        slot.barriers = slot.barriers[-64:]  # older ones completed long ago; re-forwarding is harmless
        self.slots[partition] = slot
        log.info(
            "took %s[%d]: %s, then offsets %d..%d (%.1f s)",
            self.topic,
            partition,
            "fresh" if loaded is None else "from its snapshot",
            begin,
            slot.watermark,
            time.perf_counter() - started,
        )
        await self._flush(partition, slot, taken=True)
        await self.outbox.deliver()
        return slot


def completed_barriers(pending: dict[str, set[int]], arrivals: list[Marker], senders: int) -> list[Marker]:
    """Barriers that have now come from every one of `senders` upstream partitions (a stage with
    several upstream senders forwards a barrier once, after all of them passed it)."""
    done = []
    for marker in arrivals:
        seen = pending.setdefault(marker.barrier_id, set())
        seen.add(marker.sender)
        if len(seen) >= senders:
            del pending[marker.barrier_id]
            done.append(marker)
    return done


def _marker(msg: Msg, sender: int) -> Marker | None:
    barrier = header(msg.headers, H_BARRIER)
    if barrier is None:
        return None
    checkpoint = header(msg.headers, H_CHECKPOINT)
    return Marker(barrier.decode(), sender, int(checkpoint) if checkpoint else None)


def _why_not(h: SnapshotHeader, usable: dict[str, Any], epoch: Epoch) -> str:
    for key, want in usable.items():
        if getattr(h, key) != want:
            return f"its {key} is {getattr(h, key)!r}, this code's {want!r}"
    return f"of epoch {h.epoch}, checkpoint {h.checkpoint}; the broker is epoch {epoch.number}"


def _by_partition(msgs: list[Msg]) -> dict[int, list[Msg]]:
    out: dict[int, list[Msg]] = {}
    for msg in msgs:
        out.setdefault(msg.partition, []).append(msg)
    return out
