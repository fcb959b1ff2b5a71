"""Telecom KPIs (contract 4, `telecom.*`): sites out of service, communes cut off, availability.

A site is known once it has an inventory record; its commune is that of the inventory record
with the latest `valid_from`, and all its counters count there ("the commune's sites"): when a
later inventory moves the site, its counters move with it, so the result never depends on the
order records arrive in. Alarms and counters that came before any inventory wait for it.
An alarm's state is that of its record with the latest `event_time` (a clear at the same
instant as a raise wins); a site is out while one of its alarms is raised with an outage cause
at critical or major severity. Counters are deduplicated by (site_id, period_start).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contract.periods import periods_of
from contract.timestamps import parse_valid_ts
from contract.units import COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import Family, Fold, KpiRow, SourceKpis, period_keys

OUTAGE_CAUSES = frozenset({"site_down", "cell_outage", "transmission_down"})
OUTAGE_SEVERITIES = frozenset({"critical", "major"})
NANO = 1_000_000_000   # availability percentages are summed as integer nano-percent: exact sums
STATE_ORDER = {"raised": 0, "cleared": 1}
QUARTER_US, DAY_US = 900_000_000, 86_400_000_000


@dataclass
class Site:
    inventory: dict[int, str] = field(default_factory=dict)              # valid_from -> commune
    operator: str | None = None
    alarms: dict[str, tuple[int, int, bool]] = field(default_factory=dict)   # id -> (ts, state order, outage)
    # Counters summed per local day ([an instant of that day, count, nano-percent sum]): enough to
    # move them to another commune, at ~365 entries a year instead of ~35,000 counters.
    days: dict[str, list[int]] = field(default_factory=dict)
    # Which (site, period_start) were counted: a 96-bit mask per UTC day of quarter hours, and an
    # exact set for starts off the quarter hour.
    slots: dict[int, int] = field(default_factory=dict)
    odd_starts: set[int] = field(default_factory=set)

    def first_time(self, period_start: int) -> bool:
        if period_start % QUARTER_US:
            new = period_start not in self.odd_starts
            self.odd_starts.add(period_start)
            return new
        day, bit = divmod(period_start, DAY_US)
        mask, flag = self.slots.get(day, 0), 1 << (bit // QUARTER_US)
        self.slots[day] = mask | flag
        return not mask & flag

    @property
    def commune(self) -> str | None:
        return self.inventory[max(self.inventory)] if self.inventory else None

    @property
    def out(self) -> bool:
        return any(outage and state == STATE_ORDER["raised"] for _, state, outage in self.alarms.values())

    @property
    def out_since(self) -> int | None:
        """When the earliest of the outage alarms still raised was raised."""
        raised = [
            ts for ts, state, outage in self.alarms.values() if outage and state == STATE_ORDER["raised"]
        ]
        return min(raised) if raised else None


class SiteFold(Fold):
    def __init__(self, units: UnitRegistry) -> None:
        super().__init__(units)
        self.sites: dict[str, Site] = {}

    def apply(self, record: dict[str, Any], arrival_us: int | None = None) -> None:
        site = self.sites.setdefault(record["site_id"], Site())
        kind = record["kind"]
        site.operator = record.get("operator") or site.operator
        if kind != "pm":
            self.changed.add(record["site_id"])
        if kind == "site":
            before = site.commune
            site.inventory[parse_valid_ts(record["valid_from"])] = record["commune"]
            if site.commune != before:
                self._rehome(site, before, site.commune)  # type: ignore[arg-type]
        elif kind == "alarm":
            ts, state = parse_valid_ts(record["event_time"]), STATE_ORDER[record["state"]]
            previous = site.alarms.get(record["alarm_id"])
            if previous is None or (ts, state) > previous[:2]:
                outage = record["probable_cause"] in OUTAGE_CAUSES and record["severity"] in OUTAGE_SEVERITIES
                site.alarms[record["alarm_id"]] = (ts, state, outage)
        else:
            self._counter(
                site, parse_valid_ts(record["period_start"]), round(float(record["availability_pct"]) * NANO)
            )

    def entities(self) -> list[str]:
        return list(self.sites)

    def detail(self, entity: str) -> dict[str, Any]:
        site = self.sites[entity]
        return {
            "site_id": entity,
            "commune": site.commune,
            "operator": site.operator,
            "known": site.commune is not None,
            "out": site.out,
            "out_since": site.out_since,
        }

    def _counter(self, site: Site, start: int, value: int) -> None:
        if not site.first_time(start):
            return
        day = site.days.setdefault(periods_of(start, self.units.timezone)[0][1], [start, 0, 0])
        day[1] += 1
        day[2] += value
        if site.commune is not None:
            self._add(site.commune, start, (1, value), +1, with_province=True)

    def _rehome(self, site: Site, old: str | None, new: str) -> None:
        """Move every counter of the site to its new commune (the province only gains at first)."""
        for instant, n, total in site.days.values():
            if old is not None:
                self._add(old, instant, (n, total), -1, with_province=False)
            self._add(new, instant, (n, total), +1, with_province=old is None)

    def _add(self, commune: str, instant: int, vec: tuple[int, int], sign: int, with_province: bool) -> None:
        units = (commune, self.units.province.code) if with_province else (commune,)
        self.partials.add(dict.fromkeys(period_keys("availability", instant, units, self.units), vec), sign)

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
    drill_down = True
    families = (
        Family("availability", 2, _availability, (COMMUNE, PROVINCE)),
        Family(
            "sites_out",
            1,
            lambda v: [("telecom.sites_out", v[0], None, None)],
            (COMMUNE, PROVINCE),
            live=True,
        ),
        Family("cutoff", 2, _cutoff, (COMMUNE,), live=True),
    )

    def new_fold(self, units: UnitRegistry, late_us: int | None = None) -> Fold:
        return SiteFold(units)  # per site and day, not per record: no horizon needed (README)
