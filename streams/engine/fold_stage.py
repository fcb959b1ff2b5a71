"""Stage 1: fold a source's raw records into per-partition partial sums (raw -> partials topic)."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import orjson

from contract.records import (
    H_ID,
    H_READY,
    H_RECEIVED,
    H_SRC,
    DeadLetter,
    barrier_headers,
    header,
    marker_key,
    now_utc,
    stable_partition,
)
from contract.topology import Topology
from contract.units import UnitRegistry
from streams.engine.messages import Msg
from streams.engine.reader import PartitionReader
from streams.engine.stage import PartitionedStage, Slot
from streams.kpis.base import AggKey, Fold, SourceKpis, fold_record, live_vectors
from streams.kpis.horizon import TooLate

H_ORDER = "ioc-order"
PARTIALS_PER_MESSAGE = 2000   # ~250 KB of partial sums per message
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Send = Callable[[str, bytes | None, bytes | None, int | None, list[tuple[str, bytes]]], Awaitable[None]]


def agg_text(key: AggKey) -> str:
    return "|".join(key)


def arrival_us(headers: object) -> int | None:
    """The gateway's received_at of a raw message (None for one without, e.g. written by hand)."""
    received = header(headers, H_RECEIVED)
    if received is None:
        return None
    at = datetime.fromisoformat(received.decode())
    return (at - EPOCH) // timedelta(microseconds=1)


class FoldState:
    def __init__(self, fold: Fold) -> None:
        self.fold = fold
        self.live_sent: dict[AggKey, list[int]] = {}
        self.live_at = 0.0   # monotonic time of the last evaluation against the clock


class FoldStage(PartitionedStage[FoldState]):
    def __init__(
        self,
        kpis: SourceKpis,
        units: UnitRegistry,
        topology: Topology,
        reader: PartitionReader,
        assigned: Callable[[], set[int]],
        send: Send,
        live_interval_s: float,
        late_us: int | None,
    ) -> None:
        super().__init__(topology.names.raw(kpis.source), reader, assigned)
        self.kpis, self.units, self.topology, self.send = kpis, units, topology, send
        self.partitions = topology.partitions
        self.live_interval_s, self.late_us = live_interval_s, late_us
        self.out = topology.names.partials(kpis.source)

    def new_state(self, partition: int) -> FoldState:
        return FoldState(self.kpis.new_fold(self.units, self.late_us))

    def apply(self, partition: int, state: FoldState, msg: Msg) -> None:
        refused = fold_record(state.fold, msg.value or b"", arrival_us(msg.headers))
        if refused is not None:
            raise refused

    async def on_error(self, partition: int, msg: Msg, exc: Exception, rebuilding: bool = False) -> None:
        """A dead letter whose id follows from the record and the reason: a rebuild (which reports
        every refusal again) or another worker re-sends the same row, which DuckDB keeps once."""
        late = isinstance(exc, TooLate)
        await super().on_error(partition, msg, exc, rebuilding or late)
        reason = "too_late" if late else f"processing_error:{type(exc).__name__}"
        identity = header(msg.headers, H_ID) or hashlib.sha256(msg.value or b"").hexdigest().encode()
        letter_id = hashlib.sha256(
            b"|".join([self.kpis.source.encode(), identity, reason.encode()])
        ).hexdigest()[:32]
        text = (msg.value or b"").decode("utf-8", "replace")
        letter = DeadLetter(letter_id, self.kpis.source, reason, now_utc(), text)
        await self.send(
            self.topology.names.dead_letters(self.kpis.source), None, letter.to_json(), None,
            [(H_ID, letter.id.encode())],
        )

    async def flush(self, partition: int, slot: Slot[FoldState], rebuilt: bool) -> None:
        fold = slot.state.fold
        if rebuilt:
            fold.partials.dirty.update(fold.partials.sums)
            fold.samples.resend_all()
        items: dict[AggKey, object] = dict(fold.partials.drain())
        items.update(self._live_changes(slot.state, full=rebuilt))
        items.update(
            {k: {"start": start, "values": values} for k, (start, values) in fold.samples.drain().items()}
        )
        await self._send_items(partition, slot.watermark, items)
        if self.kpis.drill_down:
            for entity, row in fold.drain_details(everything=rebuilt).items():
                await self.send(
                    self.topology.names.details(self.kpis.source), entity.encode(), orjson.dumps(row), None,
                    [],
                )
        if rebuilt:
            for q in range(self.partitions):
                await self.send(self.out, None, b"", q, [(H_READY, b"1"), (H_SRC, str(partition).encode())])
        await self._forward_barriers(partition, slot)

    async def on_tick(self, partition: int, slot: Slot[FoldState]) -> None:
        """Live KPIs move with the clock too (a due time passes) even when no record comes."""
        if time.monotonic() - slot.state.live_at >= self.live_interval_s:
            await self._send_items(partition, slot.watermark, self._live_changes(slot.state, full=False))

    def _live_changes(self, state: FoldState, full: bool) -> dict[AggKey, object]:
        state.live_at = time.monotonic()
        changes: dict[AggKey, object] = {}
        for key, vec in live_vectors(self.kpis, state.fold, time.time_ns() // 1000).items():
            if full or state.live_sent.get(key) != vec:
                changes[key] = vec
                state.live_sent[key] = vec
        return changes

    async def _send_items(self, partition: int, watermark: int, items: dict[AggKey, object]) -> None:
        if not items:
            return
        by_target: dict[int, list[list[object]]] = {}
        for key, vec in items.items():
            by_target.setdefault(stable_partition(agg_text(key), self.partitions), []).append([*key, vec])
        order = f"{watermark}:{time.time_ns() // 1000}".encode()
        headers = [(H_SRC, str(partition).encode()), (H_ORDER, order)]
        for q, batch in by_target.items():
            # In slices: after a rebuild a partition sends every partial sum it holds, far more than
            # one message may carry (Apache Kafka refuses messages over max.message.bytes).
            for i in range(0, len(batch), PARTIALS_PER_MESSAGE):
                await self.send(self.out, None, orjson.dumps(batch[i:i + PARTIALS_PER_MESSAGE]), q, headers)

    async def _forward_barriers(self, partition: int, slot: Slot[FoldState]) -> None:
        targets = self.topology.fold_targets(self.kpis.source, partition)
        for barrier_id, _ in slot.barriers:
            for topic, q, sender in targets:
                await self.send(topic, marker_key(sender), b"", q, barrier_headers(barrier_id, sender))
        slot.barriers.clear()
