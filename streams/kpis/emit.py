"""KPI update messages from KPI rows: one way, for the live stages and `ioc replay` alike."""
from __future__ import annotations

from collections.abc import Sequence

from contract.records import KpiUpdate
from contract.units import UnitRegistry
from streams.kpis.base import AggKey, KpiRow


def kpi_updates(units: UnitRegistry, key: AggKey, rows: Sequence[KpiRow], updated_at: str) -> list[KpiUpdate]:
    """The update messages of one aggregate key's rows (its unit, grain and period)."""
    _, unit, grain, period = key
    level = units.level(unit) or "unknown"
    return [KpiUpdate(kpi, unit, level, grain, period, value, numerator, denominator, updated_at)
            for kpi, value, numerator, denominator in rows]
