"""Contracts of the pure KPI layer.

A source's KPIs are computed in two steps that the engine runs on separate stages:

1. a `Fold` owns the entities of one input partition (dossiers, documents, sites...). Applying a
   record updates the entity and moves its contribution in `Partials`: additive counter vectors
   per aggregate key (family, unit, grain, period). Contributions are subtracted and re-added
   whole, so a late or corrected record moves the entity to its right period and flags.
2. a `Family` turns the sum of the partials of all partitions into KPI values.

Vectors hold integers only (durations in microseconds), so sums are exact in any order.
A percentile is not additive: a `samples` family keeps the values themselves, append-only.
"""
from __future__ import annotations

import operator
from abc import ABC, abstractmethod
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from contract.periods import LIVE, periods_of
from contract.units import UnitRegistry

AggKey = tuple[str, str, str, str]          # family, unit, grain, period
Vector = list[int]
KpiRow = tuple[str, Any, Any, Any]          # kpi, value, numerator, denominator


@dataclass(frozen=True)
class Family:
    """A set of KPIs computed from one counter vector (`size` counters, the first is the base set),
    or, for a `samples` family, from the sorted values themselves (the base set is their count)."""
    name: str
    size: int
    formulas: Callable[[Sequence[Any]], list[KpiRow]]
    levels: tuple[str, ...]       # unit levels the KPIs apply to
    live: bool = False
    samples: bool = False

    def kpis(self, vec: Sequence[Any]) -> list[KpiRow]:
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
        combine = operator.add if sign > 0 else operator.sub   # element-wise in C: the hottest loop
        for key, vec in contributions.items():
            acc = self.sums.get(key)
            if acc is None:
                acc = self.sums[key] = [0] * len(vec)
            acc[:] = map(combine, acc, vec)
            self.dirty.add(key)

    def drain(self) -> dict[AggKey, Vector]:
        """The changed keys and their current sums; forgets the change marks."""
        out = {k: list(self.sums[k]) for k in self.dirty}
        self.dirty.clear()
        return out


@dataclass
class Samples:
    """Values per aggregate key, append-only; `sent` counts what was already reported. Kept as
    arrays of doubles: a year of latency samples is millions of values, 8 bytes each, not 32."""
    values: dict[AggKey, array[float]] = field(default_factory=dict)
    sent: dict[AggKey, int] = field(default_factory=dict)

    def add(self, keys: Sequence[AggKey], value: float) -> None:
        for key in keys:
            self.values.setdefault(key, array("d")).append(value)

    def drain(self) -> dict[AggKey, tuple[int, list[float]]]:
        """Per key: the index of the first unreported value, and the unreported values."""
        out = {}
        for key, values in self.values.items():
            start = self.sent.get(key, 0)
            if start < len(values):
                out[key] = (start, values[start:].tolist())
                self.sent[key] = len(values)
        return out

    def resend_all(self) -> None:
        self.sent.clear()

    def forget(self, expired: Callable[[AggKey], bool]) -> None:
        """Drop the values of closed periods once they were reported (no new value can come)."""
        for key in [k for k in self.values if expired(k) and self.sent.get(k, 0) >= len(self.values[k])]:
            del self.values[key]
            self.sent.pop(key, None)


