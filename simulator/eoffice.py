"""E-office (contract 2.2): documents between the province's agencies and communes.

Outgoing documents are drafted (`processing`) and `issued`, mostly digitally signed and sent
electronically over the national document axis; each issued document arrives as an incoming
document at its recipients in the province (a directive of a department often goes to every
commune). Incoming documents, from there or from outside the province, go received ->
registered -> assigned -> processing -> completed within their deadline, or late; documents
for information only have no deadline. A few are rejected (wrong recipient) or recalled.
"""
from __future__ import annotations

from contract.units import Unit
from simulator.base import Record, Source
from simulator.clock import DAY, HOUR, WORK_DAY_S
from simulator.world import World

# Documents per working day and unit (order of magnitude of a provincial e-office).
OUTGOING = {"office": 25.0, "agency": 10.0, "commune": 3.0}
EXTERNAL_INCOMING = {"office": 10.0, "agency": 8.0, "commune": 1.5}
TO_ALL_COMMUNES = {"office": 0.12, "agency": 0.06, "commune": 0.0}
URGENCIES = ("normal", "urgent", "very_urgent", "flash")
URGENCY_WEIGHTS = (85, 10, 4, 1)
# Working days to handle a document of each urgency (hỏa tốc: within hours).
DEADLINE_DAYS = {"normal": (5, 15), "urgent": (2, 5), "very_urgent": (1, 2), "flash": (0.25, 0.5)}
SPEED = {"normal": 1.0, "urgent": 0.4, "very_urgent": 0.2, "flash": 0.05}
RECORDS_PER_DAY = 2700.0          # measured over several simulated weeks, rate scale 1


class EofficeSource(Source):
    name = "eoffice"

    @classmethod
    def records_per_day(cls, world: World) -> float:
        return RECORDS_PER_DAY * world.rate_scale

    def setup(self, start: float) -> None:
        w = self.world
        self.office = w.agency("VP")
        self.units = w.agencies + w.communes
        kinds = [self._kind(u) for u in self.units]
        scale = w.rate_scale / WORK_DAY_S
        self.out_weights = [OUTGOING[k] for k in kinds]
        self.in_weights = [EXTERNAL_INCOMING[k] for k in kinds]
        self.out_rate, self.in_rate = sum(self.out_weights) * scale, sum(self.in_weights) * scale
        self.seq: dict[str, int] = {}
        self.hourly(self._arrivals)

    def _kind(self, unit: Unit) -> str:
        return "office" if unit == self.office else unit.level

    def _arrivals(self, t: float, end: float) -> None:
        office = self.cal.work_overlap(t - t % HOUR) * (end - t) / HOUR
        for at in self.uniform_times(t, end, self.poisson(self.out_rate * office)):
            self.at(self.cal.next_working(at), self._draft, self.pick(self.units, self.out_weights))
        for at in self.uniform_times(t, end, self.poisson(self.in_rate * office)):
            unit = self.pick(self.units, self.in_weights)
            electronic = self.chance(0.9)
            self.at(self.cal.next_working(at), self._receive, unit, self._urgency(), electronic, electronic)

    def _urgency(self) -> str:
        return self.pick(URGENCIES, URGENCY_WEIGHTS)

    def _id(self, unit: Unit, direction: str) -> str:
        key = f"{unit.code}.{direction}"
        n = self.seq[key] = self.seq.get(key, 0) + 1
        return f"{unit.code}.{'VBDI' if direction == 'outgoing' else 'VBDE'}.{self.world.tag}.{n:06d}"

    def _record(self, t: float, doc_id: str, unit: Unit, direction: str, status: str, deadline: float | None,
                urgency: str, electronic: bool, signed: bool) -> None:
        rec: Record = {
            "doc_id": doc_id,
            "unit": unit.code,
            "direction": direction,
            "status": status,
            "event_time": self.cal.iso(t),
            "deadline": self.cal.iso(deadline) if deadline else None,
            "urgency": urgency,
            "electronic": electronic,
            "digitally_signed": signed,
        }
        self.emit(t, rec)

    # -- outgoing -----------------------------------------------------------------------------
    def _draft(self, t: float, unit: Unit) -> None:
        rng, cal = self.rng, self.cal
        commune = unit.level == "commune"
        urgency = self._urgency()
        electronic = self.chance(0.93 if commune else 0.97)
        signed = electronic and self.chance(0.93 if commune else 0.97)
        doc = self._id(unit, "outgoing")
        self._record(t, doc, unit, "outgoing", "processing", None, urgency, electronic, False)
        issued = cal.add_working(t, rng.uniform(0.5 * HOUR, 2 * WORK_DAY_S) * SPEED[urgency])
        self._record(issued, doc, unit, "outgoing", "issued", None, urgency, electronic, signed)
        if self.chance(0.015):
            recalled = cal.add_working(issued, rng.uniform(0.5, 6) * HOUR)
            return self._record(
                recalled, doc, unit, "outgoing", "recalled", None, urgency, electronic, signed
            )
        for recipient in self._recipients(unit):
            # electronic documents arrive over the axis within minutes; paper ones by post in days
            arrives = issued + (rng.uniform(60, 1200) if electronic else rng.uniform(1, 3) * DAY)
            self.at(arrives, self._receive, recipient, urgency, electronic, signed)

    def _recipients(self, sender: Unit) -> list[Unit]:
        kind, w = self._kind(sender), self.world
        if self.chance(TO_ALL_COMMUNES[kind]):
            return [u for u in w.communes if u != sender]
        if kind == "commune":  # reports go up to a department or the provincial office
            return [self.pick([self.office, *w.agencies])] if self.chance(0.7) else []
        if self.chance(0.25):
            return []  # to a ministry or another province: outside this e-office
        others = [u for u in self.units if u != sender]
        return self.rng.sample(others, min(len(others), self.pick((1, 2, 3), (6, 3, 1))))

    # -- incoming -----------------------------------------------------------------------------
    def _receive(self, t: float, unit: Unit, urgency: str, electronic: bool, signed: bool) -> None:
        rng, cal = self.rng, self.cal
        doc = self._id(unit, "incoming")

        def rec(at: float, status: str, deadline: float | None = None) -> None:
            self._record(at, doc, unit, "incoming", status, deadline, urgency, electronic, signed)

        rec(t, "received")
        registered = cal.add_working(t, rng.uniform(5 * 60, 3 * HOUR) * SPEED[urgency])
        if self.chance(0.01):
            return rec(registered, "rejected")
        task = urgency != "normal" or self.chance(0.55)  # else for information only: no deadline
        deadline = cal.add_working_days(t, rng.uniform(*DEADLINE_DAYS[urgency])) if task else None
        rec(registered, "registered", deadline)
        assigned = cal.add_working(registered, rng.uniform(0.25, 4) * HOUR * SPEED[urgency])
        rec(assigned, "assigned", deadline)
        if deadline is None:
            return rec(cal.add_working(assigned, rng.uniform(0.2, 8) * HOUR), "completed")
        started = cal.add_working(assigned, rng.uniform(0.1, 6) * HOUR * SPEED[urgency])
        rec(started, "processing", deadline)
        if self.chance(0.07):  # late: finished days after the deadline
            done = cal.add_working_days(max(deadline, started), rng.uniform(0.3, 8))
        else:
            done = started + (max(deadline, started) - started) * rng.uniform(0.2, 0.95)
            done = min(cal.next_working(done), max(deadline, done))
        rec(done, "completed", deadline)
