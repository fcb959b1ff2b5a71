"""Numbers on the wire (contract 3 and 7). Integers beyond 64 bits: orjson reads them as a double, the
connector reads them exactly. Integers beyond a double (309 digits and more): orjson refuses them, and so
does the connector, since the KPI worker reads every accepted record with orjson; such a record is
`unparseable`, and a number field never raises on one whatever reaches it."""
from __future__ import annotations

import orjson
import pytest

from connectors.fields import NUMBER, Field, first_problem
from connectors.registry import SOURCES
from tests.unit.test_validation_parse import (
    RECEIVED,
    UNITS,
    assert_no_personal_id,
    counts,
    dead_letters,
    line,
    prepare,
    raw_texts,
    record,
)

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


# --- integers beyond a double (what orjson refuses: 'number is infinity when parsed as double') --

LARGEST = 2**1024 - 2**970 - 1      # the largest integer whose double is finite (309 digits)
OVERFLOWING = LARGEST + 1           # the first one that rounds to infinity


def with_number(number: int, name: str = "SoBienLai", **changes: object) -> bytes:
    return line(**changes)[:-1] + f',"{name}":{number}}}'.encode()


@pytest.mark.parametrize("number", [OVERFLOWING, -OVERFLOWING, 10**400, -(10**330), int("9" * 4000)])
@pytest.mark.parametrize("name", ["SoBienLai", "KenhThucHien", "MucDoHaiLong"])
def test_integer_beyond_a_double_is_unparseable_and_its_neighbours_go_through(number, name):
    bad = with_number(number, name, MaHoSo="B")
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad)
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == bad.decode()   # whole and unchanged


def test_integer_beyond_a_double_in_a_json_array_spoils_only_its_element():
    body = b"[" + line(MaHoSo="A") + b"," + with_number(10**400, MaHoSo="B") + b"," + line(MaHoSo="C") + b"]"
    prepared = prepare(body)
    assert counts(prepared) == (2, 0, {"unparseable": 1})


@pytest.mark.parametrize("number", [LARGEST, -LARGEST, 10**308])
def test_largest_integers_a_double_holds_are_accepted_and_read_by_orjson(number):
    for body in (with_number(number), b"[" + with_number(number) + b"]"):
        prepared = prepare(body)
        assert counts(prepared) == (1, 0, {})
        # as the KPI worker reads it:
        assert orjson.loads(raw_texts(prepared)[0])["SoBienLai"] == float(number)


def test_integer_beyond_a_double_hides_no_personal_id():
    bad = with_number(10**400)[:-1] + b',"CCCD":"001203004567"}'
    prepared = prepare(bad)
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert_no_personal_id(prepared, "001203004567")


@pytest.mark.parametrize("value", [10**400, -(10**309), OVERFLOWING])
def test_number_field_given_an_integer_beyond_a_double_is_bad_type_and_never_raises(value):
    """Parsing keeps these out; the field check must not raise OverflowError (math.isfinite) regardless."""
    assert first_problem({"x": value}, (Field("x", NUMBER, within=(0, float("inf"))),), UNITS) == "bad_type:x"


VALID = {
    "population": {
        "event_id": "v1",
        "kind": "verification",
        "commune": "03388",
        "result": "ok",
        "event_time": "2026-11-22T09:00:00+07:00",
        "latency_ms": 10,
    },
    "telecom": {
        "kind": "pm",
        "site_id": "S1",
        "period_start": "2026-11-22T09:00:00+07:00",
        "period_s": 900,
        "availability_pct": 99.5,
        "traffic_erl": 1.5,
        "data_mb": 3,
    },
}


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("population", "latency_ms"),
        ("telecom", "availability_pct"),
        ("telecom", "traffic_erl"),
        ("telecom", "data_mb"),
    ],
)
def test_number_fields_of_every_source_never_raise_on_an_integer_beyond_a_double(source, name):
    def reason(value: object) -> str | None:
        verdict = SOURCES[source].check(
            {**VALID[source], name: value}, int(RECEIVED.timestamp() * 1e6), 0, UNITS
        )
        return getattr(verdict, "reason", None)

    assert reason(VALID[source][name]) is None
    assert reason(10**400) == f"bad_type:{name}"


@pytest.mark.parametrize("number", [LARGEST, 0, -1, 2**63, 1.5, 1e308])
def test_number_field_takes_any_number_a_double_holds(number):
    assert first_problem({"x": number}, (Field("x", NUMBER),), UNITS) is None


def test_the_extra_field_of_a_record_is_untouched_by_the_integer_checks():
    assert counts(prepare(orjson.dumps(record(SoBienLai=2**63 - 1)))) == (1, 0, {})
