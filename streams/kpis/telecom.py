"""Telecom KPIs (contract 4, `telecom.*`): sites out of service, communes cut off, availability.

A site is known once it has an inventory record; its commune is that of the inventory record
with the latest `valid_from`. Alarms and counters that came first wait for it and then count.
An alarm's state is that of its record with the latest `event_time` (a clear at the same
instant as a raise wins); a site is out while one of its alarms is raised with an outage cause
at critical or major severity. Counters count in the commune the site had when they were
folded in (or its first commune, for counters that came before any inventory).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from connectors.timestamps import parse_valid_ts
from ioc.units import COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import Family, Fold, KpiRow, SourceKpis, period_keys

OUTAGE_CAUSES = frozenset({"site_down", "cell_outage", "transmission_down"})
OUTAGE_SEVERITIES = frozenset({"critical", "major"})
NANO = 1_000_000_000   # availability percentages are summed as integer nano-percent: exact sums
STATE_ORDER = {"raised": 0, "cleared": 1}


@dataclass
class Site:
    inventory: dict[int, str] = field(default_factory=dict)              # valid_from -> commune
    alarms: dict[str, tuple[int, int, bool]] = field(default_factory=dict)   # id -> (ts, state order, outage)
    waiting: list[tuple[int, int]] = field(default_factory=list)         # counters before inventory

    @property
    def commune(self) -> str | None:
        return self.inventory[max(self.inventory)] if self.inventory else None

    @property
    def out(self) -> bool:
        return any(outage and state == STATE_ORDER["raised"] for _, state, outage in self.alarms.values())


class SiteFold(Fold):
    def __init__(self, units: UnitRegistry) -> None:
        super().__init__(units)
        self.sites: dict[str, Site] = {}

    def apply(self, record: dict[str, Any]) -> None:
        site = self.sites.setdefault(record["site_id"], Site())
        kind = record["kind"]
        if kind == "site":
            site.inventory[parse_valid_ts(record["valid_from"])] = record["commune"]
            for period_start, value in site.waiting:
                self._count(site.commune, period_start, value)   # type: ignore[arg-type]
            site.waiting.clear()
        elif kind == "alarm":
            ts, state = parse_valid_ts(record["event_time"]), STATE_ORDER[record["state"]]
            previous = site.alarms.get(record["alarm_id"])
            if previous is None or (ts, state) > previous[:2]:
                outage = record["probable_cause"] in OUTAGE_CAUSES and record["severity"] in OUTAGE_SEVERITIES
                site.alarms[record["alarm_id"]] = (ts, state, outage)
        else:
            value = round(float(record["availability_pct"]) * NANO)
            start = parse_valid_ts(record["period_start"])
            if site.commune is None:
                site.waiting.append((start, value))
            else:
                self._count(site.commune, start, value)

    def _count(self, commune: str, period_start: int, value: int) -> None:
        units = (commune, self.units.province.code)
        self.partials.add({k: (1, value) for k in period_keys("availability", period_start, units, self.units)}, +1)

    def live(self, now_us: int) -> dict[str, dict[str, int | tuple[int, ...]]]:
        known: dict[str, int] = {}
        out: dict[str, int] = {}
        for site in self.sites.values():
            commune = site.commune
            if commune is not None:
                known[commune] = known.get(commune, 0) + 1
                out[commune] = out.get(commune, 0) + int(site.out)
        sites_out: dict[str, int | tuple[int, ...]] = dict(out)
        sites_out[self.units.province.code] = sum(out.values())
        return {"sites_out": sites_out, "cutoff": {c: (known[c], out[c]) for c in known}}


def _availability(v: Sequence[int]) -> list[KpiRow]:
    n, total = v
    return [("telecom.availability", total / n / NANO / 100 if n else None, None, None)]


def _cutoff(v: Sequence[int]) -> list[KpiRow]:
    known, out = v
    return [("telecom.commune_cut_off", int(known > 0 and out == known), None, None)]


class TelecomKpis(SourceKpis):
    source = "telecom"
    domain = "telecom"
    families = (
        Family("availability", 2, _availability, (COMMUNE, PROVINCE)),
        Family("sites_out", 1, lambda v: [("telecom.sites_out", v[0], None, None)], (COMMUNE, PROVINCE), live=True),
        Family("cutoff", 2, _cutoff, (COMMUNE,), live=True),
    )

    def new_fold(self, units: UnitRegistry) -> Fold:
        return SiteFold(units)



