"""Stage 2: sum the partials of every source partition into KPI update messages (-> ioc.kpi.*)."""
from __future__ import annotations

from collections.abc import Callable

import orjson

from contract.records import (
    H_READY,
    H_SRC,
    barrier_headers,
    header,
    iso,
    kpi_key,
    marker_key,
    now_utc,
    stable_partition,
    unit_period,
)
from contract.topology import Topology
from contract.units import UnitRegistry
from streams.engine.fold_stage import H_ORDER, Send, agg_text
from streams.engine.messages import Msg
from streams.engine.reader import PartitionReader
from streams.engine.stage import PartitionedStage, Slot, completed_barriers
from streams.kpis.base import AggKey, SourceKpis
from streams.kpis.combine import Combiner
from streams.kpis.emit import kpi_updates


class CombineState:
    def __init__(self, combiner: Combiner) -> None:
        self.combiner = combiner
        self.pending: dict[str, set[int]] = {}   # barrier id -> source partitions it came from


class CombineStage(PartitionedStage[CombineState]):
    def __init__(self, kpis: SourceKpis, units: UnitRegistry, topology: Topology, reader: PartitionReader,
                 assigned: Callable[[], set[int]], send: Send) -> None:
        super().__init__(topology.names.partials(kpis.source), reader, assigned)
        self.kpis, self.units, self.topology, self.send = kpis, units, topology, send
        self.partitions = topology.partitions
        self.out = topology.names.kpi(kpis.domain)
        self.emitted = 0

    def new_state(self, partition: int) -> CombineState:
        def owns(key: AggKey) -> bool:
            return stable_partition(agg_text(key), self.partitions) == partition
        return CombineState(Combiner(self.kpis, self.units, self.partitions, owns))

    def apply(self, partition: int, state: CombineState, msg: Msg) -> None:
        src = int(header(msg.headers, H_SRC) or b"0")
        if header(msg.headers, H_READY) is not None:
            state.combiner.mark_ready(src)
            return
        watermark, emitted_at = (int(x) for x in (header(msg.headers, H_ORDER) or b"0:0").split(b":"))
        vectors = []
        for f, u, g, p, payload in orjson.loads(msg.value or b"[]"):
            if isinstance(payload, dict):   # a samples family: new values from an index on
                state.combiner.put_samples(src, (f, u, g, p), payload["start"], payload["values"])
            else:
                vectors.append(((f, u, g, p), payload))
        state.combiner.put(src, (watermark, emitted_at), vectors)

    async def flush(self, partition: int, slot: Slot[CombineState], rebuilt: bool) -> None:
        updated_at = iso(now_utc())
        for key, rows, retracted in slot.state.combiner.drain():
            # All KPIs of one unit and period share a partition (the key stays kpi|unit|grain|period
            # for compaction): the index stage reads them together.
            target = stable_partition(unit_period(key[1], key[2], key[3]), self.partitions)
            for update in kpi_updates(self.units, key, rows, updated_at):
                await self.send(self.out, update.key.encode(), update.to_json(), target, [])
                self.emitted += 1
            for kpi in retracted:   # tombstone: the period has no base set any more
                await self.send(self.out, kpi_key(kpi, *key[1:]).encode(), None, target, [])
        await self._forward_barriers(partition, slot)

    async def _forward_barriers(self, partition: int, slot: Slot[CombineState]) -> None:
        for barrier_id in completed_barriers(slot.state.pending, slot.barriers, self.partitions):
            for topic, k, sender in self.topology.combine_targets(self.kpis.domain, partition):
                await self.send(topic, marker_key(sender), b"", k, barrier_headers(barrier_id, sender))
        slot.barriers.clear()
