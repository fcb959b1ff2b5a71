"""dvc record validation against the contract: sections 2.1 (fields), 3 (bad input) and 7 (readings).

Field rules, reason precedence, strict JSON types, timestamps, identity, future_time and duplicates.
Splitting bodies, too_large, unparseable input and personal ids are in test_validation_parse.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.base import Accepted, Rejected
from connectors.dedup import IdentityIndex
from connectors.dvc import DvcSource
from connectors.ingest import Prepared, Validator
from connectors.timestamps import parse_ts
from ioc.settings import load_settings

UNITS = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml").units
DVC = DvcSource()
MAX_RECORD_BYTES = 1 << 20
TOLERANCE_S = 600
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)        # 10:00 in Lai Châu
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
    return Validator(DVC, UNITS, index if index is not None else IdentityIndex(), MAX_RECORD_BYTES, TOLERANCE_S)


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
    assert isinstance(ok.identity, bytes) and len(ok.identity) == 16


def test_record_with_only_the_required_fields_is_accepted():
    assert reason(record(**{f: DROP for f in OPTIONAL})) is None


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


@pytest.mark.parametrize("field,values", [
    ("KenhThucHien", [1, 2, 3]),
    ("TrangThaiHoSo", list(range(1, 11))),
    ("DuocThanhToanTrucTuyen", [0, 1, 2]),
    ("MucDoHaiLong", [1, 2, 3, 4, 5]),
])
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

@pytest.mark.parametrize("field,value", [
    ("KenhThucHien", 0), ("KenhThucHien", 4), ("KenhThucHien", -1), ("KenhThucHien", 2 ** 70),
    ("TrangThaiHoSo", 0), ("TrangThaiHoSo", 11), ("TrangThaiHoSo", -(2 ** 64)),
    ("DuocThanhToanTrucTuyen", 3), ("DuocThanhToanTrucTuyen", -1),
    ("MucDoHaiLong", 0), ("MucDoHaiLong", 6),
])
def test_integer_outside_its_list_is_bad_enum_not_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_enum:{field}"


# --- unknown_unit -----------------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "12.STTTT",     # a dissolved department (merged into 12.SKHCN)
    "12",           # the province itself does not handle dossiers
    "01.SNV",       # another province's agency
    "00004",        # another province's commune
    "03391",        # not a commune of Lai Châu after 1 July 2025
    "03388 ",       # codes are compared exactly
    "12.snv",
])
def test_code_that_is_not_a_commune_or_agency_of_the_province_is_unknown_unit(code):
    assert reason(record(MaDonVi=code)) == f"unknown_unit:{code}"


# --- reason precedence (contract 7) -----------------------------------------------------------

def test_non_object_json_value_is_unparseable():
    for value in (5, "x", None, True, [record()]):
        assert reason(value) == "unparseable"


def test_personal_id_beats_missing_field():
    assert reason({"CCCD": "001203004567"}) == "personal_id"


def test_personal_id_beats_every_later_category():
    rec = record(MaTTHC=DROP, KenhThucHien="2", TrangThaiHoSo=11, MaDonVi="12.STTTT",
                 ThoiGianCapNhat="2030-01-01T00:00:00Z", NguoiNop={"SoDinhDanh": "001203004567"})
    assert reason(rec) == "personal_id"


def test_missing_field_beats_bad_type_of_an_earlier_field():
    assert reason(record(MaHoSo=1001, NgayTiepNhan=DROP)) == "missing_field:NgayTiepNhan"


def test_bad_type_beats_bad_enum_of_an_earlier_field():
    assert reason(record(KenhThucHien=9, MucDoHaiLong="5")) == "bad_type:MucDoHaiLong"


def test_bad_enum_beats_unknown_unit_of_an_earlier_field():
    assert reason(record(MaDonVi="12.STTTT", MucDoHaiLong=6)) == "bad_enum:MucDoHaiLong"


def test_unknown_unit_beats_future_time():
    assert reason(record(MaDonVi="12.STTTT", ThoiGianCapNhat="2026-11-23T09:00:00+07:00")) \
        == "unknown_unit:12.STTTT"


def test_bad_type_of_another_timestamp_beats_future_time():
    assert reason(record(ThoiGianCapNhat="2026-11-23T09:00:00+07:00", NgayHenTra="2026-11-27")) \
        == "bad_type:NgayHenTra"


def test_unparseable_event_time_is_bad_type_not_future_time():
    assert reason(record(ThoiGianCapNhat="2099-01-01T00:00:00")) == "bad_type:ThoiGianCapNhat"


def test_bad_type_of_the_unit_field_is_not_unknown_unit():
    assert reason(record(MaDonVi=3388)) == "bad_type:MaDonVi"


@pytest.mark.parametrize("i", range(len(REQUIRED) - 1))
def test_missing_fields_are_reported_in_table_order_not_key_order(i):
    dropped = {f: DROP for f in REQUIRED[i:]}
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


# --- timestamps (contract 7) ------------------------------------------------------------------

BASE_US = parse_ts("2026-11-22T02:00:00Z")


@pytest.mark.parametrize("text,delta_us", [
    ("2026-11-22T02:00:00Z", 0),
    ("2026-11-22T09:00:00+07:00", 0),
    ("2026-11-21T22:30:00-03:30", 0),
    ("2026-11-22T09:00+07:00", 0),                 # without seconds
    ("2026-11-22T02:00Z", 0),
    ("2026-11-22T09:00:00.5+07:00", 500_000),      # with fractions
    ("2026-11-22T09:00:00.000001+07:00", 1),
    ("2026-11-22T02:00:00.123456Z", 123_456),
    ("2026-11-22T09:00:00.000+07:00", 0),
])
def test_timestamp_with_offset_parses_to_the_instant(text, delta_us):
    assert parse_ts(text) == BASE_US + delta_us


def test_timestamp_with_nanoseconds_parses():
    assert parse_ts("2026-11-22T09:00:00.123456789+07:00") - BASE_US in (123_456, 123_457)


def test_epoch_reference_is_exact():
    assert parse_ts("1970-01-01T00:00:00Z") == 0
    assert parse_ts("1970-01-01T07:00:00+07:00") == 0
    assert parse_ts("2026-11-22T03:00:00Z") == RECEIVED_US


@pytest.mark.parametrize("text", [
    "2026-11-22T09:00:00",                 # without offset
    "2026-11-22T09:00",
    "2026-11-22T09:00:00.5",
    "2026-11-22",                          # date only
    "2026-11-22Z",
    "2026-13-01T00:00:00Z",                # month 13
    "2026-00-10T00:00:00Z",
    "2026-02-30T00:00:00+07:00",           # day that does not exist
    "2026-02-29T00:00:00Z",                # not a leap year
    "2026-11-31T00:00:00Z",
    "2026-11-22T24:00:00Z",
    "2026-11-22T09:60:00Z",
    "2026-11-22T09:00:60Z",
    "2026-11-22T09:00:00+0700",            # the offset is ±hh:mm
    "2026-11-22T09:00:00+07",
    "2026-11-22T09:00:00+24:00",
    "2026-11-22T09:00:00+07:60",           # no such offset
    "2026-11-22T09:00.5+07:00",            # fractions need seconds
    "2026-11-22T09:00:00.+07:00",
    "2026-11-22T09:00:00.1234567890Z",
    "2026-11-22T09:00:00Z\n",              # trailing newline
    "2026-11-22T09:0000+07:00",
    "20261122T090000+0700",                # ISO-8601 basic format
    "2026-11-22T0900+07:00",
    " 2026-11-22T09:00:00Z",
    "2026-11-22T09:00:00ZZ",
    "２０２６-11-22T09:00:00Z",             # full-width digits are not ISO-8601 digits
    "2026-11-22T0٩:00:00Z",                # Arabic-Indic digit
    "",
    "now",
    "22/11/2026 09:00:00",
])
def test_invalid_timestamp_does_not_parse(text):
    assert parse_ts(text) is None


def test_leap_day_parses():
    assert parse_ts("2028-02-29T12:00:00+07:00") is not None


@pytest.mark.parametrize("field", TS_FIELDS)
@pytest.mark.parametrize("value", ["2026-11-22T09:00:00", "2026-11-22", "2026-13-01T09:00:00+07:00",
                                   "2026-11-22T09:00:00+07:60", "2026-11-22T09:00:00Z\n"])
def test_invalid_timestamp_in_a_record_is_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


@pytest.mark.parametrize("value", ["2026-11-22T02:00Z", "2026-11-22T09:00:00.250+07:00", "2026-11-21T19:00:00-07:00"])
def test_valid_timestamp_forms_are_accepted_in_a_record(value):
    assert accepted(record(ThoiGianCapNhat=value)).event_us // 1_000_000 == BASE_US // 1_000_000


# --- identity (MaHoSo, TrangThaiHoSo, ThoiGianCapNhat as an instant) -------------------------

def test_same_instant_written_in_two_offsets_has_the_same_identity():
    a = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"))
    b = accepted(record(ThoiGianCapNhat="2026-11-22T02:00:00Z"))
    c = accepted(record(ThoiGianCapNhat="2026-11-21T21:00:00.000-05:00"))
    d = accepted(record(ThoiGianCapNhat="2026-11-22T09:00+07:00"))
    assert a.identity == b.identity == c.identity == d.identity
    assert a.event_us == b.event_us == c.event_us == d.event_us


def test_different_status_has_a_different_identity():
    assert accepted(record(TrangThaiHoSo=4)).identity != accepted(record(TrangThaiHoSo=5)).identity


def test_different_instant_has_a_different_identity():
    a = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"))
    b = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00.000001+07:00"))
    c = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+08:00"))   # same wall clock, other instant
    assert len({a.identity, b.identity, c.identity}) == 3


def test_different_dossier_has_a_different_identity():
    assert accepted(record(MaHoSo="A-1")).identity != accepted(record(MaHoSo="A-2")).identity


def test_fields_outside_the_identity_do_not_change_it():
    a = accepted(record())
    b = accepted(record(MaTTHC="2.002156", MaDonVi="12.SNV", KenhThucHien=1, NgayTiepNhan="2026-11-01T08:00:00Z",
                        NgayHenTra=None, DichVuToanTrinh=False, MucDoHaiLong=5, Extra="x"))
    assert a.identity == b.identity
    assert a.key == b.key == "G12.24-261122-0001"


# --- future_time (event time more than 10 minutes after arrival) ------------------------------

@pytest.mark.parametrize("event", [
    "2026-11-22T10:10:00+07:00",            # exactly at the limit
    "2026-11-22T03:10:00Z",
    "2026-11-22T10:09:59.999999+07:00",
    "2026-11-22T10:00:00+07:00",            # the arrival instant
    "2020-01-01T00:00:00+07:00",            # years late is fine
])
def test_event_time_up_to_ten_minutes_after_arrival_is_accepted(event):
    assert reason(record(ThoiGianCapNhat=event)) is None


@pytest.mark.parametrize("event", [
    "2026-11-22T10:10:00.000001+07:00",     # one microsecond past the limit
    "2026-11-22T03:10:00.000001Z",
    "2026-11-22T10:10:01+07:00",
    "2026-11-22T11:00:00+07:00",
    "2026-11-22T10:00:00Z",                 # 10:00 UTC is 17:00 in Lai Châu
    "2099-01-01T00:00:00Z",
])
def test_event_time_more_than_ten_minutes_after_arrival_is_future_time(event):
    assert reason(record(ThoiGianCapNhat=event)) == "future_time"


@pytest.mark.parametrize("field", ["NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"])
def test_only_the_event_time_is_compared_with_arrival(field):
    assert reason(record(**{field: "2030-01-01T00:00:00+07:00"})) is None


def test_validator_measures_future_time_from_received_at():
    body = ndjson(record(MaHoSo="A", ThoiGianCapNhat="2026-11-22T10:10:00+07:00"),
                  record(MaHoSo="B", ThoiGianCapNhat="2026-11-22T10:10:00.001+07:00"))
    assert counts(validator().prepare(body, RECEIVED)) == (1, 0, {"future_time": 1})
    later = RECEIVED + timedelta(seconds=1)
    assert counts(validator().prepare(body, later)) == (2, 0, {})


def test_validator_reads_received_at_in_any_time_zone():
    body = ndjson(record(ThoiGianCapNhat="2026-11-22T10:10:00+07:00"))
    local = RECEIVED.astimezone(timezone(timedelta(hours=7)))
    assert counts(validator().prepare(body, local)) == (1, 0, {})


# --- messages ---------------------------------------------------------------------------------

def test_accepted_record_is_published_unchanged_keyed_by_dossier():
    line = '{"MaHoSo":"A-1","MaTTHC":"1.001757","MaDonVi":"12.SNV","KenhThucHien":1,"TrangThaiHoSo":1,' \
           '"ThoiGianCapNhat":"2026-11-22T09:00+07:00","NgayTiepNhan":"2026-11-22T09:00+07:00","GhiChu":"Đã nhận"}'
    prepared = validator().prepare(line.encode(), RECEIVED)
    assert counts(prepared) == (1, 0, {})
    [msg] = prepared.messages
    assert msg.topic == "ioc.raw.dvc"
    assert msg.key == b"A-1"
    assert msg.value.decode() == line
    assert prepared.identities and len(prepared.identities) == 1


def test_dead_letter_keeps_the_record_whole_with_its_reason():
    line = '{"MaHoSo": "A-1",  "MaTTHC": null, "GhiChu": "Đã nhận"}'
    prepared = validator().prepare(line.encode(), RECEIVED)
    assert counts(prepared) == (0, 0, {"missing_field:MaTTHC": 1})
    [letter] = dead_letters(prepared)
    assert letter["reason"] == "missing_field:MaTTHC"
    assert letter["source"] == "dvc"
    assert letter["record"] == line
    assert prepared.messages[0].topic == "ioc.dlq.dvc"
    assert prepared.identities == []


def test_good_and_bad_records_in_one_batch_are_each_counted():
    body = ndjson(record(MaHoSo="A"), record(MaHoSo="B", KenhThucHien=7), record(MaHoSo="C", MaTTHC=None),
                  record(MaHoSo="D", MaDonVi="12.STTTT"), record(MaHoSo="E"),
                  record(MaHoSo="F", ThoiGianCapNhat="2026-11-23T00:00:00+07:00"))
    prepared = validator().prepare(body, RECEIVED)
    assert counts(prepared) == (2, 0, {"bad_enum:KenhThucHien": 1, "missing_field:MaTTHC": 1,
                                       "unknown_unit:12.STTTT": 1, "future_time": 1})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "E"]
    assert prepared.result.as_dict()["received"] == 6


# --- duplicates -------------------------------------------------------------------------------

def test_duplicate_inside_one_body_counts_once_and_the_first_copy_wins():
    first = record(MaDonVi="03388", CoKetQuaDienTu=False)
    later = record(MaDonVi="12.SNV", CoKetQuaDienTu=True)     # same identity, other content
    prepared = validator().prepare(ndjson(first, later, first), RECEIVED)
    assert counts(prepared) == (1, 2, {})
    assert raw_values(prepared) == [first]
    assert len(prepared.identities) == 1


def test_same_instant_in_another_offset_is_a_duplicate():
    body = ndjson(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"),
                  record(ThoiGianCapNhat="2026-11-22T02:00:00.000Z"))
    assert counts(validator().prepare(body, RECEIVED)) == (1, 1, {})


def test_another_status_of_the_same_dossier_is_not_a_duplicate():
    body = ndjson(record(TrangThaiHoSo=4), record(TrangThaiHoSo=5), record(TrangThaiHoSo=4))
    assert counts(validator().prepare(body, RECEIVED)) == (2, 1, {})


def test_dead_letters_are_never_deduplicated():
    bad = record(MaTTHC=DROP)
    prepared = validator().prepare(ndjson(bad, bad, bad), RECEIVED)
    assert counts(prepared) == (0, 0, {"missing_field:MaTTHC": 3})
    assert len(dead_letters(prepared)) == 3
    assert len({letter["id"] for letter in dead_letters(prepared)}) == 3


def test_dead_lettered_copy_does_not_make_a_later_valid_copy_a_duplicate():
    body = ndjson(record(MucDoHaiLong=9), record(MucDoHaiLong=5))
    prepared = validator().prepare(body, RECEIVED)
    assert counts(prepared) == (1, 0, {"bad_enum:MucDoHaiLong": 1})


def test_duplicate_across_bodies_after_commit():
    index = IdentityIndex()
    v = validator(index)
    first = v.prepare(ndjson(record(MaHoSo="A"), record(MaHoSo="B")), RECEIVED)
    assert counts(first) == (2, 0, {})
    index.commit("dvc", first.identities)
    second = v.prepare(ndjson(record(MaHoSo="B", MaDonVi="12.SNV"), record(MaHoSo="C")), RECEIVED)
    assert counts(second) == (1, 1, {})
    assert [r["MaHoSo"] for r in raw_values(second)] == ["C"]
    assert index.count("dvc") == 2


def test_duplicate_across_bodies_written_in_another_offset_after_commit():
    index = IdentityIndex()
    v = validator(index)
    first = v.prepare(ndjson(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00")), RECEIVED)
    index.commit("dvc", first.identities)
    again = v.prepare(ndjson(record(ThoiGianCapNhat="2026-11-22T02:00Z")), RECEIVED + timedelta(days=3))
    assert counts(again) == (0, 1, {})
    assert again.messages == [] and again.identities == []


def test_identity_reserved_by_a_batch_in_flight_is_a_duplicate_and_free_again_after_release():
    index = IdentityIndex()
    v = validator(index)
    in_flight = v.prepare(ndjson(record()), RECEIVED)
    assert counts(v.prepare(ndjson(record()), RECEIVED)) == (0, 1, {})
    index.release("dvc", in_flight.identities)
    assert counts(v.prepare(ndjson(record()), RECEIVED)) == (1, 0, {})


def test_separate_indexes_do_not_share_identities():
    assert counts(validator().prepare(ndjson(record()), RECEIVED)) == (1, 0, {})
    assert counts(validator().prepare(ndjson(record()), RECEIVED)) == (1, 0, {})


def test_a_first_batch_of_only_dead_letters_commits_cleanly() -> None:
    from connectors.dedup import IdentityIndex
    index = IdentityIndex()
    index.commit("eoffice", [])
    index.release("telecom", [])
    assert index.count("eoffice") == 0


def test_after_a_partial_publish_failure_the_taken_records_are_duplicates() -> None:
    """A 503 after the broker took part of a batch: the source's retry must not publish those again."""
    from datetime import datetime, timezone

    import orjson

    from connectors.dedup import IdentityIndex
    from connectors.dvc import DvcSource
    from connectors.ingest import Validator
    from ioc.settings import load_settings
    index = IdentityIndex()
    validator = Validator(DvcSource(), load_settings().units, index, 1 << 20, 600)
    records = [{"MaHoSo": f"P{i}", "MaTTHC": "1", "MaDonVi": "03388", "KenhThucHien": 1, "TrangThaiHoSo": 2,
                "ThoiGianCapNhat": "2026-11-01T08:00:00+07:00", "NgayTiepNhan": "2026-11-01T08:00:00+07:00"}
               for i in range(3)]
    body = b"\n".join(orjson.dumps(r) for r in records) + b"\nnot json"
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    prepared = validator.prepare(body, now)
    acked = [True, False, True, True]   # the broker took records 0 and 2 and the dead letter
    taken, rest = prepared.acked_identities(acked)
    index.commit("dvc", taken)
    index.release("dvc", rest)
    retry = validator.prepare(body, now)
    assert (retry.result.accepted, retry.result.duplicate) == (1, 2)
