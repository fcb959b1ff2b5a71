"""Stage 3: the 766 index per unit and period, from the dvc KPI topic (-> ioc.kpi.index766).

The combine stage puts every KPI of a unit and period in one partition of ioc.kpi.dvc, so this
stage sees all the ratios a unit's index needs together; its state (the latest value per KPI)
is rebuilt from that topic like any other stage's.
"""
from __future__ import annotations

from typing import Any, Callable

import orjson

from ioc import topics
from ioc.index_rules import SuppliedFigures
from ioc.records import KpiUpdate, barrier_headers, iso, now_utc
from ioc.units import UnitRegistry
from streams.engine.combine_stage import BARRIER_KEY
from streams.engine.fold_stage import Send
from streams.engine.messages import Msg, stable_partition, unit_period
from streams.engine.reader import PartitionReader
from streams.engine.stage import PartitionedStage, Slot, completed_barriers
from streams.kpis.index766 import Rules, index_rows
from streams.kpis.registry import INDEX_DOMAIN

UnitPeriod = tuple[str, str, str]


class IndexState:
    def __init__(self) -> None:
        self.values: dict[UnitPeriod, dict[str, tuple[Any, Any, Any]]] = {}
        self.emitted: dict[UnitPeriod, dict[str, Any]] = {}
        self.dirty: set[UnitPeriod] = set()
        self.pending: dict[str, set[int]] = {}


class IndexStage(PartitionedStage[IndexState]):
    def __init__(self, rules: Rules, supplied: SuppliedFigures, units: UnitRegistry, partitions: int,
                 reader: PartitionReader, assigned: Callable[[], set[int]], send: Send) -> None:
        super().__init__(topics.kpi("dvc"), reader, assigned)
        self.rules, self.supplied, self.units, self.partitions, self.send = rules, supplied, units, partitions, send
        self.out = topics.kpi(INDEX_DOMAIN)

    def new_state(self, partition: int) -> IndexState:
        return IndexState()

    def apply(self, partition: int, state: IndexState, msg: Msg) -> None:
        kpi, unit, grain, period = (msg.key or b"").decode().split("|")
        if grain not in self.rules.grains:
            return
        values = state.values.setdefault((unit, grain, period), {})
        if msg.value is None:
            values.pop(kpi, None)
        else:
            update = orjson.loads(msg.value)
            values[kpi] = (update["value"], update["numerator"], update["denominator"])
        state.dirty.add((unit, grain, period))

    async def flush(self, partition: int, slot: Slot[IndexState], rebuilt: bool) -> None:
        state, updated_at = slot.state, iso(now_utc())
        for key in state.dirty:
            await self._emit(state, key, updated_at)
        state.dirty.clear()
        for barrier_id in completed_barriers(state.pending, slot.barriers, self.partitions):
            for k in range(self.partitions):
                await self.send(self.out, BARRIER_KEY, b"", k, barrier_headers(barrier_id, partition))
        slot.barriers.clear()

    async def _emit(self, state: IndexState, key: UnitPeriod, updated_at: str) -> None:
        unit, grain, period = key
        level = self.units.level(unit) or "unknown"
        target = stable_partition(unit_period(*key), self.partitions)
        supplied = self.supplied.for_unit(unit, period)
        rows = index_rows(self.rules, level, state.values.get(key) or {}, supplied)
        previous = state.emitted.get(key, {})
        for kpi, (value, detail) in rows.items():
            if previous.get(kpi) != (value, detail):
                update = KpiUpdate(kpi, unit, level, grain, period, value, None, None, updated_at, detail)
                await self.send(self.out, update.key.encode(), update.to_json(), target, [])
        for kpi in set(previous) - set(rows):   # the unit lost its data for that period
            await self.send(self.out, f"{kpi}|{unit}|{grain}|{period}".encode(), None, target, [])
        state.emitted[key] = rows
