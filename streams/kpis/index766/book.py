"""The index's book: the latest dvc KPI values per unit and period, and the index rows last sent
for each. The index stage keeps one per partition; `ioc replay` one for everything (pure)."""
from __future__ import annotations

from typing import Any

from contract.records import KpiUpdate, kpi_key
from contract.units import UnitRegistry
from streams.kpis.index766.rules import Index766
from streams.kpis.index766.score import index_rows

UnitPeriod = tuple[str, str, str]   # unit, grain, period


class IndexBook:
    def __init__(self, index766: Index766, units: UnitRegistry) -> None:
        self.rules, self.supplied, self.units = index766.rules, index766.supplied, units
        self.values: dict[UnitPeriod, dict[str, tuple[Any, Any, Any]]] = {}
        self.sent: dict[UnitPeriod, dict[str, Any]] = {}
        self.dirty: set[UnitPeriod] = set()

    def put(self, kpi: str, unit: str, grain: str, period: str, update: KpiUpdate | None) -> None:
        """A dvc KPI's new value (None: retracted); grains the rules do not score are left out."""
        if grain not in self.rules.grains:
            return
        values = self.values.setdefault((unit, grain, period), {})
        if update is None:
            values.pop(kpi, None)
        else:
            values[kpi] = (update.value, update.numerator, update.denominator)
        self.dirty.add((unit, grain, period))

    def drain(self, updated_at: str) -> list[tuple[UnitPeriod, list[KpiUpdate], list[str]]]:
        """Per changed unit and period: the index rows that changed, and the keys of rows to retract
        (the unit lost its dvc data for that period)."""
        out = []
        for key in self.dirty:
            unit, grain, period = key
            level = self.units.level(unit) or "unknown"
            rows = index_rows(
                self.rules, level, self.values.get(key) or {}, self.supplied.for_unit(unit, period)
            )
            previous = self.sent.get(key, {})
            updates = [
                KpiUpdate(kpi, unit, level, grain, period, value, None, None, updated_at, detail)
                for kpi, (value, detail) in rows.items()
                if previous.get(kpi) != (value, detail)
            ]
            retracted = [kpi_key(kpi, unit, grain, period) for kpi in set(previous) - set(rows)]
            self.sent[key] = rows
            out.append((key, updates, retracted))
        self.dirty.clear()
        return out
