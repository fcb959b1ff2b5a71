"""Bodies in, items out: splitting (JSON array, single object, NDJSON), too_large, unparseable input,
numbers JSON cannot or orjson does not read exactly, deep nesting and personal ids (contract 2.3, 3, 7).

Every test goes through the one validation path (`Validator.prepare`) unless it is about splitting.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.dedup import IdentityIndex
from connectors.dvc import DvcSource
from connectors.ingest import Prepared, Validator
from connectors.parse import split_records
from ioc.settings import load_settings

UNITS = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml").units
MIB = 1 << 20
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)     # 10:00 in Lai Châu
PID = "001203004567"                                               # a 12-digit personal id number
PID_INT = 123456789012
TWELVE_DIGITS = re.compile(rb"(?<![0-9])[0-9]{12}(?![0-9])")


def record(**changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "MaHoSo": "G12.24-261122-0001", "MaTTHC": "1.001757", "MaDonVi": "03388", "KenhThucHien": 2,
        "TrangThaiHoSo": 4, "ThoiGianCapNhat": "2026-11-22T09:00:00+07:00",
        "NgayTiepNhan": "2026-11-20T08:30:00+07:00", "NgayHenTra": "2026-11-27T17:00:00+07:00",
        "DichVuToanTrinh": True, "CoNghiaVuTaiChinh": False,
    }
    rec.update(changes)
    return rec


def line(**changes: Any) -> bytes:
    return orjson.dumps(record(**changes))


def prepare(body: bytes, max_record_bytes: int = MIB) -> Prepared:
    return Validator(DvcSource(), UNITS, IdentityIndex(), max_record_bytes, 600).prepare(body, RECEIVED)


def counts(prepared: Prepared) -> tuple[int, int, dict[str, int]]:
    r = prepared.result
    return r.accepted, r.duplicate, dict(r.dead_letter_reasons)


def raw_values(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if m.topic == "ioc.raw.dvc"]


def raw_texts(prepared: Prepared) -> list[bytes]:
    return [m.value for m in prepared.messages if m.topic == "ioc.raw.dvc"]


def dead_letters(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if m.topic == "ioc.dlq.dvc"]


def everything_published(prepared: Prepared) -> bytes:
    out = []
    for m in prepared.messages:
        out += [m.topic.encode(), m.key or b"", m.value, *(v for _, v in m.headers)]
    return b"\n".join(out)


def record_texts(prepared: Prepared) -> list[bytes]:
    """The records as published: raw values and the text kept in each dead letter."""
    return raw_texts(prepared) + [d["record"].encode() for d in dead_letters(prepared)]


def assert_no_personal_id(prepared: Prepared, digits: str = PID) -> None:
    assert digits.encode() not in everything_published(prepared)
    for text in record_texts(prepared):     # (ids and digests in headers are hex, so not scanned)
        assert TWELVE_DIGITS.search(text) is None, text[:200]


def padded(size: int, **changes: Any) -> dict[str, Any]:
    """A valid record whose compact JSON text is exactly `size` bytes."""
    rec = record(Pad="", **changes)
    rec["Pad"] = "x" * (size - len(orjson.dumps(rec)))
    assert len(orjson.dumps(rec)) == size
    return rec


def nested(depth: int, leaf: bytes = b"1", open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + leaf + close * depth


# --- splitting --------------------------------------------------------------------------------

def test_json_array_yields_one_item_per_element():
    items = list(split_records(orjson.dumps([record(MaHoSo="A"), record(MaHoSo="B")]), MIB))
    assert [i.reject for i in items] == [None, None]
    assert [i.value["MaHoSo"] for i in items] == ["A", "B"]
    assert orjson.loads(items[0].text) == record(MaHoSo="A")


def test_pretty_printed_json_array_is_one_batch():
    body = b"[\n  " + line(MaHoSo="A") + b",\n  " + line(MaHoSo="B") + b"\n]\n"
    assert counts(prepare(body)) == (2, 0, {})


def test_single_object_is_one_record():
    items = list(split_records(b"  " + line() + b"\n", MIB))
    assert len(items) == 1 and items[0].value == record()


@pytest.mark.parametrize("body", [b"", b"   ", b"\n\n\r\n", b"[]", b" [ ] \n"])
def test_empty_bodies_yield_nothing(body):
    assert list(split_records(body, MIB)) == []
    assert counts(prepare(body)) == (0, 0, {})


def test_ndjson_skips_blank_and_whitespace_lines_and_accepts_crlf():
    body = b"\n" + line(MaHoSo="A") + b"\r\n\r\n   \t \n" + line(MaHoSo="B") + b"\r\n\n" + line(MaHoSo="C") + b"\n\n"
    prepared = prepare(body)
    assert counts(prepared) == (3, 0, {})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "B", "C"]


def test_unicode_line_separators_inside_strings_do_not_split_ndjson():
    body = line(MaHoSo="A", GhiChu="a\u2028b\u2029c\x85d") + b"\n" + line(MaHoSo="B")
    prepared = prepare(body)
    assert counts(prepared) == (2, 0, {})
    assert raw_values(prepared)[0]["GhiChu"] == "a\u2028b\u2029c\x85d"


def test_duplicates_inside_a_json_array_count_once():
    prepared = prepare(orjson.dumps([record(), record(MaDonVi="12.SNV"), record(TrangThaiHoSo=5)]))
    assert counts(prepared) == (2, 1, {})
    assert [r["MaDonVi"] for r in raw_values(prepared)] == ["03388", "03388"]


def test_ndjson_line_is_published_as_its_own_text():
    text = b'{ "MaHoSo" : "A", "MaTTHC":"1.001757","MaDonVi":"03388","KenhThucHien":2,"TrangThaiHoSo":4,' \
           b'"ThoiGianCapNhat":"2026-11-22T09:00:00+07:00","NgayTiepNhan":"2026-11-20T08:30:00+07:00" }'
    assert raw_texts(prepare(b"  " + text + b"  \n")) == [text]


# --- unparseable ------------------------------------------------------------------------------

def test_broken_ndjson_line_is_one_dead_letter_and_its_neighbours_go_through():
    broken = b'{"MaHoSo": "B", "MaTTHC":'
    prepared = prepare(line(MaHoSo="A") + b"\n" + broken + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == broken.decode()


@pytest.mark.parametrize("bad", [b"5", b'"text"', b"null", b"true", b"[1, 2]", b'[{"MaHoSo": "x"}]', b"{}x",
                                 b"{'MaHoSo': 'x'}", b'{"MaHoSo": "x",}', b"\xff\xfe{}", b'{"a": "\xc3"}'])
def test_ndjson_line_that_is_not_a_json_object_is_unparseable(bad):
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"unparseable": 1})


def test_json_array_with_non_object_elements():
    body = b"[" + line(MaHoSo="A") + b', 5, "text", null, true, [' + line(MaHoSo="X") + b"], " + line(MaHoSo="C") + b"]"
    prepared = prepare(body)
    assert counts(prepared) == (2, 0, {"unparseable": 5})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert [d["record"] for d in dead_letters(prepared)][:4] == ["5", '"text"', "null", "true"]


def test_broken_json_array_is_one_unparseable_dead_letter():
    body = b"[" + line(MaHoSo="A") + b", {\"MaHoSo\": }]"
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == body.decode()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf"])
def test_nan_and_infinity_are_not_json(literal):
    bad = b'{"MaHoSo": "B", "Score": ' + literal + b"}"
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == bad.decode()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_inside_a_json_array_make_it_unparseable(literal):
    body = b"[" + line(MaHoSo="A") + b', {"Score": ' + literal + b"}]"
    assert counts(prepare(body)) == (0, 0, {"unparseable": 1})


@pytest.mark.parametrize("number", [b"1e400", b"-1e400"])
def test_number_beyond_double_range_is_not_read_as_infinity(number):
    bad = b'{"MaHoSo": "B", "Score": ' + number + b"}"
    assert counts(prepare(line(MaHoSo="A") + b"\n" + bad)) == (1, 0, {"unparseable": 1})


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udc00", b"x\\ud83d"])
def test_lone_surrogate_escape_is_unparseable_and_never_raises(escape):
    bad = line(MaHoSo="B")[:-1] + b',"GhiChu":"' + escape + b'"}'
    assert counts(prepare(line(MaHoSo="A") + b"\n" + bad)) == (1, 0, {"unparseable": 1})
    assert counts(prepare(b"[" + bad + b"]")) == (0, 0, {"unparseable": 1})


def test_lone_surrogate_in_the_dossier_id_never_raises():
    bad = b'{"MaHoSo":"\\ud800","MaTTHC":"1.001757","MaDonVi":"03388","KenhThucHien":2,"TrangThaiHoSo":4,' \
          b'"ThoiGianCapNhat":"2026-11-22T09:00:00+07:00","NgayTiepNhan":"2026-11-20T08:30:00+07:00"}'
    assert counts(prepare(bad)) == (0, 0, {"unparseable": 1})
    assert counts(prepare(b"[" + bad + b"]")) == (0, 0, {"unparseable": 1})


def test_escaped_surrogate_pair_is_valid_json():
    ok = line()[:-1] + b',"GhiChu":"\\ud83d\\ude00"}'
    prepared = prepare(ok)
    assert counts(prepared) == (1, 0, {})
    assert raw_values(prepared)[0]["GhiChu"] == "\U0001F600"
    assert counts(prepare(b"[" + ok + b"]")) == (1, 0, {})


# --- integers beyond 64 bits ------------------------------------------------------------------

BIG = 123456789012345678901234567890


@pytest.mark.parametrize("field,number", [
    ("KenhThucHien", b"123456789012345678901234567890"),
    ("TrangThaiHoSo", b"18446744073709551616"),           # 2**64
    ("MucDoHaiLong", b"-9223372036854775809"),            # one below the smallest int64
    ("DuocThanhToanTrucTuyen", b"99999999999999999999999999999999999999999"),
])
def test_integer_beyond_64_bits_in_an_integer_field_is_bad_enum(field, number):
    body = line()[:-1] + b',"' + field.encode() + b'":' + number + b"}"
    assert counts(prepare(body)) == (0, 0, {f"bad_enum:{field}": 1})
    assert counts(prepare(b"[" + body + b"]")) == (0, 0, {f"bad_enum:{field}": 1})


def test_integer_beyond_64_bits_in_an_extra_field_is_kept_exactly():
    body = line()[:-1] + b',"SoBienLai":' + str(BIG).encode() + b"}"
    for prepared in (prepare(body), prepare(b"[" + body + b"]")):
        assert counts(prepared) == (1, 0, {})
        [text] = raw_texts(prepared)
        assert str(BIG).encode() in text
        assert orjson.loads(text.replace(str(BIG).encode(), b"0"))["SoBienLai"] == 0


def test_json_array_record_with_a_big_integer_is_measured_compactly():
    text = orjson.dumps(record(SoBienLai=0)).replace(b'"SoBienLai":0', b'"SoBienLai":' + str(BIG).encode())
    body = b"[" + text + b"]"
    assert counts(prepare(body, max_record_bytes=len(text))) == (1, 0, {})
    assert counts(prepare(body, max_record_bytes=len(text) - 1)) == (0, 0, {"too_large": 1})


def test_integer_of_thousands_of_digits_never_raises():
    body = line()[:-1] + b',"SoBienLai":' + b"9" * 5000 + b"}"
    prepared = prepare(line(MaHoSo="A") + b"\n" + body)
    assert prepared.result.accepted == 1
    assert prepared.result.dead_lettered + prepared.result.accepted == 2


def test_twelve_digit_personal_id_found_after_a_big_integer():
    body = line()[:-1] + b',"SoBienLai":' + str(BIG).encode() + b',"CCCD":987654321098}'
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"personal_id": 1})
    assert_no_personal_id(prepared, "987654321098")
    assert str(BIG) in dead_letters(prepared)[0]["record"]


# --- deep nesting -----------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [50, 200])
def test_moderately_nested_extra_field_is_accepted(depth):
    body = line()[:-1] + b',"Extra":' + nested(depth) + b"}"
    assert counts(prepare(body)) == (1, 0, {})
    assert counts(prepare(b"[" + body + b"]")) == (1, 0, {})


@pytest.mark.parametrize("depth", [300, 900, 990, 1000, 1020, 1030, 5000, 100_000])
@pytest.mark.parametrize("shape", ["list", "object"])
def test_deeply_nested_ndjson_line_never_raises_and_its_neighbours_go_through(depth, shape):
    deep = nested(depth) if shape == "list" else nested(depth, b"1", b'{"a":', b"}")
    bad = b'{"MaHoSo":"B","Extra":' + deep + b"}"
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad + b"\n" + line(MaHoSo="C"))
    assert prepared.result.accepted == 3 - prepared.result.dead_lettered
    assert [r["MaHoSo"] for r in raw_values(prepared)][:1] == ["A"]
    assert prepared.result.dead_lettered <= 1


@pytest.mark.parametrize("depth", [300, 900, 990, 1000, 1020, 1030, 5000, 100_000])
def test_deeply_nested_json_array_element_never_raises(depth):
    body = b"[" + line(MaHoSo="A") + b',{"MaHoSo":"B","Extra":' + nested(depth) + b"}]"
    prepared = prepare(body)
    r = prepared.result
    assert r.accepted + r.dead_lettered >= 1
    assert set(r.dead_letter_reasons) <= {"unparseable"}


@pytest.mark.parametrize("depth", [300, 900, 990, 1000, 1020, 1030, 100_000])
def test_deeply_nested_personal_id_never_raises_and_never_leaks(depth):
    deep = nested(depth, f'"{PID}"'.encode())
    bad = b'{"MaHoSo":"B","Extra":' + deep + b"}"
    for body in (bad, line(MaHoSo="A") + b"\n" + bad, b"[" + bad + b"]"):
        prepared = prepare(body)
        assert prepared.result.dead_lettered == 1
        assert set(prepared.result.dead_letter_reasons) <= {"unparseable", "personal_id"}
        assert_no_personal_id(prepared)


@pytest.mark.parametrize("body", [b"[" * 100_000, b"{\"a\":" * 100_000, b"[" * 100_000 + b"]" * 99_999])
def test_unbalanced_deep_nesting_is_unparseable(body):
    assert counts(prepare(body)) == (0, 0, {"unparseable": 1})


# --- too_large (a single record over max_record_bytes) ----------------------------------------

def test_record_over_one_mib_in_ndjson_is_too_large_and_the_others_go_through():
    big = padded(MIB + 1, MaHoSo="B")
    prepared = prepare(line(MaHoSo="A") + b"\n" + orjson.dumps(big) + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"too_large": 1})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert dead_letters(prepared)[0]["record"] == orjson.dumps(big).decode()   # whole and unchanged


def test_record_over_one_mib_in_a_json_array_is_too_large_and_the_others_go_through():
    big = padded(MIB + 1, MaHoSo="B")
    prepared = prepare(orjson.dumps([record(MaHoSo="A"), big, record(MaHoSo="C")]))
    assert counts(prepared) == (2, 0, {"too_large": 1})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert orjson.loads(dead_letters(prepared)[0]["record"]) == big


def test_record_of_exactly_one_mib_is_not_too_large():
    assert counts(prepare(orjson.dumps(padded(MIB)))) == (1, 0, {})
    assert counts(prepare(orjson.dumps([padded(MIB)]))) == (1, 0, {})


@pytest.mark.parametrize("limit", [400, 1000])
def test_too_large_boundary_is_exact_in_ndjson(limit):
    assert counts(prepare(orjson.dumps(padded(limit)), limit)) == (1, 0, {})
    assert counts(prepare(orjson.dumps(padded(limit + 1)), limit)) == (0, 0, {"too_large": 1})


@pytest.mark.parametrize("limit", [400, 1000])
def test_too_large_boundary_is_exact_in_a_json_array(limit):
    body = orjson.dumps([padded(limit, MaHoSo="A"), padded(limit + 1, MaHoSo="B")])
    prepared = prepare(body, limit)
    assert counts(prepared) == (1, 0, {"too_large": 1})
    assert raw_values(prepared)[0]["MaHoSo"] == "A"


def test_whitespace_around_an_ndjson_line_does_not_count():
    assert counts(prepare(b"    " + orjson.dumps(padded(400)) + b"    \r\n", 400)) == (1, 0, {})


def test_too_large_beats_unparseable():
    bad = b'{"MaHoSo": "' + b"x" * 500
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad, 400)
    assert counts(prepared) == (1, 0, {"too_large": 1})


def test_too_large_non_object_array_element_is_too_large():
    assert counts(prepare(orjson.dumps([record(), "x" * 500]), 400)) == (1, 0, {"too_large": 1})


@pytest.mark.parametrize("wrap", ["ndjson", "array"])
def test_too_large_beats_personal_id_and_the_id_is_masked(wrap):
    big = padded(500, MaHoSo="B", CCCD=PID, Giayto={"So": PID_INT})
    body = orjson.dumps(big) if wrap == "ndjson" else orjson.dumps([record(MaHoSo="A"), big])
    prepared = prepare(body, 400)
    assert prepared.result.dead_letter_reasons == {"too_large": 1}
    assert_no_personal_id(prepared)
    assert '"MaHoSo":"B"' in dead_letters(prepared)[0]["record"]


def test_every_record_of_an_all_too_large_batch_is_its_own_dead_letter():
    body = orjson.dumps([padded(401, MaHoSo=str(i)) for i in range(3)])
    prepared = prepare(body, 400)
    assert counts(prepared) == (0, 0, {"too_large": 3})
    assert len(dead_letters(prepared)) == 3


# --- personal ids (contract 2.3 and 7) --------------------------------------------------------

@pytest.mark.parametrize("changes", [
    {"CCCD": PID},                                        # extra field, string
    {"CCCD": PID_INT},                                    # extra field, integer
    {"CCCD": -PID_INT},
    {"MaHoSo": PID},                                      # a known field
    {"MaTTHC": PID},
    {"MaDonVi": PID},
    {"KenhThucHien": PID_INT},                            # beats bad_enum
    {"NgayHenTra": PID},                                  # beats bad_type
    {"NguoiNop": {"GiayTo": {"So": PID}}},                # any depth
    {"NguoiNop": {"GiayTo": [{"Loai": "CCCD", "So": PID_INT}]}},
    {"DanhSach": ["a", PID, "b"]},                        # in lists
    {"DanhSach": [[[[PID_INT]]]]},
    {"ThanhPhan": {PID: "x"}},                            # as an object key
    {"CCCD": "000000000000"},
])
def test_twelve_digit_id_anywhere_is_personal_id(changes):
    prepared = prepare(line(**changes))
    assert counts(prepared) == (0, 0, {"personal_id": 1})
    assert_no_personal_id(prepared)


@pytest.mark.parametrize("value", [
    "00120300456", "0012030045678", 12345678901, 1234567890123, "001203004567 ", " 001203004567", "001203004567\n",
    "CCCD001203004567", "001-203-004-567", "0012 0300 4567", 123456789012.5,
])
def test_eleven_or_thirteen_digits_or_other_text_is_not_a_personal_id(value):
    assert counts(prepare(line(GhiChu=value))) == (1, 0, {})


def test_personal_id_dead_letter_masks_every_id_and_keeps_the_rest():
    rec = record(CCCD=PID, NguoiNop={"So": PID_INT, "Ten": "Lò Văn A"}, DanhSach=[PID, "9876543210123"])
    prepared = prepare(orjson.dumps(rec))
    [letter] = dead_letters(prepared)
    assert letter["reason"] == "personal_id"
    kept = orjson.loads(letter["record"])
    assert kept["MaHoSo"] == "G12.24-261122-0001"
    assert kept["NguoiNop"]["Ten"] == "Lò Văn A"
    assert kept["DanhSach"][1] == "9876543210123"     # 13 digits: kept
    assert_no_personal_id(prepared)
    assert str(PID_INT) not in letter["record"]


def test_personal_id_beats_missing_field_in_a_batch_and_the_good_records_go_through():
    prepared = prepare(line(MaHoSo="A") + b"\n" + orjson.dumps({"CCCD": PID}) + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"personal_id": 1})
    assert_no_personal_id(prepared)


def test_unparseable_line_with_a_personal_id_is_masked():
    bad = b'{"MaHoSo": "B", "CCCD": "' + PID.encode() + b'",'
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == bad.decode().replace(PID, "*" * 12)
    assert_no_personal_id(prepared)


@pytest.mark.parametrize("bad", [
    PID.encode(), f'"{PID}"'.encode(), f'["{PID}"]'.encode(), f'[{{"CCCD": {PID_INT}}}]'.encode(),
    f'{{"CCCD": "{PID}", "x": NaN}}'.encode(), f'{{"CCCD": {PID_INT}'.encode(), f'[1, "{PID}"'.encode(),
])
def test_unparseable_ndjson_line_with_a_personal_id_never_leaks(bad):
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert_no_personal_id(prepared)


@pytest.mark.parametrize("element", [f'"{PID}"', str(PID_INT), f'["{PID}"]', f'[[{{"So": "{PID}"}}]]'])
def test_non_object_array_element_with_a_personal_id_is_unparseable_and_masked(element):
    body = b"[" + line(MaHoSo="A") + b"," + element.encode() + b"]"
    prepared = prepare(body)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert_no_personal_id(prepared)


def test_broken_json_array_with_a_personal_id_is_masked():
    body = b'[{"CCCD": "' + PID.encode() + b'"}, {"MaHoSo": }]'
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert_no_personal_id(prepared)


def test_personal_id_dead_letters_are_not_deduplicated():
    bad = orjson.dumps(record(CCCD=PID))
    prepared = prepare(bad + b"\n" + bad)
    assert counts(prepared) == (0, 0, {"personal_id": 2})
    assert_no_personal_id(prepared)


def test_a_pretty_printed_single_object_is_one_record() -> None:
    body = b'{\n  "MaHoSo": "P1",\n  "nested": {"a": [1,\n 2]}\n}\n'
    items = list(split_records(body, 1 << 20))
    assert len(items) == 1 and items[0].reject is None and items[0].value["MaHoSo"] == "P1"


def test_two_ndjson_objects_stay_two_records() -> None:
    items = list(split_records(b'{"a": 1}\n{"a": 2}\n', 1 << 20))
    assert [i.value for i in items] == [{"a": 1}, {"a": 2}]
