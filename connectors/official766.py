"""Official 766 figures (official766): the national portal's points per unit, period, group and
component, as the portal766 adapter maps them from the portal's reporting JSON or a CSV.

A record: `unit`, `period` (month 2026-11, quarter 2026-Q4 or year 2026), `group` (a 766 group's
code), `component` (a component's code; empty when the portal gives only the group's points),
`points`, optional `max_points` and `issued_at` (when the figure was read off the portal), and
`period_start`, the event time (the period's first instant in the province's time). Which groups
and components exist, and their maxima, is the 766 rules file's business: the adapter checks them.
"""
from __future__ import annotations

from typing import Any

from connectors.base import Accepted, Rejected, SourceSpec
from connectors.fields import NUMBER, STR, TS, Field
from contract.periods import grain_of
from contract.timestamps import parse_ts
from contract.units import UnitRegistry

SCORED_GRAINS = ("month", "quarter", "year")

FIELDS = (
    Field("unit", STR, required=True, unit=lambda units, code: code in units.units),
    Field("period", STR, required=True),
    Field("group", STR, required=True),
    Field("component", STR),
    Field("points", NUMBER, required=True, within=(0, 100)),
    Field("max_points", NUMBER, within=(0, 100)),
    Field("issued_at", TS),
    Field("period_start", TS, required=True),
)


def period_grain(period: str) -> str | None:
    """The grain of a period the index scores (month, quarter, year), else None."""
    try:
        grain = grain_of(period)
    except ValueError:
        return None
    return grain if grain in SCORED_GRAINS else None


class Official766Source(SourceSpec):
    name = "official766"

    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        return FIELDS

    def event_time_field(self, record: dict[str, Any]) -> str:
        return "period_start"

    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        # The figure itself is part of its identity: a re-issued figure is a new record (the later
        # one wins in index766_official); the same figure sent again is a duplicate.
        issued = parse_ts(record["issued_at"]) if record.get("issued_at") else None
        return (record["unit"], record["period"], record["group"], record.get("component") or "",
                float(record["points"]), issued)

    def key(self, record: dict[str, Any]) -> str:
        return str(record["unit"])

    def check(
        self, value: Any, received_us: int, tolerance_us: int, units: UnitRegistry
    ) -> Accepted | Rejected:
        outcome = super().check(value, received_us, tolerance_us, units)
        if isinstance(outcome, Accepted) and period_grain(value["period"]) is None:
            return Rejected("bad_type:period")
        return outcome
