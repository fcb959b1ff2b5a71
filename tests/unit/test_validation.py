"""dvc record validation against the contract: sections 2.1 (fields), 3 (bad input) and 7 (readings).

Field rules, strict JSON types and reason precedence. The shared dvc helpers live here too.
Timestamps and future_time: test_validation_time.py; identity, messages and duplicates:
test_validation_identity.py. Splitting bodies, unparseable input and numbers: test_validation_parse.py;
JSON-array fallback: test_validation_arrays.py; too_large: test_validation_size.py; personal ids:
test_validation_privacy.py.
"""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.base import Accepted, Rejected
from connectors.dedup import IdentityIndex
from connectors.dvc import DvcSource
from connectors.ingest import Prepared, Validator
from contract.settings import load_settings
from contract.timestamps import parse_ts

UNITS = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml").units
DVC = DvcSource()
MAX_RECORD_BYTES = 1 << 20
TOLERANCE_S = 600
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)        # 10:00 in Lai Châu
RECEIVED_US = 1_795_316_400_000_000                                  # the same instant, epoch µs
DROP = object()                                                      # record(F=DROP) removes F

# Contract 2.1, in table order (literal here, so a reordered table in code is caught).
TABLE_ORDER = [
    "MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiGianCapNhat",
    "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "DichVuToanTrinh", "CoNghiaVuTaiChinh",
    "DuocThanhToanTrucTuyen", "HoSoCoThanhPhanSoHoa", "CoKetQuaDienTu",
    "TaiKhoanDuocXacThucVoiVNeID", "MucDoHaiLong",
]
REQUIRED = ["MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "ThoiGianCapNhat", "NgayTiepNhan"]
OPTIONAL = [f for f in TABLE_ORDER if f not in REQUIRED]
BOOL_FIELDS = ["DichVuToanTrinh", "CoNghiaVuTaiChinh", "HoSoCoThanhPhanSoHoa", "CoKetQuaDienTu",
               "TaiKhoanDuocXacThucVoiVNeID"]
TS_FIELDS = ["ThoiGianCapNhat", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"]

# One value of the wrong JSON type for every field (none of them a personal id).
WRONG_TYPE: dict[str, Any] = {
    "MaHoSo": 1001, "MaTTHC": 1.001757, "MaDonVi": 3388, "KenhThucHien": "2", "TrangThaiHoSo": 4.0,
    "ThoiGianCapNhat": "2026-11-22T09:00:00", "NgayTiepNhan": "2026-11-20", "NgayHenTra": 1795341600,
    "NgayKetThucXuLy": "2026-13-01T00:00:00Z", "DichVuToanTrinh": 1, "CoNghiaVuTaiChinh": "false",
    "DuocThanhToanTrucTuyen": True, "HoSoCoThanhPhanSoHoa": 0, "CoKetQuaDienTu": "true",
    "TaiKhoanDuocXacThucVoiVNeID": [True], "MucDoHaiLong": "5",
}


def record(**changes: Any) -> dict[str, Any]:
    """A valid dvc record with every field of the table; keyword arguments change or DROP fields."""
    rec: dict[str, Any] = {
        "MaHoSo": "G12.24-261122-0001",
        "MaTTHC": "1.001757",
        "MaDonVi": "03388",
        "KenhThucHien": 2,
        "TrangThaiHoSo": 4,
        "ThoiGianCapNhat": "2026-11-22T09:00:00+07:00",
        "NgayTiepNhan": "2026-11-20T08:30:00+07:00",
        "NgayHenTra": "2026-11-27T17:00:00+07:00",
        "NgayKetThucXuLy": None,
        "DichVuToanTrinh": True,
        "CoNghiaVuTaiChinh": False,
        "DuocThanhToanTrucTuyen": 0,
        "HoSoCoThanhPhanSoHoa": True,
        "CoKetQuaDienTu": False,
        "TaiKhoanDuocXacThucVoiVNeID": True,
        "MucDoHaiLong": None,
    }
    for name, value in changes.items():
        if value is DROP:
            rec.pop(name, None)
        else:
            rec[name] = value
    return rec


def reversed_keys(rec: dict[str, Any]) -> dict[str, Any]:
    return dict(reversed(list(rec.items())))


def check(rec: Any, received_us: int = RECEIVED_US) -> Accepted | Rejected:
    return DVC.check(rec, received_us, TOLERANCE_S * 1_000_000, UNITS)


def reason(rec: Any) -> str | None:
    verdict = check(rec)
    return verdict.reason if isinstance(verdict, Rejected) else None


def accepted(rec: Any) -> Accepted:
    verdict = check(rec)
    assert isinstance(verdict, Accepted), verdict
    return verdict


def validator(index: IdentityIndex | None = None) -> Validator:
    return Validator(
        DVC, UNITS, index if index is not None else IdentityIndex(), MAX_RECORD_BYTES, TOLERANCE_S
    )


def ndjson(*records: Any) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records)


def counts(prepared: Prepared) -> tuple[int, int, dict[str, int]]:
    r = prepared.result
    return r.accepted, r.duplicate, dict(r.dead_letter_reasons)


def raw_values(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if m.topic == "ioc.raw.dvc"]


def dead_letters(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if m.topic == "ioc.dlq.dvc"]


# --- the units the tests rely on --------------------------------------------------------------


def test_configured_units_are_the_ones_the_tests_assume():
    assert UNITS.level("03388") == "commune"
    assert UNITS.level("12.SNV") == "agency"
    assert UNITS.level("12") == "province"
    assert UNITS.level("12.STTTT") is None


# --- accepted records -------------------------------------------------------------------------


def test_complete_record_is_accepted_with_key_event_time_and_identity():
    rec = record()
    ok = accepted(rec)
    assert ok.record is rec
    assert ok.key == "G12.24-261122-0001"
    assert ok.event_us == parse_ts("2026-11-22T02:00:00Z")
    assert isinstance(ok.identity.digest, bytes) and len(ok.identity.digest) == 16


def test_record_with_only_the_required_fields_is_accepted():
    assert reason(record(**dict.fromkeys(OPTIONAL, DROP))) is None


@pytest.mark.parametrize("field", OPTIONAL)
def test_optional_field_may_be_null(field):
    assert reason(record(**{field: None})) is None


@pytest.mark.parametrize("field", OPTIONAL)
def test_optional_field_may_be_absent(field):
    assert reason(record(**{field: DROP})) is None


def test_unknown_extra_fields_of_any_shape_are_ignored():
    rec = record(GhiChu="nộp bổ sung", SoTrang=12, Extra={"a": [1, 2.5, None, {"b": False}]}, Empty=[])
    assert reason(rec) is None


@pytest.mark.parametrize("field", BOOL_FIELDS)
@pytest.mark.parametrize("value", [True, False])
def test_bool_field_takes_true_and_false(field, value):
    assert reason(record(**{field: value})) is None


@pytest.mark.parametrize(
    "field,values",
    [
        ("KenhThucHien", [1, 2, 3]),
        ("TrangThaiHoSo", list(range(1, 11))),
        ("DuocThanhToanTrucTuyen", [0, 1, 2]),
        ("MucDoHaiLong", [1, 2, 3, 4, 5]),
    ],
)
def test_every_listed_integer_is_accepted(field, values):
    for value in values:
        assert reason(record(**{field: value})) is None, (field, value)


@pytest.mark.parametrize("code", ["03388", "03640", "12.SNV", "12.VP", "12.SKHCN"])
def test_commune_and_agency_codes_of_the_province_are_handling_units(code):
    assert reason(record(MaDonVi=code)) is None


# --- missing_field ----------------------------------------------------------------------------


@pytest.mark.parametrize("field", REQUIRED)
def test_absent_required_field_is_missing_field(field):
    assert reason(record(**{field: DROP})) == f"missing_field:{field}"


@pytest.mark.parametrize("field", REQUIRED)
def test_null_in_required_field_is_missing_field_not_bad_type(field):
    assert reason(record(**{field: None})) == f"missing_field:{field}"


def test_empty_dossier_id_is_missing_field():
    assert reason(record(MaHoSo="")) == "missing_field:MaHoSo"


def test_empty_object_misses_the_first_field_of_the_table():
    assert reason({}) == "missing_field:MaHoSo"


# --- bad_type (strict JSON types) -------------------------------------------------------------


@pytest.mark.parametrize("field", TABLE_ORDER)
def test_wrong_json_type_is_bad_type(field):
    assert reason(record(**{field: WRONG_TYPE[field]})) == f"bad_type:{field}"


@pytest.mark.parametrize("value", ["2", 2.0, True, [2], {"v": 2}])
def test_integer_field_takes_only_a_json_integer(value):
    assert reason(record(KenhThucHien=value)) == "bad_type:KenhThucHien"


@pytest.mark.parametrize("field", ["TrangThaiHoSo", "DuocThanhToanTrucTuyen", "MucDoHaiLong"])
def test_true_is_not_an_integer(field):
    assert reason(record(**{field: True})) == f"bad_type:{field}"


def test_false_is_not_zero_for_the_payment_field():
    assert reason(record(DuocThanhToanTrucTuyen=False)) == "bad_type:DuocThanhToanTrucTuyen"


@pytest.mark.parametrize("field", BOOL_FIELDS)
@pytest.mark.parametrize("value", [1, 0, "true", 1.0])
def test_bool_field_given_anything_but_true_or_false_is_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


@pytest.mark.parametrize("field", ["MaHoSo", "MaTTHC", "MaDonVi"])
@pytest.mark.parametrize("value", [17, 3.5, True, ["x"], {"code": "03388"}])
def test_string_field_takes_only_a_json_string(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


@pytest.mark.parametrize("field", TS_FIELDS)
@pytest.mark.parametrize("value", [1795341600, 1795341600000, ["2026-11-22T09:00:00+07:00"], True, ""])
def test_timestamp_field_takes_only_a_timestamp_string(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


# --- bad_enum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("KenhThucHien", 0),
        ("KenhThucHien", 4),
        ("KenhThucHien", -1),
        ("KenhThucHien", 2**70),
        ("TrangThaiHoSo", 0),
        ("TrangThaiHoSo", 11),
        ("TrangThaiHoSo", -(2**64)),
        ("DuocThanhToanTrucTuyen", 3),
        ("DuocThanhToanTrucTuyen", -1),
        ("MucDoHaiLong", 0),
        ("MucDoHaiLong", 6),
    ],
)
def test_integer_outside_its_list_is_bad_enum_not_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_enum:{field}"


# --- unknown_unit -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "12.STTTT",  # a dissolved department (merged into 12.SKHCN)
        "12",  # the province itself does not handle dossiers
        "01.SNV",  # another province's agency
        "00004",  # another province's commune
        "03391",  # not a commune of Lai Châu after 1 July 2025
        "03388 ",  # codes are compared exactly
        "12.snv",
    ],
)
def test_code_that_is_not_a_commune_or_agency_of_the_province_is_unknown_unit(code):
    assert reason(record(MaDonVi=code)) == f"unknown_unit:{code}"


