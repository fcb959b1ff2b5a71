"""Telecom operators (contract 2.4): inventory, 15-minute counters and alarms.

First every site's inventory record, then one `pm` record per site and quarter hour (the bulk of
all traffic: 96 a day per site), delivered in one file per operator a few minutes after the
quarter ends. Alarms: background faults raised and cleared at a few per site and month, and
storms: a grid failure in a remote commune (mains_failure on every site, battery_low, then
site_down when each battery runs flat, all cleared hours later when power returns, so the
commune is cut off for a while) or a fibre cut that isolates part of a commune. Counters show
the lost availability and traffic of every outage.
"""
from __future__ import annotations

from simulator.base import Record, Source
from simulator.clock import HOUR, QUARTER, next_boundary
from simulator.telecom_sites import Site, layout, site_record
from simulator.world import World

# Traffic by local hour relative to the busy hour.
TRAFFIC_BY_HOUR = (0.25, 0.15, 0.1, 0.08, 0.08, 0.15, 0.35, 0.6, 0.8, 0.9, 0.95, 1.0,
                   0.9, 0.85, 0.85, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0, 0.95, 0.7, 0.45)
# Background faults: cause, severity, raises per site and day, duration range (s), share of the
# site's service lost while raised (a cell outage takes one sector of three).
BACKGROUND = (
    ("door_open", "warning", 0.05, (120, 1800), 0.0),
    ("high_temperature", "minor", 0.06, (1800, 4 * HOUR), 0.0),
    ("battery_low", "minor", 0.03, (1800, 3 * HOUR), 0.0),
    ("rectifier_fault", "minor", 0.01, (HOUR, 8 * HOUR), 0.0),
    ("transmission_down", "major", 0.015, (300, 2 * HOUR), 1.0),
    ("cell_outage", "major", 0.025, (600, 1.5 * HOUR), 0.34),
)
STORM_MEAN_GAP = 48 * HOUR
FIRST_STORM = (1 * HOUR, 6 * HOUR)    # early, so that a demo shows one soon
STORM_RECORDS_PER_SITE_DAY = 0.07   # ~5 records per site of a struck commune, every other day


