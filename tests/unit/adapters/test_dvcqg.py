"""DVCQG dossier syncs (wire-formats 1): every dead-letter rule of 1.3 and 1.5, the reason order, the
body shapes of 1.2, event time and supplements (1.4), unit resolution (1.5)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from tests.wire_kit import context, counts, dead_letters, example, raw_records, run

SYNC = orjson.loads(example("dvcqg-sync.json"))
DOSSIER: dict[str, Any] = SYNC["data"][0]


def body(*dossiers: dict[str, Any], service: str = "DongBoHoSoMC") -> bytes:
    return orjson.dumps({**SYNC, "service": service, "data": list(dossiers)})


def change(**fields: Any) -> dict[str, Any]:
    d = dict(DOSSIER)
    for k, v in fields.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def reason(d: Any) -> str | None:
    letters = dead_letters(run("dvcqg", body(d)))
    return letters[0]["reason"] if letters else None


def main_record(d: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return raw_records(run("dvcqg", body(d), **kw))[0]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"MaHoSo": ...}, "missing_field:MaHoSo"),
        ({"MaHoSo": "  "}, "missing_field:MaHoSo"),
        ({"MaTTHC": ...}, "missing_field:MaTTHC"),
        ({"MaTTHC": None}, "missing_field:MaTTHC"),
        ({"MaTTHC": ["1.001193"]}, "bad_type:MaTTHC"),
        (
            {"DonViXuLy": "UBND xã Không Có", "MaHoSo": "000.99.00.H35-261103-0042"},
            "unknown_unit:000.99.00.H35",
        ),
        ({"DonViXuLy": "", "MaHoSo": "HS0042"}, "unknown_unit:HS0042"),
        ({"KenhThucHien": "x"}, "bad_type:KenhThucHien"),
        ({"KenhThucHien": 2.0}, "bad_type:KenhThucHien"),
        ({"KenhThucHien": "7"}, "bad_enum:KenhThucHien"),
        ({"TrangThaiHoSo": ...}, "missing_field:TrangThaiHoSo"),
        ({"TrangThaiHoSo": ""}, "missing_field:TrangThaiHoSo"),
        ({"TrangThaiHoSo": "mười"}, "bad_type:TrangThaiHoSo"),
        ({"TrangThaiHoSo": "11"}, "bad_enum:TrangThaiHoSo"),
        ({"ThoiGianCapNhat": "hôm qua"}, "bad_type:ThoiGianCapNhat"),
        ({"NgayTra": "2026-13-45"}, "bad_type:NgayTra"),
        ({"NgayTiepNhan": ...}, "missing_field:NgayTiepNhan"),
        ({"NgayTiepNhan": "0001-01-01T00:00:00"}, "missing_field:NgayTiepNhan"),
        ({"NgayTiepNhan": "20261303093000"}, "bad_type:NgayTiepNhan"),
        ({"NgayTiepNhan": "18991231000000"}, "bad_type:NgayTiepNhan"),
        ({"NgayHenTra": "06/11/2026 17:00"}, "bad_type:NgayHenTra"),
        ({"NgayKetThucXuLy": 20261105143000}, "bad_type:NgayKetThucXuLy"),
        ({"DuocThanhToanTrucTuyen": "5"}, "bad_enum:DuocThanhToanTrucTuyen"),
        ({"DuocThanhToanTrucTuyen": "có"}, "bad_type:DuocThanhToanTrucTuyen"),
        ({"HoSoCoThanhPhanSoHoa": "yes"}, "bad_type:HoSoCoThanhPhanSoHoa"),
        ({"TaiKhoanDuocXacThucVoiVNeID": "2"}, "bad_type:TaiKhoanDuocXacThucVoiVNeID"),
        ({"DanhSachLePhi": "50000"}, "bad_type:DanhSachLePhi"),
        # several problems: contract 7's category order first, then the mapping table's
        ({"KenhThucHien": "x", "MaTTHC": ...}, "missing_field:MaTTHC"),
        ({"TrangThaiHoSo": "11", "KenhThucHien": "x"}, "bad_type:KenhThucHien"),
        ({"TrangThaiHoSo": "11", "KenhThucHien": "9"}, "bad_enum:KenhThucHien"),
        ({"MaHoSo": "HS0042", "DonViXuLy": "", "TrangThaiHoSo": "11"}, "bad_enum:TrangThaiHoSo"),
    ],
)
def test_item_level_dead_letters(fields: dict[str, Any], expected: str) -> None:
    assert reason(change(**fields)) == expected


def test_record_level_checks_still_run() -> None:
    """A 12-digit MaHoSo is `personal_id`; an event time a year ahead `future_time` (0.5)."""
    assert reason(change(MaHoSo="012345678901")) == "personal_id"
    prepared = run("dvcqg", body(change(ThoiGianCapNhat="20271105160000")))
    c = counts(prepared)  # each record meets the check: the main one is ahead, its supplements are not
    assert (c["dead_letter_reasons"], c["accepted"]) == ({"future_time": 1}, 2)


def test_an_item_not_an_object_and_a_too_large_one() -> None:
    c = counts(run("dvcqg", body("not a dossier", change(GhiChu="x" * (1 << 20)), DOSSIER)))  # type: ignore[arg-type]
    assert c["dead_letter_reasons"] == {"unparseable": 1, "too_large": 1} and c["accepted"] == 3


def test_wire_numbers_and_flags() -> None:
    r = main_record(
        change(
            KenhThucHien=...,
            DuocThanhToanTrucTuyen="3",
            HoSoCoThanhPhanSoHoa="0",
            TaiLieuNop=[{"DuocSoHoa": 1}],
            TaiKhoanDuocXacThucVoiVNeID=True,
        )
    )
    assert (r["KenhThucHien"], r["DuocThanhToanTrucTuyen"], r["HoSoCoThanhPhanSoHoa"]) == (1, 0, True)
    assert r["TaiKhoanDuocXacThucVoiVNeID"] is True
    r = main_record(
        change(
            KenhThucHien=3,
            TrangThaiHoSo=9,
            DuocThanhToanTrucTuyen=2,
            HoSoCoThanhPhanSoHoa=False,
            TaiLieuNop=[],
        )
    )
    assert (r["KenhThucHien"], r["TrangThaiHoSo"], r["DuocThanhToanTrucTuyen"]) == (3, 9, 2)
    assert r["HoSoCoThanhPhanSoHoa"] is False


@pytest.mark.parametrize(
    ("fees", "expected"),
    [
        ([], False),
        ([{"Gia": "0"}], False),
        ([{"Gia": "50.000"}], True),
        ([{"Gia": "1 000,00"}], True),
        ([{"Gia": 20000}], True),
        ([{"Gia": "miễn phí"}], False),
        ([{"Gia": "0"}, {"Gia": "15,000"}], True),
    ],
)
def test_fee_from_the_fee_list(fees: list[Any], expected: bool) -> None:
    assert main_record(change(DanhSachLePhi=fees))["CoNghiaVuTaiChinh"] is expected


def test_e_result_needs_a_file_link() -> None:
    assert main_record(change(DanhSachGiayToKetQua=[{"DuongDanTepTinKetQua": ""}]))["CoKetQuaDienTu"] is False
    assert main_record(change(DanhSachGiayToKetQua=[]))["CoKetQuaDienTu"] is False


def test_full_online_from_the_configured_procedures() -> None:
    assert main_record(DOSSIER)["DichVuToanTrinh"] is False
    for listed in ("1.001193", "1.001193.000.00.00.H35"):
        ctx = replace(context(), full_online_procedures=frozenset({listed}))
        assert main_record(DOSSIER, ctx=ctx)["DichVuToanTrinh"] is True


def test_event_time_and_supplements() -> None:
    """T is ThoiGianCapNhat when sent; supplement records only strictly before T (1.4)."""
    records = raw_records(run("dvcqg", body(change(ThoiGianCapNhat="20261105080000"))))
    assert [(r["TrangThaiHoSo"], r["ThoiGianCapNhat"]) for r in records] == [
        (10, "2026-11-05T08:00:00+07:00"),
        (5, "2026-11-03T10:05:00+07:00"),
    ]
    none = change(DanhSachHoSoBoSung=[], NgayTra="", NgayKetThucXuLy="", TrangThaiHoSo="2")
    [only] = raw_records(run("dvcqg", body(none)))
    assert only["ThoiGianCapNhat"] == "2026-11-03T09:30:00+07:00" and "NgayKetThucXuLy" not in only
    assert only["NgayHenTra"] == "2026-11-06T17:00:00+07:00"  # no supplement: the dossier's own due date


def test_refused_dossier_ends_at_its_refusal() -> None:
    refused = change(
        TrangThaiHoSo="3", NgayKetThucXuLy="", NgayTra="", NgayTuChoi="20261103110000", DanhSachHoSoBoSung=[]
    )
    r = main_record(refused)
    assert r["NgayKetThucXuLy"] == r["ThoiGianCapNhat"] == "2026-11-03T11:00:00+07:00"


def test_earliest_supplement_gives_the_due_date() -> None:
    supplements = [
        {"NgayBoSung": "2026-11-04T10:00:00", "NgayHenTraTruoc": "2026-11-05T17:00:00"},
        {"NgayBoSung": "2026-11-03T10:05:00", "NgayHenTraTruoc": "2026-11-04T17:00:00"},
    ]
    assert main_record(change(DanhSachHoSoBoSung=supplements))["NgayHenTra"] == "2026-11-04T17:00:00+07:00"


@pytest.mark.parametrize(
    ("fields", "unit"),
    [
        ({"MaDonVi": "03388"}, "03388"),  # the dossier's own unit (an extension)
        (
            {"MaDonVi": "99999", "DonViXuLy": "UỶ  BAN nhân dân xã Bình Lư"},
            "03390",
        ),  # name: case, tone, spaces
        ({"DonViXuLy": "", "MaHoSo": "000.00.00.H35-261103-0042"}, "12.VP"),  # MaHoSo prefix: organ_id
        ({"DonViXuLy": "Sở Văn hoá, Thể thao và Du lịch"}, "12.SVHTTDL"),
    ],
)
def test_unit_resolution(fields: dict[str, Any], unit: str) -> None:
    assert main_record(change(**fields))["MaDonVi"] == unit


def test_madonvi_never_sets_the_unit() -> None:
    d = change(DonViXuLy="", MaHoSo="HS0042")
    letters = dead_letters(run("dvcqg", orjson.dumps({**SYNC, "madonvi": "03390", "data": [d]})))
    assert letters[0]["reason"] == "unknown_unit:HS0042"


def test_body_shapes() -> None:
    """One body, a list of bodies, NDJSON of bodies, a bare array of dossiers (1.2)."""
    one = counts(run("dvcqg", body(DOSSIER)))
    listed = counts(run("dvcqg", orjson.dumps([orjson.loads(body(DOSSIER)), orjson.loads(body(DOSSIER))])))
    ndjson = counts(run("dvcqg", body(DOSSIER) + b"\n" + body(DOSSIER)))
    bare = counts(run("dvcqg", orjson.dumps([DOSSIER, DOSSIER])))
    assert one["items"] == 1 and listed["items"] == ndjson["items"] == bare["items"] == 2
    assert listed["accepted"] == ndjson["accepted"] == bare["accepted"] == 3  # the second copy: duplicates


def test_progress_steps_and_other_services_are_ignored() -> None:
    steps = orjson.dumps(
        {
            "session": "s",
            "service": "CapNhatTienDoHoSoMC",
            "data": [{"MaHoSo": "000.03.00.H35-261103-0042", "TrangThai": "4", "NguoiXuLy": "Lò Văn A"}] * 3,
        }
    )
    c = counts(run("dvcqg", steps))
    assert (c["items"], c["records"], c["ignored_kinds"]) == (3, 0, {"CapNhatTienDoHoSoMC": 3})
    c = counts(run("dvcqg", body(DOSSIER, service="TraCuuHoSo")))
    assert (c["items"], c["ignored_kinds"]) == (1, {"TraCuuHoSo": 1})


def test_unparseable_bodies_keep_no_session() -> None:
    for bad in (
        b'{"session": "8c2f0f6e4b7d4f4fa0d1c3b2a5e6f708", "data": [',
        b'{"service": "DongBoHoSoMC", '
        b'"session": "8c2f0f6e4b7d4f4fa0d1c3b2a5e6f708", "data": {"MaHoSo": "x"}}',
    ):
        prepared = run("dvcqg", bad)
        assert counts(prepared)["dead_letter_reasons"] == {"unparseable": 1}
        assert b"8c2f0f6e4b7d4f4fa0d1c3b2a5e6f708" not in b"".join(m.value for m in prepared.messages)