# --- reason precedence (contract 7) -----------------------------------------------------------


def test_non_object_json_value_is_unparseable():
    for value in (5, "x", None, True, [record()]):
        assert reason(value) == "unparseable"


def test_personal_id_beats_missing_field():
    assert reason({"CCCD": "001203004567"}) == "personal_id"


def test_personal_id_beats_every_later_category():
    rec = record(
        MaTTHC=DROP,
        KenhThucHien="2",
        TrangThaiHoSo=11,
        MaDonVi="12.STTTT",
        ThoiGianCapNhat="2030-01-01T00:00:00Z",
        NguoiNop={"SoDinhDanh": "001203004567"},
    )
    assert reason(rec) == "personal_id"


def test_missing_field_beats_bad_type_of_an_earlier_field():
    assert reason(record(MaHoSo=1001, NgayTiepNhan=DROP)) == "missing_field:NgayTiepNhan"


def test_bad_type_beats_bad_enum_of_an_earlier_field():
    assert reason(record(KenhThucHien=9, MucDoHaiLong="5")) == "bad_type:MucDoHaiLong"


def test_bad_enum_beats_unknown_unit_of_an_earlier_field():
    assert reason(record(MaDonVi="12.STTTT", MucDoHaiLong=6)) == "bad_enum:MucDoHaiLong"


