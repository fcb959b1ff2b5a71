"""Public-service portal (contract 2.1): dossier lifecycles as status-change records.

Volume: ~300 dossiers a day for the province (order 10^5 a year, domain file section 4), about
60 % at commune one-stop desks. Each dossier is planned whole when it arrives (acceptance, due
date, processing, supplements, fees, result) and its records are delivered as the clock passes
them. Shares aimed at (measured in tests/unit/test_simulator.py): ~99 % on time, ~50 % online,
~50 % of fee-bearing dossiers paid online, ~80 % digitised, ~90 % ratings of 4-5.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract.units import Unit
from simulator.base import Record, Source
from simulator.clock import DAY, HOUR, WORK_DAY_S
from simulator.world import World

DOSSIERS_PER_DAY = 300.0
RECORDS_PER_DOSSIER = 4.4
WEEKEND_ONLINE = 0.35            # online submissions on Saturday and Sunday, relative to weekdays
# Online submissions by local hour: office hours, a lunch dip and an evening bump.
ONLINE_BY_HOUR = (0.1, 0.05, 0.05, 0.05, 0.05, 0.15, 0.4, 1.0, 1.4, 1.5, 1.4, 1.1,
                  0.6, 0.8, 1.3, 1.4, 1.3, 1.0, 0.7, 0.8, 0.9, 0.8, 0.5, 0.25)
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = (70, 22, 5, 2, 1)


@dataclass(frozen=True)
class Procedure:
    # Codes follow the national TTHC catalogue's format; which name goes with which code is
    # illustrative, not a lookup of the national catalogue.
    code: str
    where: str          # "commune", or the suffix of the handling agency's code (12.<suffix>)
    days: float         # legal time limit in working days
    fee: bool           # CoNghiaVuTaiChinh
    full_online: bool   # DichVuToanTrinh
    online: float       # share submitted online (channel 2)
    weight: float       # share of the province's dossiers


PROCEDURES = (
    Procedure("1.001193", "commune", 1, False, True, 0.75, 10),    # birth registration
    Procedure("1.000656", "commune", 1, False, True, 0.60, 3),     # death registration
    Procedure("1.000894", "commune", 1, False, False, 0.35, 2),    # marriage registration
    Procedure("2.000908", "commune", 0.5, True, False, 0.10, 14),  # certified copy from the original
    Procedure("1.004873", "commune", 1, True, True, 0.70, 5),      # civil-status extract copy
    Procedure("1.001757", "commune", 3, False, True, 0.80, 6),     # marital-status confirmation
    Procedure("2.001457", "commune", 15, False, False, 0.30, 3),   # social allowance
    Procedure("1.004227", "SNNMT", 10, True, False, 0.35, 8),      # land-use right change
    Procedure("1.003003", "SNNMT", 20, True, False, 0.25, 3),      # first land-use certificate
    Procedure("2.000488", "STP", 10, True, True, 0.85, 5),         # judicial record card
    Procedure("1.009994", "SXD", 15, True, False, 0.50, 1.5),      # construction permit
    Procedure("2.000620", "SCT", 10, True, True, 0.70, 0.8),       # retail licence
    Procedure("1.002218", "SYT", 20, True, False, 0.60, 0.8),      # practising certificate
    Procedure("1.005095", "SGDDT", 2, False, True, 0.60, 1),       # diploma copy
    Procedure("2.001284", "STC", 3, True, True, 0.90, 2.5),        # business registration
    Procedure("1.003900", "SNV", 5, True, False, 0.60, 0.7),       # work permit
    Procedure("2.001160", "CA", 2, True, True, 0.80, 3),           # vehicle registration
    Procedure("1.001290", "SVHTTDL", 5, True, False, 0.40, 0.4),   # event licence
    Procedure("1.003421", "SKHCN", 10, True, False, 0.60, 0.2),    # technology transfer registration
    Procedure("1.010811", "SDTTG", 15, False, False, 0.20, 0.2),   # religious activity registration
)


class DvcSource(Source):
    name = "dvc"

    @classmethod
    def records_per_day(cls, world: World) -> float:
        return DOSSIERS_PER_DAY * RECORDS_PER_DOSSIER * world.rate_scale

    def setup(self, start: float) -> None:
        total = sum(p.weight for p in PROCEDURES)
        weekly = DOSSIERS_PER_DAY * 7 * self.world.rate_scale
        online_weights = [p.weight * p.online for p in PROCEDURES]
        desk_weights = [p.weight * (1 - p.online) for p in PROCEDURES]
        online_norm = 5 * sum(ONLINE_BY_HOUR) + 2 * WEEKEND_ONLINE * sum(ONLINE_BY_HOUR)
        self.online_per_hour_unit = weekly * sum(online_weights) / total / online_norm
        self.desk_per_office_s = weekly * sum(desk_weights) / total / (5 * WORK_DAY_S)
        self.online_weights, self.desk_weights = online_weights, desk_weights
        self.seq: dict[tuple[str, str], int] = {}
        self.hourly(self._arrivals)

    def _arrivals(self, t: float, end: float) -> None:
        hour, weekday = self.cal.hour_of(t)
        online = self.online_per_hour_unit * ONLINE_BY_HOUR[hour] * (WEEKEND_ONLINE if weekday >= 5 else 1)
        for at in self.uniform_times(t, end, self.poisson(online * (end - t) / HOUR)):
            self.at(at, self._arrive, True)
        office = self.cal.work_overlap(t - t % HOUR)
        desk = self.desk_per_office_s * office * (end - t) / HOUR
        for at in self.uniform_times(t, end, self.poisson(desk)):
            self.at(self.cal.next_working(at), self._arrive, False)

    def _arrive(self, t: float, online: bool) -> None:
        proc = self.pick(PROCEDURES, self.online_weights if online else self.desk_weights)
        unit = self._unit(proc)
        channel = 2 if online else (3 if self.chance(0.04) else 1)
        Dossier(self, t, proc, unit, channel).plan()

    def _unit(self, proc: Procedure) -> Unit:
        if proc.where != "commune":
            return self.world.agency(proc.where)
        communes = self.world.communes
        return self.pick(communes, [self.world.commune_weight(u) for u in communes])

    def new_id(self, unit: Unit, t: float) -> str:
        day = self.cal.local(t).strftime("%y%m%d")
        n = self.seq[(unit.code, day)] = self.seq.get((unit.code, day), 0) + 1
        return f"{unit.code}-{day}-{self.world.tag}-{n:04d}"


class Dossier:
    """One dossier's plan: every status record with its time, decided when it arrives."""

    def __init__(self, src: DvcSource, t0: float, proc: Procedure, unit: Unit, channel: int) -> None:
        self.src, self.cal, self.t0 = src, src.cal, t0
        self.proc, self.unit, self.channel = proc, unit, channel
        online = channel == 2
        chance = src.chance
        # paid online: mostly online applicants; at the desk, a QR payment through the provincial gateway
        self.paid = (1 if chance(0.6) else 2) if proc.fee and chance(0.85 if online else 0.3) else 0
        self.flags: dict[str, Any] = {
            "DichVuToanTrinh": proc.full_online,
            "CoNghiaVuTaiChinh": proc.fee,
            "DuocThanhToanTrucTuyen": 0,
            "HoSoCoThanhPhanSoHoa": chance(0.88 if online else 0.72),
            "CoKetQuaDienTu": False,
            "TaiKhoanDuocXacThucVoiVNeID": chance(0.85 if online else 0.12),
        }
        self.e_result = chance(0.85 if online else 0.6)
        self.id = src.new_id(unit, t0)
        self.due: float | None = None

    def record(self, t: float, status: int, end: float | None = None, rating: int | None = None) -> None:
        iso = self.cal.iso
        rec: Record = {
            "MaHoSo": self.id,
            "MaTTHC": self.proc.code,
            "MaDonVi": self.unit.code,
            "KenhThucHien": self.channel,
            "TrangThaiHoSo": status,
            "ThoiGianCapNhat": iso(t),
            "NgayTiepNhan": iso(self.t0),
            "NgayHenTra": iso(self.due) if self.due is not None else None,
            "NgayKetThucXuLy": iso(end) if end is not None else None,
            **self.flags,
            "MucDoHaiLong": rating,
        }
        self.src.emit(t, rec)

    def plan(self) -> None:
        rng, cal, chance = self.src.rng, self.cal, self.src.chance
        if self.paid and chance(0.7):
            self.flags["DuocThanhToanTrucTuyen"] = self.paid  # paid on submission
        t = self.t0
        if self.channel == 2:
            self.record(t, 1)
            t = cal.add_working(t, rng.uniform(0.1, 3) * HOUR)  # an officer checks the submission
            if chance(0.02):
                return self.record(t, 3, end=t)
        budget = max(self.proc.days, 0.25) * WORK_DAY_S
        self.due = cal.add_working(t, budget)
        self.record(t, 2)
        t = cal.add_working(t, rng.uniform(0.02, 0.15) * budget)
        self.record(t, 4)
        self._process(t, budget)

    def _process(self, t: float, budget: float) -> None:
        rng, cal, chance = self.src.rng, self.cal, self.src.chance
        late = chance(0.008)
        # office time still needed: most dossiers finish well inside the limit, a few exceed it
        need = budget * (rng.uniform(1.05, 2.5) if late else rng.triangular(0.1, 0.85, 0.4))
        if chance(0.01):
            stop = cal.add_working(t, need * rng.uniform(0.1, 0.8))
            return self.record(stop, 7 if chance(0.65) else 8, end=stop)
        supplements = 2 if chance(0.004) else (1 if chance(0.06) else 0)
        for _ in range(supplements):
            worked = need * rng.uniform(0.1, 0.3)
            asked = cal.add_working(t, worked)
            self.record(asked, 5)
            # the applicant brings the papers; this wait is not the office's (contract 4, on time)
            t = cal.next_working(asked + rng.uniform(0.5, 6) * DAY)
            self.record(t, 4)
            need -= worked
        if self.proc.fee and self.flags["DuocThanhToanTrucTuyen"] == 0 and chance(0.5):
            fees = cal.add_working(t, need * 0.8)
            self.record(fees, 6)  # the fee notice; the clock keeps running while it is paid
            self.flags["DuocThanhToanTrucTuyen"] = self.paid
            t, need = fees, need * 0.2
        done = cal.add_working(t, need)
        self.flags["CoKetQuaDienTu"] = self.e_result
        self.record(done, 9, end=done)
        self._return(done)

    def _return(self, done: float) -> None:
        rng, chance = self.src.rng, self.src.chance
        if chance(0.08):
            return  # the result is never collected within the simulation
        if self.e_result and self.channel == 2:
            back = done + rng.uniform(60, 2 * HOUR)
        else:
            back = self.cal.add_working(done + rng.uniform(0, 3) * DAY, rng.uniform(0, 4) * HOUR)
        rating = self.src.pick(RATINGS, RATING_WEIGHTS) if chance(0.3) else None
        self.record(back, 10, end=done, rating=rating)
