"""Population / VNeID KPIs (contract 4, `population.*`), per commune and the province.

Activations count distinct citizens (`citizen_ref`) per unit and period: a citizen activated in
two communes in one month counts once in each commune and once in the province. Their records
share a partition (keyed by citizen), so the distinct count is exact without a global set.
Verifications are additive (ok / all, `error` included) and feed the p95 latency as samples.
State is kept per local year of the event (the longest period a distinct count spans); an event
older than the horizon when it arrives is refused, so a year's state goes once the horizon has
passed its end (streams/kpis/horizon.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from contract.timestamps import parse_valid_ts
from contract.units import COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import (
    AggKey,
    Family,
    Fold,
    KpiRow,
    SourceKpis,
    period_keys,
    quantile_cont,
    ratio,
)
from streams.kpis.horizon import Clock, TooLate, digest64

LEVELS = (COMMUNE, PROVINCE)


class IdentityFold(Fold):
    def __init__(self, units: UnitRegistry, late_us: int | None = None) -> None:
        super().__init__(units)
        self.clock = Clock(late_us)
        self.activated: dict[int, dict[str, set[AggKey]]] = {}   # year -> citizen -> activation keys counted
        self.verified: dict[int, set[int]] = {}                   # year -> hashes of verification ids counted

    def apply(self, record: dict[str, Any], arrival_us: int | None = None) -> None:
        kind = record["kind"]
        units = (record["commune"], self.units.province.code)
        instant = parse_valid_ts(record["event_time"])
        if self.clock.advance(arrival_us):
            self._forget()
        if self.clock.too_late(arrival_us, instant):
            raise TooLate(f"the event happened more than {self.clock.late_days:g} days before it arrived")
        keys = period_keys("activations" if kind == "eid_activated" else "verify", instant, units, self.units)
        year = int(keys[-1][3])   # the year key comes last
        if kind == "eid_activated" and record.get("level") == 2:
            counted = self.activated.setdefault(year, {}).setdefault(record["citizen_ref"], set())
            new = [k for k in keys if k not in counted]
            counted.update(new)
            self.partials.add(dict.fromkeys(new, (1,)), +1)
        elif kind == "verification" and self._first_time(year, record["event_id"]):
            self.partials.add(dict.fromkeys(keys, (1, record["result"] == "ok")), +1)
            self.samples.add([("latency", *k[1:]) for k in keys], float(record["latency_ms"]))

    def _first_time(self, year: int, event_id: str) -> bool:
        """A verification counts once even if delivered twice (64-bit hashes: ~60 bytes each)."""
        seen = self.verified.setdefault(year, set())
        h = digest64(event_id)
        if h in seen:
            return False
        seen.add(h)
        return True

    def _forget(self) -> None:
        """Years whose end is past the horizon: no record can count in them any more."""
        tz = self.units.timezone
        for year in [
            y
            for y in {*self.activated, *self.verified}
            if self.clock.forgettable(int(datetime(y + 1, 1, 1, tzinfo=tz).timestamp() * 1_000_000))
        ]:
            self.activated.pop(year, None)
            self.verified.pop(year, None)
            self.samples.forget(_of_year(str(year)))


def _p95(values: Sequence[float]) -> list[KpiRow]:
    return [("population.verify_latency_p95_ms", quantile_cont(values, 0.95), None, None)]


def _verify(v: Sequence[int]) -> list[KpiRow]:
    n, ok = v
    return [("population.verify_success_rate", ratio(ok, n), ok, n)]


class PopulationKpis(SourceKpis):
    source = "population"
    domain = "population"
    families = (
        Family("activations", 1, lambda v: [("population.eid_activations", v[0], None, None)], LEVELS),
        Family("verify", 2, _verify, LEVELS),
        Family("latency", 0, _p95, LEVELS, samples=True),
    )

    def new_fold(self, units: UnitRegistry, late_us: int | None = None) -> Fold:
        return IdentityFold(units, late_us)


def _of_year(year: str) -> Callable[[AggKey], bool]:
    """Aggregate keys of the periods within `year` (its days, months, quarters and the year)."""
    return lambda key: key[3].startswith(year)
