"""A hand-made public-service data set whose KPI values were worked out by hand (see EXPECTED).

Units: commune A = 03388 (Đoàn Kết), commune B = 03408 (Tân Phong), agency S = 12.SNV, province 12.
All times are local (+07:00) unless written in UTC on purpose.

D1 (A) online, full-online, fee paid online, digitised, VNeID; received 11-02 08:00, due 11-06 17:00;
   finished by status 9 at 11-05 10:00 (end 11-05 10:00): on time, 74 h; status 10 at 11-05 15:00
   carries the e-result and rating 5. The status-9 record is delivered twice (one duplicate).
D2 (A) in person; received 11-03 09:00, due 11-05 17:00; supplement 11-04 09:00 -> 11-06 09:00 (48 h);
   finished 11-07 12:00: 99 h elapsed, end - supplement = 11-05 12:00 <= due: on time. Sent backwards.
D3 (A) online, full-online, fee not paid online; received 11-04 08:00, due 11-20 17:00; supplements
   11-05 08:00 -> 12:00 and (phase 2) 11-06 08:00 -> 10:00; finished by status 10 at 11-07 08:00: 72 h,
   rating 3. Phase 1 (one supplement): on time; phase 2 (two): late.
D4 (B) by post, digitised; received 2026-10-31T16:30Z = 23:30 local on 31 October (October, not
   November); due 11-10 17:00, still processing: overdue now.
D5 (S) online, VNeID; received 11-10 08:00, refused (status 3) 11-11: counts nowhere in on-time.
   Its first record is re-sent with another channel: a duplicate, the first copy wins.
D6 (S) in person; received 2026-09-15 08:00, due 09-18 17:00, finished 09-20 08:00 (120 h): late.
   Back-filled in phase 2: last quarter's rows appear.
D7 (B) in person; received 11-12 08:00, no due; the later record (sent first) turns on the digitised
   and VNeID flags: flags come from the latest record.
D8 (A) online; received 11-15 08:00, no due; status 10 at 11-16 08:00 without an end time (end = that
   record's time): 24 h, on time; e-result; rating 4.
D9 (S) in person; received 11-18 08:00, processing, due 11-19 17:00: overdue now.
"""
from __future__ import annotations

from typing import Any

A, B, S, P = "03388", "03408", "12.SNV", "12"


def rec(dossier: str, unit: str, status: int, at: str, received: str, due: str | None = None,
        channel: int = 1, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"MaHoSo": dossier, "MaTTHC": "1.001757", "MaDonVi": unit, "KenhThucHien": channel,
                         "TrangThaiHoSo": status, "ThoiGianCapNhat": at, "NgayTiepNhan": received,
                         "NgayHenTra": due}
    r.update(extra)
    return r


def L(day_time: str) -> str:
    return f"2026-{day_time}:00+07:00"


D1_FLAGS = dict(channel=2, DichVuToanTrinh=True, CoNghiaVuTaiChinh=True, DuocThanhToanTrucTuyen=1,
                HoSoCoThanhPhanSoHoa=True, TaiKhoanDuocXacThucVoiVNeID=True)
