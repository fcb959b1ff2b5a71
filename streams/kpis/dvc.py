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

from collections.abc import Sequence
from typing import Any, NamedTuple

from contract.timestamps import parse_valid_ts
from contract.units import AGENCY, COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import Family, Fold, KpiRow, Share, SourceKpis, ratio, share
from streams.kpis.record_set import RecordSetFold

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
    procedure: str


def _opt_ts(value: Any) -> int | None:
    return parse_valid_ts(value) if isinstance(value, str) else None


def slim(r: dict[str, Any]) -> Rec:
    return Rec(parse_valid_ts(r["ThoiGianCapNhat"]), r["TrangThaiHoSo"], r["MaDonVi"], r["KenhThucHien"],
               r.get("DichVuToanTrinh") is True, r.get("CoNghiaVuTaiChinh") is True,
               (r.get("DuocThanhToanTrucTuyen") or 0) >= 1, r.get("HoSoCoThanhPhanSoHoa") is True,
               r.get("CoKetQuaDienTu") is True, r.get("TaiKhoanDuocXacThucVoiVNeID") is True,
               parse_valid_ts(r["NgayTiepNhan"]), _opt_ts(r.get("NgayHenTra")),
               _opt_ts(r.get("NgayKetThucXuLy")), r.get("MucDoHaiLong"), r["MaTTHC"])


class Outcome(NamedTuple):
    finished_at: int
    on_time: bool
    processing_us: int
    end: int
    supplement_us: int
    supplement_requests: int


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
    return Outcome(finishing.ts, on_time, end - latest.received, end, supplement, len(requests))


def shares(records: Sequence[Rec]) -> tuple[str, dict[str, Share]]:
    """The dossier's unit and what it contributes to each family, derived from all its records."""
    latest = max(records)
    ch2 = latest.channel == 2
    done = outcome(records)
    rated = max((r for r in records if r.rating is not None), default=None)
    return latest.unit, {
        "received": share(
            latest.received,
            1,
            ch2,
            latest.full_online,
            latest.full_online and ch2,
            latest.fee,
            latest.fee and latest.paid_online,
            latest.digitised,
            latest.vneid,
        ),
        "finished": share(done.finished_at, 1, done.on_time, done.processing_us, latest.e_result)
        if done
        else None,
        "rating": share(rated.ts, 1, rated.rating >= 4) if rated else None,  # type: ignore[operator]
    }


class DossierFold(RecordSetFold):
    def entity_of(self, record: dict[str, Any]) -> str:
        return str(record["MaHoSo"])

    def slim(self, record: dict[str, Any]) -> tuple[tuple[int, int], Rec]:
        rec = slim(record)
        return (rec.status, rec.ts), rec

    def shares(self, records: Sequence[Rec]) -> tuple[str, dict[str, Share]]:
        return shares(records)

    def open_until(self, records: Sequence[Rec]) -> tuple[str, int] | None:
        latest = max(records)
        return (latest.unit, latest.due) if latest.status not in TERMINAL and latest.due is not None else None

    def closed(self, records: Sequence[Rec]) -> bool:
        return max(records).status in TERMINAL

    def detail(self, entity: str) -> dict[str, Any]:
        records = self.records(entity)
        latest, done = max(records), outcome(records)
        return {
            "dossier": entity,
            "unit": latest.unit,
            "procedure": latest.procedure,
            "channel": latest.channel,
            "status": latest.status,
            "received_at": latest.received,
            "due_at": latest.due,
            "finished_at": done.finished_at if done else None,
            "end_at": done.end if done else None,
            "supplement_s": done.supplement_us / 1e6 if done else None,
            "supplement_requests": len({r.ts for r in records if r.status == SUPPLEMENT_REQUESTED}),
            "on_time": done.on_time if done else None,
        }


def _received(v: Sequence[int]) -> list[KpiRow]:
    n, online, full, full_online, fee, fee_paid, digitised, vneid = v
    return [
        ("dvc.received", n, None, None),
        ("dvc.received_online", online, None, None),
        ("dvc.online_rate", ratio(online, n), online, n),
        ("dvc.full_online_rate", ratio(full_online, full), full_online, full),
        ("dvc.online_payment_rate", ratio(fee_paid, fee), fee_paid, fee),
        ("dvc.digitised_rate", ratio(digitised, n), digitised, n),
        ("dvc.vneid_rate", ratio(vneid, n), vneid, n),
    ]


def _finished(v: Sequence[int]) -> list[KpiRow]:
    n, on_time, processing_us, e_result = v
    return [
        ("dvc.finished", n, None, None),
        ("dvc.on_time_rate", ratio(on_time, n), on_time, n),
        ("dvc.avg_processing_days", processing_us / n / US_PER_DAY if n else None, None, None),
        ("dvc.e_result_rate", ratio(e_result, n), e_result, n),
    ]


def _rating(v: Sequence[int]) -> list[KpiRow]:
    n, satisfied = v
    return [("dvc.satisfaction_rate", ratio(satisfied, n), satisfied, n)]


def _overdue(v: Sequence[int]) -> list[KpiRow]:
    return [("dvc.overdue_open", v[0], None, None)]


class DvcKpis(SourceKpis):
    source = "dvc"
    domain = "dvc"
    drill_down = True
    families = (
        Family("received", 8, _received, LEVELS),
        Family("finished", 4, _finished, LEVELS),
        Family("rating", 2, _rating, LEVELS),
        Family("overdue", 1, _overdue, LEVELS, live=True),
    )

    def new_fold(self, units: UnitRegistry, late_us: int | None = None) -> Fold:
        return DossierFold(units, late_us)