def test_unknown_unit_beats_future_time():
    assert (
        reason(record(MaDonVi="12.STTTT", ThoiGianCapNhat="2026-11-23T09:00:00+07:00"))
        == "unknown_unit:12.STTTT"
    )


def test_bad_type_of_another_timestamp_beats_future_time():
    assert (
        reason(record(ThoiGianCapNhat="2026-11-23T09:00:00+07:00", NgayHenTra="2026-11-27"))
        == "bad_type:NgayHenTra"
    )


def test_unparseable_event_time_is_bad_type_not_future_time():
    assert reason(record(ThoiGianCapNhat="2099-01-01T00:00:00")) == "bad_type:ThoiGianCapNhat"


def test_bad_type_of_the_unit_field_is_not_unknown_unit():
    assert reason(record(MaDonVi=3388)) == "bad_type:MaDonVi"


@pytest.mark.parametrize("i", range(len(REQUIRED) - 1))
def test_missing_fields_are_reported_in_table_order_not_key_order(i):
    dropped = dict.fromkeys(REQUIRED[i:], DROP)
    assert reason(reversed_keys(record(**dropped))) == f"missing_field:{REQUIRED[i]}"


@pytest.mark.parametrize("i", range(len(TABLE_ORDER)))
def test_bad_types_are_reported_in_table_order_not_key_order(i):
    wrong = {f: WRONG_TYPE[f] for f in TABLE_ORDER[i:]}
    assert reason(reversed_keys(record(**wrong))) == f"bad_type:{TABLE_ORDER[i]}"


def test_bad_enums_are_reported_in_table_order_not_key_order():
    rec = reversed_keys(record(KenhThucHien=0, TrangThaiHoSo=11, DuocThanhToanTrucTuyen=5, MucDoHaiLong=9))
    assert reason(rec) == "bad_enum:KenhThucHien"
    rec = reversed_keys(record(TrangThaiHoSo=11, DuocThanhToanTrucTuyen=5, MucDoHaiLong=9))
    assert reason(rec) == "bad_enum:TrangThaiHoSo"
    rec = reversed_keys(record(DuocThanhToanTrucTuyen=5, MucDoHaiLong=9))
    assert reason(rec) == "bad_enum:DuocThanhToanTrucTuyen"
