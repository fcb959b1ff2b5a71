"""Stage 1: fold a source's raw records into per-partition partial sums (raw -> partials topic)."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson

from contract.records import H_ID, H_RECEIVED, DeadLetter, barrier_headers, header, marker_key, now_utc
from contract.topology import Topology
from contract.units import UnitRegistry
from streams.engine import partials
from streams.engine.checkpoints import CheckpointStore, fingerprint, kept
from streams.engine.messages import Msg
from streams.engine.outbox import Sender
from streams.engine.reader import PartitionReader
from streams.engine.stage import Checkpointing, PartitionedStage, Slot
from streams.kpis.base import AggKey, Fold, SourceKpis, fold_record, live_vectors
from streams.kpis.horizon import TooLate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def arrival_us(headers: object) -> int | None:
    """The gateway's received_at of a raw message (None for one without, e.g. written by hand)."""
    received = header(headers, H_RECEIVED)
    if received is None:
        return None
    at = datetime.fromisoformat(received.decode())
    return (at - EPOCH) // timedelta(microseconds=1)


def fold_fingerprint(kpis: SourceKpis, units: UnitRegistry, late_us: int | None, partitions: int) -> str:
    """What a fold partition's state depends on besides its records."""
    return fingerprint("fold", kpis.source, units, late_us, partitions)


class FoldState:
    def __init__(self, fold: Fold) -> None:
        self.fold = fold
        self.live_sent: dict[AggKey, list[int]] = {}
        self.live_at = 0.0   # monotonic time of the last evaluation against the clock


class FoldStage(PartitionedStage[FoldState]):
    def __init__(self, kpis: SourceKpis, units: UnitRegistry, topology: Topology, reader: PartitionReader,
                 assigned: Callable[[], set[int]], outbox: Sender, live_interval_s: float,
                 late_us: int | None, store: CheckpointStore | None = None, coalesce_s: float = 1.0) -> None:
        p = topology.partitions
        checkpointing = None if store is None else Checkpointing(
            store, store.epoch(), fold_fingerprint(kpis, units, late_us, p), {"units": units, "kpis": kpis},
            lambda: kept(store))
        super().__init__(f"fold.{kpis.source}", topology.names.raw(kpis.source), reader, assigned, outbox, p,
                         checkpointing, coalesce_s)
        self.kpis, self.units, self.topology = kpis, units, topology
        self.live_interval_s, self.late_us = live_interval_s, late_us
        self.epoch = checkpointing.epoch.number if checkpointing else 0
        self.out = topology.names.partials(kpis.source)

    def new_state(self, partition: int) -> FoldState:
        return FoldState(self.kpis.new_fold(self.units, self.late_us))

    def apply(self, partition: int, state: FoldState, msg: Msg) -> None:
        refused = fold_record(state.fold, msg.value or b"", arrival_us(msg.headers))
        if refused is not None:
            raise refused

    async def on_error(self, partition: int, msg: Msg, exc: Exception, taking: bool = False) -> None:
        """A dead letter whose id follows from the record and the reason: a worker taking the
        partition (which reports every refusal it reads again) re-sends the same row, kept once."""
        late = isinstance(exc, TooLate)
        await super().on_error(partition, msg, exc, taking or late)
        reason = "too_late" if late else f"processing_error:{type(exc).__name__}"
        identity = header(msg.headers, H_ID) or hashlib.sha256(msg.value or b"").hexdigest().encode()
        letter_id = hashlib.sha256(
            b"|".join([self.kpis.source.encode(), identity, reason.encode()])
        ).hexdigest()[:32]
        text = (msg.value or b"").decode("utf-8", "replace")
        letter = DeadLetter(letter_id, self.kpis.source, reason, now_utc(), text)
        await self.outbox.put(
            self.topology.names.dead_letters(self.kpis.source),
            None,
            letter.to_json(),
            None,
            [(H_ID, letter.id.encode())],
        )

    async def flush(self, partition: int, slot: Slot[FoldState], taken: bool) -> None:
        """The changed partial sums, live vectors and drill-down rows; after folding a partition from
        offset 0, all of them (a combine that kept its own state takes the latest report of each)."""
        fold, everything = slot.state.fold, taken and slot.fresh
        if everything:
            fold.partials.dirty.update(fold.partials.sums)
            fold.samples.resend_all()
        vectors: dict[AggKey, list[int]] = dict(fold.partials.drain())
        vectors.update(self._live_changes(slot.state, full=taken))
        await self._report(partition, slot, vectors, fold.samples.drain())
        if self.kpis.drill_down:
            details = self.topology.names.details(self.kpis.source)
            for entity, row in fold.drain_details(everything=everything).items():
                await self.outbox.put(details, entity.encode(), orjson.dumps(row), None, [])
        if taken:
            for q in range(self.partitions):
                await self.outbox.put(self.out, None, b"", q, partials.ready_headers(partition))
        await self._forward_barriers(partition, slot)

    async def on_tick(self, partition: int, slot: Slot[FoldState]) -> None:
        """Live KPIs move with the clock too (a due time passes) even when no record comes."""
        if time.monotonic() - slot.state.live_at >= self.live_interval_s:
            await self._report(partition, slot, self._live_changes(slot.state, full=False), {})

    def _live_changes(self, state: FoldState, full: bool) -> dict[AggKey, list[int]]:
        state.live_at = time.monotonic()
        changes: dict[AggKey, list[int]] = {}
        for key, vec in live_vectors(self.kpis, state.fold, time.time_ns() // 1000).items():
            if full or state.live_sent.get(key) != vec:
                changes[key] = vec
                state.live_sent[key] = vec
        return changes

    async def _report(
        self,
        partition: int,
        slot: Slot[FoldState],
        vectors: dict[AggKey, list[int]],
        samples: dict[AggKey, tuple[int, list[float]]],
    ) -> None:
        if not vectors and not samples:
            return
        headers = partials.order_headers(partition, self.epoch, slot.watermark, slot.behind)
        for q, value in partials.messages(partials.items_of(vectors, samples), self.partitions):
            await self.outbox.put(self.out, None, value, q, headers)

    async def _forward_barriers(self, partition: int, slot: Slot[FoldState]) -> None:
        targets = self.topology.fold_targets(self.kpis.source, partition)
        for marker in slot.barriers:
            for topic, q, sender in targets:
                headers = barrier_headers(marker.barrier_id, sender, marker.checkpoint)
                await self.outbox.put(topic, marker_key(sender), b"", q, headers)
        slot.barriers.clear()
