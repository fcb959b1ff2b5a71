"""Population / VNeID KPIs (contract 4, `population.*`), per commune and the province.

Activations count distinct citizens (`citizen_ref`) per unit and period: a citizen activated in
two communes in one month counts once in each commune and once in the province. Their records
share a partition (keyed by citizen), so the distinct count is exact without a global set.
Verifications are additive (ok / all, `error` included) and feed the p95 latency as samples.
"""
from __future__ import annotations

from typing import Any, Sequence

from connectors.timestamps import parse_valid_ts
from ioc.units import COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import AggKey, Family, Fold, KpiRow, SourceKpis, period_keys, quantile_cont, ratio

LEVELS = (COMMUNE, PROVINCE)


class IdentityFold(Fold):
    def __init__(self, units: UnitRegistry) -> None:
        super().__init__(units)
        self.activated: dict[str, set[AggKey]] = {}   # citizen -> activation keys already counted
        self.verified: set[int] = set()               # hashes of verification event ids counted

    def apply(self, record: dict[str, Any]) -> None:
        kind = record["kind"]
        units = (record["commune"], self.units.province.code)
        instant = parse_valid_ts(record["event_time"])
        if kind == "eid_activated" and record.get("level") == 2:
            counted = self.activated.setdefault(record["citizen_ref"], set())
            new = [k for k in period_keys("activations", instant, units, self.units) if k not in counted]
            counted.update(new)
            self.partials.add({k: (1,) for k in new}, +1)
        elif kind == "verification" and self._first_time(record["event_id"]):
            keys = period_keys("verify", instant, units, self.units)
            self.partials.add({k: (1, record["result"] == "ok") for k in keys}, +1)
            self.samples.add([("latency", *k[1:]) for k in keys], float(record["latency_ms"]))


    def _first_time(self, event_id: str) -> bool:
        """A verification counts once even if delivered twice (64-bit hashes: ~60 bytes each)."""
        h = hash(event_id)
        if h in self.verified:
            return False
        self.verified.add(h)
        return True


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

    def new_fold(self, units: UnitRegistry) -> Fold:
        return IdentityFold(units)
