"""Contracts of the pure KPI layer.

A source's KPIs are computed in two steps that the engine runs on separate stages:

1. a `Fold` owns the entities of one input partition (dossiers, documents, sites...). Applying a
   record updates the entity and moves its contribution in `Partials`: additive counter vectors
   per aggregate key (family, unit, grain, period). Contributions are subtracted and re-added
   whole, so a late or corrected record moves the entity to its right period and flags.
2. a `Family` turns the sum of the partials of all partitions into KPI values.

Vectors hold integers only (durations in microseconds), so sums are exact in any order.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ioc.periods import LIVE, periods_of
from ioc.units import UnitRegistry

AggKey = tuple[str, str, str, str]          # family, unit, grain, period
Vector = list[int]
KpiRow = tuple[str, Any, Any, Any]          # kpi, value, numerator, denominator


@dataclass(frozen=True)
class Family:
    """A set of KPIs computed from one counter vector; `size` counters, the first is the base set."""
    name: str
    size: int
    formulas: Callable[[Sequence[int]], list[KpiRow]]
    levels: tuple[str, ...]       # unit levels the KPIs apply to
    live: bool = False

    def kpis(self, vec: Sequence[int]) -> list[KpiRow]:
        return self.formulas(vec)


def ratio(num: int, den: int) -> float | None:
    """A fraction in [0, 1]; null (not 0) when the denominator is zero (contract 5)."""
    return num / den if den else None


@dataclass
class Partials:
    """Additive partial sums of one partition, with the keys changed since the last drain."""
    sums: dict[AggKey, Vector] = field(default_factory=dict)
    dirty: set[AggKey] = field(default_factory=set)

    def add(self, contributions: dict[AggKey, Sequence[int]], sign: int) -> None:
        for key, vec in contributions.items():
            acc = self.sums.get(key)
            if acc is None:
                acc = self.sums[key] = [0] * len(vec)
            for i, v in enumerate(vec):
                acc[i] += sign * v
            self.dirty.add(key)

    def drain(self) -> dict[AggKey, Vector]:
        """The changed keys and their current sums; forgets the change marks."""
        out = {k: list(self.sums[k]) for k in self.dirty}
        self.dirty.clear()
        return out


class Fold(ABC):
    """State of one input partition of one source (pure: no Faust, no I/O)."""

    def __init__(self, units: UnitRegistry) -> None:
        self.units = units
        self.partials = Partials()

    @abstractmethod
    def apply(self, record: dict[str, Any]) -> None:
        """Fold one validated source record in (idempotent for a record already applied)."""

    def live(self, now_us: int) -> dict[str, dict[str, int]]:
        """Live KPI counts per family and unit at `now_us` (units with zero may be omitted)."""
        return {}


class SourceKpis(ABC):
    """Everything the engine needs to know about one source's KPIs."""

    source: str
    domain: str
    families: tuple[Family, ...]

    @abstractmethod
    def new_fold(self, units: UnitRegistry) -> Fold:
        ...

    def family(self, name: str) -> Family:
        return next(f for f in self.families if f.name == name)


def spread(families_periods: dict[str, int | None], vectors: dict[str, Sequence[int]],
           units: Sequence[str], registry: UnitRegistry) -> dict[AggKey, Sequence[int]]:
    """Contributions of one entity: each family's vector at the periods of its instant, per unit."""
    out: dict[AggKey, Sequence[int]] = {}
    for fam, instant in families_periods.items():
        if instant is None:
            continue
        for grain, period in periods_of(instant, registry.timezone):
            for unit in units:
                out[(fam, unit, grain, period)] = vectors[fam]
    return out


def live_key(family: str, unit: str) -> AggKey:
    return (family, unit, LIVE, LIVE)