class TelecomSource(Source):
    name = "telecom"

    @classmethod
    def records_per_day(cls, world: World) -> float:
        alarms = 2 * sum(b[2] for b in BACKGROUND) * world.rate_scale
        return world.sites * (96 + alarms + STORM_RECORDS_PER_SITE_DAY)

    def setup(self, start: float) -> None:
        self.sites = layout(self.world)
        self.by_commune: dict[str, list[Site]] = {}
        for site in self.sites:
            self.by_commune.setdefault(site.commune.code, []).append(site)
            self.emit(start, site_record(site, self.cal.iso(site.valid_from)))
        self.lost: dict[str, list[tuple[float, float, float]]] = {}   # site -> (from, to, share)
        self.alarms = 0
        first = next_boundary(start - 1e-6, QUARTER)   # the first whole quarter hour
        self.at(first + QUARTER, self._quarter, first)
        self.hourly(self._background)
        self.at(start + self.rng.uniform(*FIRST_STORM), self._storm)

    # -- counters ---------------------------------------------------------------------------------
    def _quarter(self, end: float, period: float) -> None:
        self.at(end + QUARTER, self._quarter, end)
        iso = self.cal.iso(period)
        busy = TRAFFIC_BY_HOUR[self.cal.hour_of(period)[0]]
        files: dict[str, list[Record]] = {}
        for site in self.sites:
            files.setdefault(site.operator, []).append(self._pm(site, period, iso, busy))
        delivered = {site.operator: site.delay_s for site in self.sites}
        for operator, records in files.items():
            self.at(end + delivered[operator], self._deliver_file, records)

    def _deliver_file(self, t: float, records: list[Record]) -> None:
        for record in records:
            self.emit(t, record)

    def _pm(self, site: Site, period: float, iso: str, busy: float) -> Record:
        rng = self.rng
        up = 1.0 - self._lost_share(site.site_id, period)
        if up == 1.0 and rng.random() < 0.03:
            up = rng.uniform(0.97, 0.999)            # a cell restart, a short radio fault
        level = site.load * busy * rng.uniform(0.85, 1.15) * up
        return {"kind": "pm", "site_id": site.site_id, "period_start": iso, "period_s": 900,
                "availability_pct": round(100 * up, 2), "traffic_erl": round(0.9 * level, 3),
                "data_mb": round(650 * level * site.data_factor, 1), "users": round(45 * level)}

    def _lost_share(self, site_id: str, period: float) -> float:
        spans = self.lost.get(site_id)
        if not spans:
            return 0.0
        end, lost = period + QUARTER, 0.0
        for a, b, share in spans:
            lost += max(0.0, min(b, end) - max(a, period)) * share
        spans[:] = [s for s in spans if s[1] > end]   # later quarters no longer need the past ones
        if not spans:
            del self.lost[site_id]
        return min(1.0, lost / QUARTER)

    # -- alarms -----------------------------------------------------------------------------------
    def _alarm(self, site: Site, cause: str, severity: str, raised: float, cleared: float,
               share: float = 0.0) -> None:
        self.alarms += 1
        alarm_id = f"{site.site_id}-{self.world.tag}-{self.alarms:07d}"
        for t, state in ((raised, "raised"), (cleared, "cleared")):
            self.emit(
                t,
                {
                    "kind": "alarm",
                    "alarm_id": alarm_id,
                    "site_id": site.site_id,
                    "operator": site.operator,
                    "probable_cause": cause,
                    "severity": severity,
                    "state": state,
                    "event_time": self.cal.iso(t),
                },
            )
        if share:
            self.lost.setdefault(site.site_id, []).append((raised, cleared, share))

    def _background(self, t: float, end: float) -> None:
        hour = self.cal.hour_of(t)[0]
        part = (end - t) / HOUR * self.world.rate_scale
        for cause, severity, per_day, (shortest, longest), share in BACKGROUND:
            heat = 2.5 if cause == "high_temperature" and 11 <= hour < 17 else 1.0
            for at in self.uniform_times(t, end, self.poisson(len(self.sites) * per_day / 24 * part * heat)):
                self.at(at, self._fault, self.pick(self.sites), cause, severity, (shortest, longest), share)

    def _fault(
        self, t: float, site: Site, cause: str, severity: str, span: tuple[float, float], share: float
    ) -> None:
        self._alarm(site, cause, severity, t, t + self.rng.uniform(*span), share)

    def _storm(self, t0: float) -> None:
        self.at(t0 + self.rng.expovariate(1 / STORM_MEAN_GAP), self._storm)
        commune = self.pick(self.world.remote)
        sites = self.by_commune.get(commune.code, [])
        if not sites:
            return
        when = self.cal.local(t0).strftime("%Y-%m-%d %H:%M")
        if self.chance(0.75):
            hours = self._mains_failure(t0, sites)
            self.notes.append(
                f"{when}: mains failure in {commune.name_vi} ({len(sites)} sites), "
                f"the commune is cut off for about {hours:.1f} h"
            )
        else:
            hit = self._fibre_cut(t0, sites)
            self.notes.append(f"{when}: fibre cut in {commune.name_vi}, {hit} of {len(sites)} sites isolated")

    def _mains_failure(self, t0: float, sites: list[Site]) -> float:
        """Every site loses mains power; each goes down when its battery is flat; power returns
        after the last one went down. Returns how long every site of the commune was down."""
        u = self.rng.uniform
        batteries = [u(40 * 60, 3.5 * HOUR) for _ in sites]
        restored = t0 + max(batteries) + u(1 * HOUR, 5 * HOUR)
        for site, battery in zip(sites, batteries):
            self._alarm(site, "mains_failure", "major", t0 + u(0, 120), restored + u(0, 120))
            self._alarm(site, "battery_low", "minor", t0 + 0.75 * battery, restored + u(20 * 60, 3600))
            self._alarm(site, "site_down", "critical", t0 + battery, restored + u(180, 720), 1.0)
        return (restored - t0 - max(batteries)) / HOUR

    def _fibre_cut(self, t0: float, sites: list[Site]) -> int:
        hit = self.rng.sample(sites, max(1, round(len(sites) * self.rng.uniform(0.3, 0.7))))
        repaired = t0 + self.rng.uniform(1 * HOUR, 6 * HOUR)
        for site in hit:
            self._alarm(
                site,
                "transmission_down",
                "major",
                t0 + self.rng.uniform(0, 30),
                repaired + self.rng.uniform(0, 60),
                1.0,
            )
        return len(hit)
