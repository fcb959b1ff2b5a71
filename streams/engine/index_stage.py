"""Stage 3: the 766 index per unit and period, from the dvc KPI topic (-> ioc.kpi.index766).

The combine stage puts every KPI of a unit and period in one partition of ioc.kpi.dvc, so this
stage sees all the ratios a unit's index needs together; its state (an IndexBook: the latest value
per KPI) is rebuilt from that topic like any other stage's.
"""
from __future__ import annotations

from collections.abc import Callable

from contract.records import (
    KpiUpdate,
    barrier_headers,
    iso,
    marker_key,
    now_utc,
    split_kpi_key,
    stable_partition,
    unit_period,
)
from contract.topology import Topology
from contract.units import UnitRegistry
from streams.engine.fold_stage import Send
from streams.engine.messages import Msg
from streams.engine.reader import PartitionReader
from streams.engine.stage import PartitionedStage, Slot, completed_barriers
from streams.kpis.index766.book import IndexBook
from streams.kpis.index766.rules import Index766


class IndexState:
    def __init__(self, book: IndexBook) -> None:
        self.book = book
        self.pending: dict[str, set[int]] = {}   # barrier id -> dvc KPI partitions it came from


class IndexStage(PartitionedStage[IndexState]):
    def __init__(self, index766: Index766, units: UnitRegistry, topology: Topology, reader: PartitionReader,
                 assigned: Callable[[], set[int]], send: Send) -> None:
        assert topology.index_input is not None
        super().__init__(topology.names.kpi(topology.index_input), reader, assigned)
        self.index766, self.units, self.topology, self.send = index766, units, topology, send
        self.partitions = topology.partitions
        self.out = topology.names.kpi(topology.index_domain)

    def new_state(self, partition: int) -> IndexState:
        return IndexState(IndexBook(self.index766, self.units))

    def apply(self, partition: int, state: IndexState, msg: Msg) -> None:
        kpi, unit, grain, period = split_kpi_key((msg.key or b"").decode())
        if grain not in self.index766.rules.grains:
            return   # (before parsing: most KPI messages are of day rows the index does not score)
        update = KpiUpdate.from_json(msg.value) if msg.value is not None else None
        state.book.put(kpi, unit, grain, period, update)

    async def flush(self, partition: int, slot: Slot[IndexState], rebuilt: bool) -> None:
        for key, updates, retracted in slot.state.book.drain(iso(now_utc())):
            target = stable_partition(unit_period(*key), self.partitions)
            for update in updates:
                await self.send(self.out, update.key.encode(), update.to_json(), target, [])
            for retracted_key in retracted:
                await self.send(self.out, retracted_key.encode(), None, target, [])
        for barrier_id in completed_barriers(slot.state.pending, slot.barriers, self.partitions):
            for topic, k, sender in self.topology.index_targets(partition):
                await self.send(topic, marker_key(sender), b"", k, barrier_headers(barrier_id, sender))
        slot.barriers.clear()
