"""too_large (contract 3): a single record over max_record_bytes, in NDJSON and in a JSON array; it beats
every other reason, its personal ids are masked all the same, and its neighbours go through."""
from __future__ import annotations

import orjson
import pytest

from tests.unit.test_validation_parse import (
    MIB,
    PID,
    PID_INT,
    assert_no_personal_id,
    counts,
    dead_letters,
    line,
    padded,
    prepare,
    raw_values,
    record,
)

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
