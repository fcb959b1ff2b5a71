"""Public-service dossier KPIs (contract 4, `dvc.*`), on event time, per unit and province.

A dossier's state is the set of its records (one per identity, first copy wins). Everything is
derived from that set, so the order records arrive in does not matter:
- flags, unit, receipt and due time come from the latest record by `ThoiGianCapNhat`;
- finishing = the first record with status 9 or 10; processing end = its `NgayKetThucXuLy`
  (its `ThoiGianCapNhat` when the source left the end empty);
- supplement time runs from each status-5 record to the next record with status 4; more than one
  distinct status-5 record makes the dossier late; no `NgayHenTra` means on time;
- the rating is the latest non-null `MucDoHaiLong`, in the period of the record that carried it.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from connectors.timestamps import parse_valid_ts
from ioc.units import AGENCY, COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import AggKey, Family, Fold, KpiRow, SourceKpis, ratio, spread

TERMINAL = frozenset({3, 7, 8, 9, 10})
FINISHED = frozenset({9, 10})
SUPPLEMENT_REQUESTED, PROCESSING = 5, 4
US_PER_DAY = 86_400 * 1_000_000
LEVELS = (COMMUNE, AGENCY, PROVINCE)


class Rec(NamedTuple):
    """The fields of one dossier record that KPIs use (times in epoch microseconds)."""
    ts: int
    status: int
    unit: str
    channel: int
    full_online: bool
    fee: bool
    paid_online: bool
    digitised: bool
    e_result: bool
    vneid: bool
    received: int
    due: int | None
    end: int | None
    rating: int | None


def _opt_ts(value: Any) -> int | None:
    return parse_valid_ts(value) if isinstance(value, str) else None


def slim(r: dict[str, Any]) -> Rec:
    return Rec(parse_valid_ts(r["ThoiGianCapNhat"]), r["TrangThaiHoSo"], r["MaDonVi"], r["KenhThucHien"],
               r.get("DichVuToanTrinh") is True, r.get("CoNghiaVuTaiChinh") is True,
               (r.get("DuocThanhToanTrucTuyen") or 0) >= 1, r.get("HoSoCoThanhPhanSoHoa") is True,
               r.get("CoKetQuaDienTu") is True, r.get("TaiKhoanDuocXacThucVoiVNeID") is True,
               parse_valid_ts(r["NgayTiepNhan"]), _opt_ts(r.get("NgayHenTra")),
               _opt_ts(r.get("NgayKetThucXuLy")), r.get("MucDoHaiLong"))


class Outcome(NamedTuple):
    finished_at: int
    on_time: bool
    processing_us: int


def outcome(records: Sequence[Rec]) -> Outcome | None:
    """Finishing time, on-time verdict and processing duration; None while not finished."""
    ordered = sorted(records)
    finishing = next((r for r in ordered if r.status in FINISHED), None)
    if finishing is None:
        return None
    latest = ordered[-1]
    end = finishing.end if finishing.end is not None else finishing.ts
    requests = sorted({r.ts for r in ordered if r.status == SUPPLEMENT_REQUESTED})
    supplement = 0
    if len(requests) == 1:
        resumed = next((r.ts for r in ordered if r.status == PROCESSING and r.ts > requests[0]), None)
        supplement = resumed - requests[0] if resumed is not None else 0
    on_time = len(requests) <= 1 and (latest.due is None or end - supplement <= latest.due)
    return Outcome(finishing.ts, on_time, end - latest.received)


# One family's share of a dossier: the instant that picks its periods, and its counter vector.
Share = tuple[int, tuple[int, ...]] | None
View = tuple[str, Share, Share, Share]   # unit, received, finished, rating


def view(records: Sequence[Rec]) -> View:
    """What the dossier contributes, derived from all its records."""
    latest = max(records)
    ch2 = latest.channel == 2
    received = (latest.received, (1, ch2, latest.full_online, latest.full_online and ch2, latest.fee,
                                  latest.fee and latest.paid_online, latest.digitised, latest.vneid))
    done = outcome(records)
    finished = (done.finished_at, (1, done.on_time, done.processing_us, latest.e_result)) if done else None
    rated = max((r for r in records if r.rating is not None), default=None)
    rating = (rated.ts, (1, rated.rating >= 4)) if rated else None   # type: ignore[operator]
    return (latest.unit, _ints(received), _ints(finished), _ints(rating))


def _ints(share: Share) -> Share:
    return None if share is None else (share[0], tuple(int(v) for v in share[1]))


FAMILIES = ("received", "finished", "rating")


def contributions(v: View, registry: UnitRegistry, only: Sequence[int] = (0, 1, 2)) -> dict[AggKey, Sequence[int]]:
    shares = [v[1 + i] for i in only]
    instants = {FAMILIES[i]: s[0] for i, s in zip(only, shares) if s is not None}
    vectors = {FAMILIES[i]: s[1] for i, s in zip(only, shares) if s is not None}
    return spread(instants, vectors, (v[0], registry.province.code), registry)


class DossierFold(Fold):
    def __init__(self, units: UnitRegistry) -> None:
        super().__init__(units)
        self.dossiers: dict[str, dict[tuple[int, int], Rec]] = {}
        self.views: dict[str, View] = {}
        self.open_due: dict[str, tuple[str, int]] = {}   # dossier -> (unit, due) while not terminal

    def apply(self, record: dict[str, Any]) -> None:
        rec = slim(record)
        dossier_id = record["MaHoSo"]
        records = self.dossiers.setdefault(dossier_id, {})
        if (rec.status, rec.ts) in records:
            return   # the same identity again: the first copy won
        records[(rec.status, rec.ts)] = rec
        self._move(dossier_id, view(list(records.values())))
        latest = max(records.values())
        if latest.status not in TERMINAL and latest.due is not None:
            self.open_due[dossier_id] = (latest.unit, latest.due)
        else:
            self.open_due.pop(dossier_id, None)

    def _move(self, dossier_id: str, new: View) -> None:
        """Move only the families whose share changed (a new status rarely changes the receipt)."""
        old = self.views.get(dossier_id)
        self.views[dossier_id] = new
        if old is None:
            self.partials.add(contributions(new, self.units), +1)
            return
        changed = [i for i in range(3) if old[0] != new[0] or old[1 + i] != new[1 + i]]
        if changed:
            self.partials.add(contributions(old, self.units, changed), -1)
            self.partials.add(contributions(new, self.units, changed), +1)

    def live(self, now_us: int) -> dict[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for unit, due in self.open_due.values():
            if due < now_us:
                counts[unit] = counts.get(unit, 0) + 1
        province = self.units.province.code
        counts[province] = sum(counts.values())
        return {"overdue": counts}


def _received(v: Sequence[int]) -> list[KpiRow]:
    n, online, full, full_online, fee, fee_paid, digitised, vneid = v
    return [("dvc.received", n, None, None), ("dvc.received_online", online, None, None),
            ("dvc.online_rate", ratio(online, n), online, n),
            ("dvc.full_online_rate", ratio(full_online, full), full_online, full),
            ("dvc.online_payment_rate", ratio(fee_paid, fee), fee_paid, fee),
            ("dvc.digitised_rate", ratio(digitised, n), digitised, n),
            ("dvc.vneid_rate", ratio(vneid, n), vneid, n)]


def _finished(v: Sequence[int]) -> list[KpiRow]:
    n, on_time, processing_us, e_result = v
    return [("dvc.finished", n, None, None), ("dvc.on_time_rate", ratio(on_time, n), on_time, n),
            ("dvc.avg_processing_days", processing_us / n / US_PER_DAY if n else None, None, None),
            ("dvc.e_result_rate", ratio(e_result, n), e_result, n)]


def _rating(v: Sequence[int]) -> list[KpiRow]:
    n, satisfied = v
    return [("dvc.satisfaction_rate", ratio(satisfied, n), satisfied, n)]


def _overdue(v: Sequence[int]) -> list[KpiRow]:
    return [("dvc.overdue_open", v[0], None, None)]


class DvcKpis(SourceKpis):
    source = "dvc"
    domain = "dvc"
    families = (
        Family("received", 8, _received, LEVELS),
        Family("finished", 4, _finished, LEVELS),
        Family("rating", 2, _rating, LEVELS),
        Family("overdue", 1, _overdue, LEVELS, live=True),
    )

    def new_fold(self, units: UnitRegistry) -> Fold:
        return DossierFold(units)
