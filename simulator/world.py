"""What every generator shares: the seed, the start, the units and their weights, seeded ids.

Unit weights follow the shape of Lai Châu (two wards and the former district seats are busier,
border communes quieter); for another province's units the weights fall back to 1 and the
"remote" communes to a seeded choice, so the simulator needs no code change there either.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property

from contract.units import AGENCY, COMMUNE, Unit, UnitRegistry
from simulator.clock import Calendar

WARDS = {"Đoàn Kết", "Tân Phong"}
SEATS = {"Than Uyên", "Tân Uyên", "Bình Lư", "Phong Thổ", "Sìn Hồ", "Mường Tè"}   # former district seats
# Border and high-mountain communes: long power lines, few roads (mains-failure storms hit these).
REMOTE = {"Mù Cả", "Hua Bum", "Tà Tổng", "Pa Ủ", "Thu Lũm", "Pa Tần", "Tủa Sín Chải", "Pu Sam Cáp",
          "Sì Lở Lầu", "Khổng Lào"}
_DIGIT_RUN = re.compile(r"[0-9]{10}")


@dataclass(frozen=True)
class World:
    seed: int
    start: float                 # simulated start, epoch seconds
    units: UnitRegistry = field(repr=False)
    rate_scale: float = 1.0
    sites: int = 2100

    @cached_property
    def calendar(self) -> Calendar:
        return Calendar(self.units.timezone)

    @cached_property
    def tag(self) -> str:
        """Four hex characters that differ between runs of another seed or start, so the ids of
        two runs sent to one pipeline never collide (the same seed and start repeat exactly)."""
        return self.token("run", length=4)

    @cached_property
    def communes(self) -> list[Unit]:
        return sorted(self.units.of_level(COMMUNE), key=lambda u: u.code)

    @cached_property
    def agencies(self) -> list[Unit]:
        return sorted(self.units.of_level(AGENCY), key=lambda u: u.code)

    @cached_property
    def remote(self) -> list[Unit]:
        named = [u for u in self.communes if u.name_vi in REMOTE]
        if named:
            return named
        others = sorted(self.communes, key=lambda u: self.token("remote", u.code))
        return others[: max(1, len(others) // 4)]

    def commune_weight(self, unit: Unit, ward: float = 3.0, seat: float = 2.0, remote: float = 0.6) -> float:
        """How busy a commune is relative to an ordinary one."""
        if unit.name_vi in WARDS:
            return ward
        if unit.name_vi in SEATS:
            return seat
        return remote if unit in self.remote else 1.0

    def agency(self, suffix: str) -> Unit:
        """The agency `<province>.<suffix>`, or a seeded stand-in when this province has none."""
        code = f"{self.units.province.code}.{suffix}"
        for unit in self.agencies:
            if unit.code == code:
                return unit
        return sorted(self.agencies, key=lambda u: self.token("agency", suffix, u.code))[0]

    def token(self, *parts: object, length: int = 24) -> str:
        """Seeded lowercase hex with no run of ten digits: never mistaken for a personal id."""
        for attempt in range(1000):
            text = "|".join(str(p) for p in (self.seed, self.start, attempt, *parts))
            candidate = hashlib.sha256(text.encode()).hexdigest()[:length]
            if not _DIGIT_RUN.search(candidate):
                return candidate
        raise AssertionError("unreachable: a digit run in 1000 hashes")