D1 = [
    rec("D1", A, 2, L("11-02T08:00"), L("11-02T08:00"), L("11-06T17:00"), **D1_FLAGS),
    rec("D1", A, 4, L("11-03T08:00"), L("11-02T08:00"), L("11-06T17:00"), **D1_FLAGS),
    rec(
        "D1",
        A,
        9,
        L("11-05T10:00"),
        L("11-02T08:00"),
        L("11-06T17:00"),
        NgayKetThucXuLy=L("11-05T10:00"),
        **D1_FLAGS,
    ),
    rec(
        "D1",
        A,
        10,
        L("11-05T15:00"),
        L("11-02T08:00"),
        L("11-06T17:00"),
        NgayKetThucXuLy=L("11-05T10:00"),
        CoKetQuaDienTu=True,
        MucDoHaiLong=5,
        **D1_FLAGS,
    ),
]
D2 = [
    rec("D2", A, 9, L("11-07T12:00"), L("11-03T09:00"), L("11-05T17:00"), NgayKetThucXuLy=L("11-07T12:00")),
    rec("D2", A, 4, L("11-06T09:00"), L("11-03T09:00"), L("11-05T17:00")),
    rec("D2", A, 5, L("11-04T09:00"), L("11-03T09:00"), L("11-05T17:00")),
    rec("D2", A, 2, L("11-03T09:00"), L("11-03T09:00"), L("11-05T17:00")),
]
D3_FLAGS = dict(channel=2, DichVuToanTrinh=True, CoNghiaVuTaiChinh=True, DuocThanhToanTrucTuyen=0)
D3_PHASE1 = [
    rec("D3", A, 2, L("11-04T08:00"), L("11-04T08:00"), L("11-20T17:00"), **D3_FLAGS),
    rec("D3", A, 5, L("11-05T08:00"), L("11-04T08:00"), L("11-20T17:00"), **D3_FLAGS),
    rec("D3", A, 4, L("11-05T12:00"), L("11-04T08:00"), L("11-20T17:00"), **D3_FLAGS),
    rec(
        "D3",
        A,
        10,
        L("11-07T08:00"),
        L("11-04T08:00"),
        L("11-20T17:00"),
        NgayKetThucXuLy=L("11-07T08:00"),
        MucDoHaiLong=3,
        **D3_FLAGS,
    ),
]
D3_PHASE2 = [
    rec("D3", A, 5, L("11-06T08:00"), L("11-04T08:00"), L("11-20T17:00"), **D3_FLAGS),
    rec("D3", A, 4, L("11-06T10:00"), L("11-04T08:00"), L("11-20T17:00"), **D3_FLAGS),
]
D4 = [
    rec(
        "D4",
        B,
        2,
        "2026-10-31T16:30:00Z",
        "2026-10-31T16:30:00Z",
        L("11-10T17:00"),
        channel=3,
        HoSoCoThanhPhanSoHoa=True,
    ),
    rec(
        "D4",
        B,
        4,
        L("11-01T08:00"),
        "2026-10-31T16:30:00Z",
        L("11-10T17:00"),
        channel=3,
        HoSoCoThanhPhanSoHoa=True,
    ),
]
D5 = [
    rec(
        "D5",
        S,
        2,
        L("11-10T08:00"),
        L("11-10T08:00"),
        L("11-20T17:00"),
        channel=2,
        TaiKhoanDuocXacThucVoiVNeID=True,
    ),
    rec(
        "D5",
        S,
        3,
        L("11-11T08:00"),
        L("11-10T08:00"),
        L("11-20T17:00"),
        channel=2,
        TaiKhoanDuocXacThucVoiVNeID=True,
        NgayKetThucXuLy=L("11-11T08:00"),
    ),
]
D5_RESENT = dict(D5[0], KenhThucHien=1)
D6 = [
    rec("D6", S, 2, "2026-09-15T08:00:00+07:00", "2026-09-15T08:00:00+07:00", "2026-09-18T17:00:00+07:00"),
    rec(
        "D6",
        S,
        9,
        "2026-09-20T08:00:00+07:00",
        "2026-09-15T08:00:00+07:00",
        "2026-09-18T17:00:00+07:00",
        NgayKetThucXuLy="2026-09-20T08:00:00+07:00",
    ),
]
D7 = [
    rec(
        "D7",
        B,
        4,
        L("11-13T08:00"),
        L("11-12T08:00"),
        HoSoCoThanhPhanSoHoa=True,
        TaiKhoanDuocXacThucVoiVNeID=True,
    ),
    rec("D7", B, 2, L("11-12T08:00"), L("11-12T08:00")),
]
D8 = [
    rec("D8", A, 2, L("11-15T08:00"), L("11-15T08:00"), channel=2),
    rec("D8", A, 10, L("11-16T08:00"), L("11-15T08:00"), channel=2, CoKetQuaDienTu=True, MucDoHaiLong=4),
]
D9 = [rec("D9", S, 4, L("11-18T08:00"), L("11-18T08:00"), L("11-19T17:00"))]

