"""Stage 2: sum the partials of every fold partition into KPI update messages (-> ioc.kpi.*).

Every key of one unit and period comes to the same partition (streams/engine/partials.py), so the
combine of the source the 766 index reads (dvc) scores the index of its units and periods right
here, from the KPI rows it has just computed (-> ioc.kpi.index766): no stage re-reads the KPI topic.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from contract.records import barrier_headers, iso, kpi_key, marker_key, now_utc
from contract.topology import Topology
from contract.units import UnitRegistry
from streams.engine import partials
from streams.engine.checkpoints import CheckpointStore, fingerprint, kept
from streams.engine.messages import Msg
from streams.engine.outbox import Sender
from streams.engine.reader import PartitionReader
from streams.engine.stage import Checkpointing, PartitionedStage, Slot, completed_barriers
from streams.kpis.base import AggKey, SourceKpis
from streams.kpis.combine import Combiner
from streams.kpis.emit import kpi_updates
from streams.kpis.index766.book import IndexBook
from streams.kpis.index766.rules import Index766


def combine_fingerprint(
    kpis: SourceKpis, units: UnitRegistry, partitions: int, index766: Index766 | None
) -> str:
    return fingerprint("combine", kpis.source, units, partitions, index766)


class PartitionOwner:
    """Does this combine partition own an aggregate key? (A class, not a closure: it is pickled.)"""

    def __init__(self, partition: int, partitions: int) -> None:
        self.partition, self.partitions = partition, partitions

    def __call__(self, key: AggKey) -> bool:
        return partials.target(key, self.partitions) == self.partition


class CombineState:
    def __init__(self, combiner: Combiner, book: IndexBook | None) -> None:
        self.combiner = combiner
        self.book = book  # the 766 index of this partition's units and periods
        self.pending: dict[str, set[int]] = {}  # barrier id -> fold partitions it came from


class CombineStage(PartitionedStage[CombineState]):
    def __init__(
        self,
        kpis: SourceKpis,
        units: UnitRegistry,
        topology: Topology,
        reader: PartitionReader,
        assigned: Callable[[], set[int]],
        outbox: Sender,
        index766: Index766 | None = None,
        store: CheckpointStore | None = None,
        coalesce_s: float = 1.0,
    ) -> None:
        p = topology.partitions
        self.index766 = index766 if topology.index_input == kpis.domain else None
        shared: dict[str, object] = {"units": units, "kpis": kpis}
        if self.index766 is not None:
            shared |= {
                "index766": self.index766,
                "index766.rules": self.index766.rules,
                "index766.supplied": self.index766.supplied,
            }
        checkpointing = (
            None
            if store is None
            else Checkpointing(
                store,
                store.epoch(),
                combine_fingerprint(kpis, units, p, self.index766),
                shared,
                lambda: kept(store),
            )
        )
        super().__init__(
            f"combine.{kpis.source}",
            topology.names.partials(kpis.source),
            reader,
            assigned,
            outbox,
            p,
            checkpointing,
            coalesce_s,
        )
        self.senders = p  # every fold partition sends to every combine partition
        self.kpis, self.units, self.topology = kpis, units, topology
        self.out = topology.names.kpi(kpis.domain)
        self.index_out = topology.names.kpi(topology.index_domain)
        self.emitted = 0
        self.upstream_behind: dict[int, set[int]] = {}   # partition -> fold partitions with a backlog

    def new_state(self, partition: int) -> CombineState:
        combiner = Combiner(
            self.kpis, self.units, self.partitions, PartitionOwner(partition, self.partitions)
        )
        return CombineState(combiner, IndexBook(self.index766, self.units) if self.index766 else None)

    def flush_due(self, partition: int, slot: Slot[CombineState]) -> bool:
        """Coalesce while a fold partition sending here has a backlog too (its reports come in a
        trickle, so this stage's own input rarely looks behind), up to `coalesce_s`."""
        if self.upstream_behind.get(partition):
            return time.monotonic() - slot.flushed_at >= self.coalesce_s
        return super().flush_due(partition, slot)

    def apply(self, partition: int, state: CombineState, msg: Msg) -> None:
        src = self.sender_of(msg)
        behind = self.upstream_behind.setdefault(partition, set())
        (behind.add if partials.is_behind(msg.headers) else behind.discard)(src)
        if partials.is_ready(msg.headers):
            state.combiner.mark_ready(src)
            return
        order = partials.order_of(msg.headers)
        vectors = []
        for f, u, g, p, payload in partials.decode(msg.value):
            if isinstance(payload, dict):  # a samples family: new values from an index on
                state.combiner.put_samples(src, (f, u, g, p), payload["start"], payload["values"])
            else:
                vectors.append(((f, u, g, p), payload))
        state.combiner.put(src, order, vectors)

    async def flush(self, partition: int, slot: Slot[CombineState], taken: bool) -> None:
        updated_at = iso(now_utc())
        book = slot.state.book
        for key, rows, retracted in slot.state.combiner.drain():
            for update in kpi_updates(self.units, key, rows, updated_at):
                await self.outbox.put(self.out, update.key.encode(), update.to_json(), partition, [])
                self.emitted += 1
                if book is not None:
                    book.put(update.kpi, update.unit, update.grain, update.period, update)
            for kpi in retracted:  # tombstone: the period has no base set any more
                await self.outbox.put(self.out, kpi_key(kpi, *key[1:]).encode(), None, partition, [])
                if book is not None:
                    book.put(kpi, key[1], key[2], key[3], None)
        if book is not None:
            await self._index(partition, book, updated_at)
        await self._forward_barriers(partition, slot)

    async def _index(self, partition: int, book: IndexBook, updated_at: str) -> None:
        for _, updates, retracted_keys in book.drain(updated_at):
            for update in updates:
                await self.outbox.put(self.index_out, update.key.encode(), update.to_json(), partition, [])
            for retracted_key in retracted_keys:
                await self.outbox.put(self.index_out, retracted_key.encode(), None, partition, [])

    async def _forward_barriers(self, partition: int, slot: Slot[CombineState]) -> None:
        targets = self.topology.combine_targets(self.kpis.domain, partition)
        for marker in completed_barriers(slot.state.pending, slot.barriers, self.senders):
            for topic, k, sender in targets:
                headers = barrier_headers(marker.barrier_id, sender, marker.checkpoint)
                await self.outbox.put(topic, marker_key(sender), b"", k, headers)
        slot.barriers.clear()
