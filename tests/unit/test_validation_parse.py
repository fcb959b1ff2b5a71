"""Bodies in, items out: splitting (JSON array, single object, NDJSON), unparseable input, NaN, Infinity
and lone surrogates, and deep nesting (contract 3, 7). The shared helpers live here too;
too_large is in test_validation_size.py, personal ids in test_validation_privacy.py, a JSON array with a
bad element in test_validation_arrays.py, big integers in test_validation_numbers.py.

Every test goes through the one validation path (`Validator.prepare`) unless it is about splitting.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.dedup import IdentityIndex
from connectors.dvc import DvcSource
from connectors.ingest import Prepared, Validator
from connectors.parse import split_records
from contract.settings import load_settings

UNITS = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml").units
MIB = 1 << 20
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)     # 10:00 in Lai Châu
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
    body = (b"\n" + line(MaHoSo="A") + b"\r\n\r\n   \t \n" + line(MaHoSo="B") + b"\r\n\n"
            + line(MaHoSo="C") + b"\n\n")
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
    text = (
        b'{ "MaHoSo" : "A", "MaTTHC":"1.001757","MaDonVi":"03388","KenhThucHien":2,"TrangThaiHoSo":4,'
        b'"ThoiGianCapNhat":"2026-11-22T09:00:00+07:00","NgayTiepNhan":"2026-11-20T08:30:00+07:00" }'
    )
    assert raw_texts(prepare(b"  " + text + b"  \n")) == [text]


def test_a_pretty_printed_single_object_is_one_record() -> None:
    body = b'{\n  "MaHoSo": "P1",\n  "nested": {"a": [1,\n 2]}\n}\n'
    items = list(split_records(body, 1 << 20))
    assert len(items) == 1 and items[0].reject is None and items[0].value["MaHoSo"] == "P1"


def test_two_ndjson_objects_stay_two_records() -> None:
    items = list(split_records(b'{"a": 1}\n{"a": 2}\n', 1 << 20))
    assert [i.value for i in items] == [{"a": 1}, {"a": 2}]


# --- unparseable ------------------------------------------------------------------------------


def test_broken_ndjson_line_is_one_dead_letter_and_its_neighbours_go_through():
    broken = b'{"MaHoSo": "B", "MaTTHC":'
    prepared = prepare(line(MaHoSo="A") + b"\n" + broken + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == broken.decode()


@pytest.mark.parametrize(
    "bad",
    [
        b"5",
        b'"text"',
        b"null",
        b"true",
        b"[1, 2]",
        b'[{"MaHoSo": "x"}]',
        b"{}x",
        b"{'MaHoSo': 'x'}",
        b'{"MaHoSo": "x",}',
        b"\xff\xfe{}",
        b'{"a": "\xc3"}',
    ],
)
def test_ndjson_line_that_is_not_a_json_object_is_unparseable(bad):
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad + b"\n" + line(MaHoSo="C"))
    assert counts(prepared) == (2, 0, {"unparseable": 1})


def test_json_array_with_non_object_elements():
    body = (
        b"["
        + line(MaHoSo="A")
        + b', 5, "text", null, true, ['
        + line(MaHoSo="X")
        + b"], "
        + line(MaHoSo="C")
        + b"]"
    )
    prepared = prepare(body)
    assert counts(prepared) == (2, 0, {"unparseable": 5})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert [d["record"] for d in dead_letters(prepared)][:4] == ["5", '"text"', "null", "true"]


def test_broken_element_of_a_json_array_is_one_dead_letter_and_the_others_go_through():
    body = b"[" + line(MaHoSo="A") + b', {"MaHoSo": }]'
    prepared = prepare(body)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == '{"MaHoSo": }'


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf"])
def test_nan_and_infinity_are_not_json(literal):
    bad = b'{"MaHoSo": "B", "Score": ' + literal + b"}"
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == bad.decode()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_inside_a_json_array_make_only_their_element_unparseable(literal):
    body = b"[" + line(MaHoSo="A") + b', {"Score": ' + literal + b"}]"
    assert counts(prepare(body)) == (1, 0, {"unparseable": 1})


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
    bad = (
        b'{"MaHoSo":"\\ud800","MaTTHC":"1.001757","MaDonVi":"03388","KenhThucHien":2,"TrangThaiHoSo":4,'
        b'"ThoiGianCapNhat":"2026-11-22T09:00:00+07:00","NgayTiepNhan":"2026-11-20T08:30:00+07:00"}'
    )
    assert counts(prepare(bad)) == (0, 0, {"unparseable": 1})
    assert counts(prepare(b"[" + bad + b"]")) == (0, 0, {"unparseable": 1})


def test_escaped_surrogate_pair_is_valid_json():
    ok = line()[:-1] + b',"GhiChu":"\\ud83d\\ude00"}'
    prepared = prepare(ok)
    assert counts(prepared) == (1, 0, {})
    assert raw_values(prepared)[0]["GhiChu"] == "\U0001f600"
    assert counts(prepare(b"[" + ok + b"]")) == (1, 0, {})


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
def test_deeply_nested_json_array_element_never_raises_and_its_neighbours_go_through(depth):
    body = b"[" + line(MaHoSo="A") + b',{"MaHoSo":"B","Extra":' + nested(depth) + b"}]"
    prepared = prepare(body)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A"]


@pytest.mark.parametrize("depth", [300, 900, 990, 1000, 1020, 1030, 100_000])
def test_deeply_nested_personal_id_never_raises_and_never_leaks(depth):
    deep = nested(depth, f'"{PID}"'.encode())
    bad = b'{"MaHoSo":"B","Extra":' + deep + b"}"
    for body in (bad, line(MaHoSo="A") + b"\n" + bad, b"[" + bad + b"]"):
        prepared = prepare(body)
        assert prepared.result.dead_lettered == 1
        assert set(prepared.result.dead_letter_reasons) <= {"unparseable", "personal_id"}
        assert_no_personal_id(prepared)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 99_999])
def test_unbalanced_deep_nesting_is_unparseable(body):
    assert counts(prepare(body)) == (0, 0, {"unparseable": 1})