_base = rec("BAD", A, 2, L("11-02T08:00"), L("11-02T08:00"))
BAD: list[tuple[Any, str]] = [
    ({**_base, "Ghi_chu": "x" * (1024 * 1024 + 10)}, "too_large"),
    ('{"MaHoSo": "BAD-2", ', "unparseable"),
    ({**_base, "CCCD": "001203004567"}, "personal_id"),
    ({k: v for k, v in _base.items() if k != "MaTTHC"}, "missing_field:MaTTHC"),
    ({**_base, "MaHoSo": None}, "missing_field:MaHoSo"),
    ({**_base, "KenhThucHien": "2"}, "bad_type:KenhThucHien"),
    ({**_base, "ThoiGianCapNhat": "2026-11-02T08:00:00"}, "bad_type:ThoiGianCapNhat"),
    ({**_base, "TrangThaiHoSo": 11}, "bad_enum:TrangThaiHoSo"),
    ({**_base, "MaDonVi": "12.STTTT"}, "unknown_unit:12.STTTT"),
    ({**_base, "ThoiGianCapNhat": "2030-01-01T00:00:00+07:00"}, "future_time"),
    # several problems: the first category in the contract's order wins (missing before bad_type)
    ({**{k: v for k, v in _base.items() if k != "MaTTHC"}, "KenhThucHien": "2"}, "missing_field:MaTTHC"),
]

PHASE1 = D1 + [D1[2]] + D2 + D3_PHASE1 + D4 + D5 + [D5_RESENT] + D7 + D8 + D9
PHASE2 = D3_PHASE2 + D6

