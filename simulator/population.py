"""Population database / VNeID (contract 2.3): eID applications, activations, verifications.

Level-2 applications are collected at commune police posts in office hours, with mobile
campaign days in remote border communes; most citizens activate their account days later in
the VNeID app. Activations of earlier applications (before the simulation began) and level-1
self-registrations keep activations flowing from the first day. Verifications come from the
systems that check identities (public-service portal, social insurance, hospitals, banks) with a
long-tailed latency. `citizen_ref` is a seeded pseudonym ("c-" + 24 hex characters): no raw
personal id number ever appears in a record.
"""
from __future__ import annotations

import math

from contract.units import Unit
from simulator.base import Record, Source
from simulator.clock import DAY, HOUR, WORK_DAY_S
from simulator.world import World

APPLICATIONS_PER_WORKDAY = 150.0
ACTIVATED_SHARE = 0.88
BACKLOG_ACTIVATIONS_PER_DAY = 60.0    # level 2, applied before the simulation started
SELF_REGISTERED_PER_DAY = 40.0        # level 1, in the app, no application at a police post
VERIFICATIONS_PER_DAY = 2000.0
CORRECTIONS_PER_WORKDAY = 15.0
CAMPAIGN_CHANCE = 0.25                # per working day: a mobile team in one remote commune
# Requests by local hour: people and offices are awake from 6 to 22.
ACTIVITY_BY_HOUR = (0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.4, 0.9, 1.4, 1.6, 1.6, 1.4,
                    0.9, 1.0, 1.5, 1.6, 1.5, 1.2, 0.9, 0.9, 0.9, 0.7, 0.4, 0.15)
REQUESTERS = (
    "dvc-portal",
    "vneid-app",
    "bhxh",
    "his-hospital",
    "bank",
    "police-residence",
    "telecom-subscriber",
)
REQUESTER_WEIGHTS = (35, 20, 12, 10, 10, 8, 5)
RESULTS = ("ok", "mismatch", "not_found", "error")
RESULT_WEIGHTS = (965, 18, 10, 7)
RECORDS_PER_DAY = 2300.0


class PopulationSource(Source):
    name = "population"

    @classmethod
    def records_per_day(cls, world: World) -> float:
        return RECORDS_PER_DAY * world.rate_scale

    def setup(self, start: float) -> None:
        communes = self.world.communes
        self.weights = [self.world.commune_weight(u, ward=2.5, seat=1.5, remote=0.8) for u in communes]
        self.activity_norm = sum(ACTIVITY_BY_HOUR)
        self.n = 0
        self.recent: list[tuple[str, Unit]] = []  # citizens a later correction may concern
        self.hourly(self._hour)
        self.daily(self._day)

    def _event(self, t: float, kind: str, commune: Unit, **fields: object) -> None:
        self.n += 1
        rec: Record = {
            "event_id": f"pop-{self.world.tag}-{self.n:08d}",
            "kind": kind,
            "commune": commune.code,
            "event_time": self.cal.iso(t),
            **fields,
        }
        self.emit(t, rec)

    def _citizen(self) -> str:
        return "c-" + self.world.token("citizen", self.n, self.rng.random())

    def _commune(self) -> Unit:
        return self.pick(self.world.communes, self.weights)

    # -- arrivals -------------------------------------------------------------------------------
    def _hour(self, t: float, end: float) -> None:
        scale, part = self.world.rate_scale, (end - t) / HOUR
        office = self.cal.work_overlap(t - t % HOUR) * part / WORK_DAY_S
        awake = ACTIVITY_BY_HOUR[self.cal.hour_of(t)[0]] / self.activity_norm * part
        for n, action in (
            (APPLICATIONS_PER_WORKDAY * office, self._apply),
            (CORRECTIONS_PER_WORKDAY * office, self._correct),
        ):
            for at in self.uniform_times(t, end, self.poisson(n * scale)):
                self.at(self.cal.next_working(at), action, self._commune())
        for n, action in (
            (BACKLOG_ACTIVATIONS_PER_DAY * awake, self._backlog_activation),
            (SELF_REGISTERED_PER_DAY * awake, self._self_registration),
            (VERIFICATIONS_PER_DAY * awake, self._verify),
        ):
            for at in self.uniform_times(t, end, self.poisson(n * scale)):
                self.at(at, action, self._commune())

    def _day(self, t: float, end: float) -> None:
        if self.cal.local(t).weekday() >= 5 or not self.chance(CAMPAIGN_CHANCE):
            return
        commune = self.pick(self.world.remote)
        for _ in range(self.poisson(self.rng.uniform(40, 120) * self.world.rate_scale)):
            at = self.cal.add_working(t, self.rng.uniform(0, WORK_DAY_S))
            if at < end:
                self.at(at, self._apply, commune)

    # -- events -----------------------------------------------------------------------------------
    def _apply(self, t: float, commune: Unit) -> None:
        citizen = self._citizen()
        self._event(t, "eid_application", commune, level=2, citizen_ref=citizen)
        self._remember(citizen, commune)
        if self.chance(ACTIVATED_SHARE):
            # the account is approved in days, then the citizen activates it, awake hours only
            delay = math.exp(self.rng.gauss(math.log(4 * DAY), 0.7))
            self.at(self._awake(t + delay), self._activate, commune, citizen, 2)

    def _activate(self, t: float, commune: Unit, citizen: str, level: int) -> None:
        self._event(t, "eid_activated", commune, level=level, citizen_ref=citizen)

    def _backlog_activation(self, t: float, commune: Unit) -> None:
        self._activate(t, commune, self._citizen(), 2)

    def _self_registration(self, t: float, commune: Unit) -> None:
        self._activate(t, commune, self._citizen(), 1)

    def _correct(self, t: float, commune: Unit) -> None:
        citizen, commune = (
            self.pick(self.recent) if self.recent and self.chance(0.6) else (self._citizen(), commune)
        )
        self._event(t, "record_corrected", commune, citizen_ref=citizen)

    def _verify(self, t: float, commune: Unit) -> None:
        result = self.pick(RESULTS, RESULT_WEIGHTS)
        if result == "error":
            latency = self.rng.uniform(3000, 30000)  # timeouts
        else:
            latency = math.exp(self.rng.gauss(math.log(180), 0.5))  # ~180 ms median
            if self.chance(0.02):
                latency *= self.rng.uniform(5, 30)  # a slow path now and then
        self._event(
            t,
            "verification",
            commune,
            result=result,
            latency_ms=round(latency),
            requester=self.pick(REQUESTERS, REQUESTER_WEIGHTS),
        )

    # -- helpers ------------------------------------------------------------------------------------
    def _remember(self, citizen: str, commune: Unit) -> None:
        self.recent.append((citizen, commune))
        if len(self.recent) > 2000:
            del self.recent[:1000]

    def _awake(self, t: float) -> float:
        hour = self.cal.hour_of(t)[0]
        if 6 <= hour < 22:
            return t
        return t + ((6 - hour) % 24) * HOUR + self.rng.uniform(0, 2 * HOUR)