def quantile_cont(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (DuckDB quantile_cont, NumPy's default)."""
    if not sorted_values:
        return None
    h = (len(sorted_values) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


# One family's share of an entity: the instant that picks its periods, and its counter vector.
Share = tuple[int, tuple[int, ...]] | None


class EntityViews:
    """Each entity's current unit and family shares. A new record re-derives the entity's view,
    and only the families whose share (or unit) changed move in the partial sums."""

    def __init__(self, partials: Partials, registry: UnitRegistry) -> None:
        self.partials, self.registry = partials, registry
        self.views: dict[str, tuple[str, dict[str, Share]]] = {}

    def move(self, entity: str, unit: str, shares: dict[str, Share]) -> None:
        old_unit, old_shares = self.views.get(entity, ("", {}))
        self.views[entity] = (unit, shares)
        for family, share in shares.items():
            before = old_shares.get(family)
            if before == share and old_unit == unit:
                continue
            if before is not None:
                self.partials.add(self._spread(family, before, old_unit), -1)
            if share is not None:
                self.partials.add(self._spread(family, share, unit), +1)

    def _spread(self, family: str, share: tuple[int, tuple[int, ...]],
                unit: str) -> dict[AggKey, Sequence[int]]:
        instant, vec = share
        return dict.fromkeys(
            period_keys(family, instant, (unit, self.registry.province.code), self.registry), vec
        )


def share(instant: int | None, *counters: int | bool) -> Share:
    return None if instant is None else (instant, tuple(int(c) for c in counters))


class Fold(ABC):
    """State of one input partition of one source (pure: no Faust, no I/O)."""

    def __init__(self, units: UnitRegistry) -> None:
        self.units = units
        self.partials = Partials()
        self.samples = Samples()
        self.changed: set[str] = set()  # entities whose drill-down detail changed
        self.parting: dict[str, dict[str, Any]] = {}  # last details of entities forgotten since the drain

    @abstractmethod
    def apply(self, record: dict[str, Any], arrival_us: int | None = None) -> None:
        """Fold one validated source record in (idempotent for a record already applied).
        `arrival_us` (the gateway's received_at) drives the horizon; None: no horizon."""

    def entities(self) -> list[str]:
        """Every entity with a drill-down detail (none unless the source offers drill-down)."""
        return []

    def detail(self, entity: str) -> dict[str, Any]:
        """The drill-down row of one entity: the facts behind its contribution to the KPIs."""
        raise NotImplementedError

    def drain_details(self, everything: bool = False) -> dict[str, dict[str, Any]]:
        keys = self.entities() if everything else self.changed
        out = {key: self.detail(key) for key in keys}
        out.update(self.parting)
        self.changed.clear()
        self.parting.clear()
        return out

    def drain_parting(self) -> dict[str, dict[str, Any]]:
        """Only the last details of entities forgotten since the last drain."""
        out, self.parting = self.parting, {}
        return out

    def live(self, now_us: int) -> dict[str, dict[str, int | tuple[int, ...]]]:
        """Live KPI counters per family and unit at `now_us` (units at zero may be omitted)."""
        return {}


class SourceKpis(ABC):
    """Everything the engine needs to know about one source's KPIs."""

    source: str
    domain: str
    families: tuple[Family, ...]
    drill_down: bool = False  # its fold offers per-entity details (tables and views in DuckDB)

    @abstractmethod
    def new_fold(self, units: UnitRegistry, late_us: int | None = None) -> Fold:
        """A fold refusing records that arrive more than `late_us` late (streams/kpis/horizon.py)."""

    def family(self, name: str) -> Family:
        return next(f for f in self.families if f.name == name)


def period_keys(family: str, instant: int, units: Sequence[str], registry: UnitRegistry) -> list[AggKey]:
    return [
        (family, unit, grain, period)
        for grain, period in periods_of(instant, registry.timezone)
        for unit in units
    ]


def live_key(family: str, unit: str) -> AggKey:
    return (family, unit, LIVE, LIVE)


def fold_record(fold: Fold, text: bytes | str, arrival_us: int | None) -> Exception | None:
    """Fold one raw record (JSON text) in; a refusal (TooLate, or anything the fold raises) is
    returned, not raised: the live stages make it a dead letter, the replay counts it."""
    try:
        fold.apply(orjson.loads(text), arrival_us)
    except Exception as exc:  # noqa: BLE001 - a bad record must never stop a fold
        return exc
    return None


def live_vectors(kpis: SourceKpis, fold: Fold, now_us: int) -> dict[AggKey, list[int]]:
    """Every live KPI's counter vector per unit of its levels at `now_us`, zeros included (a unit
    whose count went back to zero must show it)."""
    counts = fold.live(now_us)
    out: dict[AggKey, list[int]] = {}
    for family in kpis.families:
        if family.live:
            per_unit = counts.get(family.name, {})
            for unit in fold.units.of_level(*family.levels):
                value = per_unit.get(unit.code, 0)
                out[live_key(family.name, unit.code)] = list(value) if isinstance(value, tuple) else [value]
    return out