DAYS = 86_400.0
# (kpi, unit, grain, period) -> (value, numerator, denominator), after phase 2.
EXPECTED: dict[tuple[str, str, str, str], tuple[Any, Any, Any]] = {
    # commune A, November: received D1 D2 D3 D8; finished D1 D2 D3 D8; ratings D1(5) D3(3) D8(4)
    ("dvc.received", A, "month", "2026-11"): (4, None, None),
    ("dvc.received_online", A, "month", "2026-11"): (3, None, None),
    ("dvc.online_rate", A, "month", "2026-11"): (0.75, 3, 4),
    ("dvc.full_online_rate", A, "month", "2026-11"): (1.0, 2, 2),
    ("dvc.online_payment_rate", A, "month", "2026-11"): (0.5, 1, 2),
    ("dvc.digitised_rate", A, "month", "2026-11"): (0.25, 1, 4),
    ("dvc.vneid_rate", A, "month", "2026-11"): (0.25, 1, 4),
    ("dvc.finished", A, "month", "2026-11"): (4, None, None),
    ("dvc.on_time_rate", A, "month", "2026-11"): (0.75, 3, 4),
    ("dvc.avg_processing_days", A, "month", "2026-11"): ((74 + 99 + 72 + 24) / 4 / 24, None, None),
    ("dvc.e_result_rate", A, "month", "2026-11"): (0.5, 2, 4),
    ("dvc.satisfaction_rate", A, "month", "2026-11"): (2 / 3, 2, 3),
    ("dvc.finished", A, "day", "2026-11-05"): (1, None, None),
    ("dvc.satisfaction_rate", A, "day", "2026-11-05"): (1.0, 1, 1),
    # commune B: D4 in October (23:30 local on the 31st, written in UTC), D7 in November
    ("dvc.received", B, "month", "2026-10"): (1, None, None),
    ("dvc.received", B, "day", "2026-10-31"): (1, None, None),
    ("dvc.digitised_rate", B, "month", "2026-10"): (1.0, 1, 1),
    ("dvc.received", B, "month", "2026-11"): (1, None, None),
    ("dvc.online_rate", B, "month", "2026-11"): (0.0, 0, 1),
    ("dvc.full_online_rate", B, "month", "2026-11"): (None, 0, 0),
    ("dvc.digitised_rate", B, "month", "2026-11"): (1.0, 1, 1),
    ("dvc.vneid_rate", B, "month", "2026-11"): (1.0, 1, 1),
    # agency S: D5 (refused) and D9 in November; D6 in September
    ("dvc.received", S, "month", "2026-11"): (2, None, None),
    ("dvc.online_rate", S, "month", "2026-11"): (0.5, 1, 2),
    ("dvc.vneid_rate", S, "month", "2026-11"): (0.5, 1, 2),
    ("dvc.online_payment_rate", S, "month", "2026-11"): (None, 0, 0),
    ("dvc.received", S, "month", "2026-09"): (1, None, None),
    ("dvc.finished", S, "month", "2026-09"): (1, None, None),
    ("dvc.on_time_rate", S, "month", "2026-09"): (0.0, 0, 1),
    ("dvc.avg_processing_days", S, "quarter", "2026-Q3"): (5.0, None, None),
    # province: everything
    ("dvc.received", P, "month", "2026-11"): (7, None, None),
    ("dvc.online_rate", P, "month", "2026-11"): (4 / 7, 4, 7),
    ("dvc.digitised_rate", P, "month", "2026-11"): (2 / 7, 2, 7),
    ("dvc.vneid_rate", P, "month", "2026-11"): (3 / 7, 3, 7),
    ("dvc.full_online_rate", P, "month", "2026-11"): (1.0, 2, 2),
    ("dvc.online_payment_rate", P, "month", "2026-11"): (0.5, 1, 2),
    ("dvc.finished", P, "month", "2026-11"): (4, None, None),
    ("dvc.on_time_rate", P, "month", "2026-11"): (0.75, 3, 4),
    ("dvc.received", P, "month", "2026-10"): (1, None, None),
    ("dvc.received", P, "quarter", "2026-Q4"): (8, None, None),
    ("dvc.received", P, "quarter", "2026-Q3"): (1, None, None),
    ("dvc.received", P, "year", "2026"): (9, None, None),
    ("dvc.finished", P, "year", "2026"): (5, None, None),
    ("dvc.on_time_rate", P, "year", "2026"): (0.6, 3, 5),
    ("dvc.avg_processing_days", P, "year", "2026"): ((74 + 99 + 72 + 24 + 120) / 5 / 24, None, None),
    ("dvc.satisfaction_rate", P, "year", "2026"): (2 / 3, 2, 3),
    # live: D4 (B) and D9 (S) are past due and not terminal; D7 has no due; the rest are closed
    ("dvc.overdue_open", A, "live", "live"): (0, None, None),
    ("dvc.overdue_open", B, "live", "live"): (1, None, None),
    ("dvc.overdue_open", S, "live", "live"): (1, None, None),
    ("dvc.overdue_open", P, "live", "live"): (2, None, None),
    ("dvc.overdue_open", "03390", "live", "live"): (0, None, None),
}
# Rows that must not exist: no base set in that unit and period.
ABSENT = [
    ("dvc.finished", B, "month", "2026-11"),
    ("dvc.on_time_rate", S, "month", "2026-11"),
    ("dvc.received", A, "month", "2026-10"),
    ("dvc.satisfaction_rate", S, "year", "2026"),
]
# After phase 1 only (D3 had one supplement request and was on time; D6 not yet sent).
EXPECTED_PHASE1 = {("dvc.on_time_rate", A, "month", "2026-11"): (1.0, 4, 4)}
ABSENT_PHASE1 = [("dvc.received", S, "month", "2026-09")]
