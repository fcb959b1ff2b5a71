"""A JSON array with a bad element (contract 3: one bad record must not spoil the good ones).

When the whole array does not parse (an element nested too deep, NaN, invalid UTF-8, a broken
element...), the body is split by its framing alone (strings and brackets) and each element is read
like an NDJSON line: good elements are accepted, each bad one is its own dead letter with its own
reason. A body that is not even one array (truncated, unbalanced, text after it) stays one
`unparseable` dead letter.
"""
from __future__ import annotations

from collections import Counter

import orjson
import pytest

from connectors.parse import array_elements
from tests.unit.test_validation_parse import (
    PID,
    assert_no_personal_id,
    counts,
    dead_letters,
    line,
    nested,
    prepare,
    raw_values,
    record,
)

A, C = line(MaHoSo="A"), line(MaHoSo="C")


def array(*elements: bytes, sep: bytes = b",") -> bytes:
    return b"[" + sep.join(elements) + b"]"


# --- each element on its own ------------------------------------------------------------------

@pytest.mark.parametrize("depth", [255, 300, 1025, 5000, 100_000])
def test_an_element_nested_too_deep_is_one_dead_letter_and_the_others_go_through(depth):
    deep = b'{"MaHoSo":"B","Extra":' + nested(depth) + b"}"
    prepared = prepare(array(A, deep, C))
    assert counts(prepared) == (2, 0, {"unparseable": 1})
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert dead_letters(prepared)[0]["record"] == deep.decode()   # whole and unchanged


@pytest.mark.parametrize(("element", "reason"), [
    (b'{"Score": NaN}', "unparseable"),
    (b'{"MaHoSo": "B", "x": 1e400}', "unparseable"),
    (b'{"MaHoSo": "B", "x": ' + b"1" * 400 + b"}", "unparseable"),
    (b'{"MaHoSo": "\xff"}', "unparseable"),                          # invalid UTF-8 in one element only
    (b'{"MaHoSo": "\\ud800"}', "unparseable"),
    (b'{"MaHoSo": }', "unparseable"),
    (b"[1, [2, {}]]", "unparseable"),                                  # an array is not a record
    (line(MaHoSo="B", CCCD=PID)[:-1] + b', "x": NaN}', "unparseable"),
])
def test_each_bad_element_is_its_own_dead_letter_with_its_reason(element, reason):
    deep = b'{"MaHoSo":"D","Extra":' + nested(300) + b"}"             # the whole array does not parse
    prepared = prepare(array(A, element, C, deep))
    assert counts(prepared) == (2, 0, dict(Counter([reason, "unparseable"])))
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "C"]
    assert_no_personal_id(prepared)


def test_elements_keep_their_own_reasons_and_order():
    elements = [A, line(MaHoSo="B", MaTTHC=None), orjson.dumps(record(CCCD=PID)), b'{"x": NaN}',
                line(MaHoSo="E", KenhThucHien=9), C, A]
    prepared = prepare(array(*elements))
    assert counts(prepared) == (2, 1, {"missing_field:MaTTHC": 1, "personal_id": 1, "unparseable": 1,
                                       "bad_enum:KenhThucHien": 1})
    assert [m.topic for m in prepared.messages] == ["ioc.raw.dvc"] + ["ioc.dlq.dvc"] * 4 + ["ioc.raw.dvc"]
    assert_no_personal_id(prepared)


def test_a_too_large_element_is_too_large_beside_a_bad_one():
    big = orjson.dumps(record(MaHoSo="B", Pad="x" * 500))
    prepared = prepare(array(A, big, b'{"x": NaN}'), max_record_bytes=400)
    assert counts(prepared) == (1, 0, {"too_large": 1, "unparseable": 1})


def test_a_pretty_printed_array_with_a_bad_element():
    body = b"[\n  " + A + b",\n\n  {\"Score\": NaN},\r\n\t" + C + b"\n]\n"
    prepared = prepare(body)
    assert counts(prepared) == (2, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == '{"Score": NaN}'


# --- strings are not framing --------------------------------------------------------------------

@pytest.mark.parametrize(
    "note", ["a]b", "a[b{c", "}],[{", 'say \\"]\\" twice', "back\\\\", '\\\\\\"],[', ",,,"]
)
def test_brackets_commas_and_escaped_quotes_inside_strings_do_not_split(note):
    good = line(MaHoSo="A")[:-1] + b',"GhiChu":"' + note.encode() + b'"}'
    prepared = prepare(array(good, b'{"x": NaN}', C))
    assert counts(prepared) == (2, 0, {"unparseable": 1})
    assert raw_values(prepared)[0]["GhiChu"] == orjson.loads(b'"' + note.encode() + b'"')


# --- not one array: one dead letter, as before ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        array(A, b'{"x": NaN}', C)[:-1],  # truncated: no closing bracket
        array(A, b'{"x": NaN}', C)[:-30],  # cut inside an element
        array(A, b'{"x": NaN}', C) + b",",  # text after the array
        array(A, b'{"x": NaN}', C) + b" " + A,
        array(A, b'{"x": NaN}', C) + b"]",
        array(A, b"", C),  # an empty element
        array(A, b'{"x": NaN}', C, b""),  # a trailing comma
        array(b"", A),
        array(A, b'{"x": [}', C),  # brackets that do not match
        array(A, b'{"x": "never ends}', C),
    ],
)
def test_a_body_that_is_not_one_array_is_one_unparseable_dead_letter(body):
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == body.decode()


def test_elements_without_a_comma_are_one_bad_element():
    prepared = prepare(b"[" + A + b"\n" + C + b"]")
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert dead_letters(prepared)[0]["record"] == (A + b"\n" + C).decode()


def test_a_body_that_is_not_one_array_is_too_large_beyond_the_limit():
    body = array(A, b'{"x": NaN}', C)[:-1]
    assert counts(prepare(body, max_record_bytes=len(body) - 1)) == (0, 0, {"too_large": 1})


def test_a_truncated_array_with_a_personal_id_is_masked():
    body = array(A, orjson.dumps(record(CCCD=PID)), b'{"x": NaN}')[:-1]
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"unparseable": 1})
    assert_no_personal_id(prepared)


# --- the splitter -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "elements"),
    [
        (b"[]", []),
        (b"[ \n ]", []),
        (b"[1]", [b"1"]),
        (b"[ 1 , x ,{} ]", [b"1", b"x", b"{}"]),
        (b'["a]\\"[", {"b": [1, 2]}, 3]', [b'"a]\\"["', b'{"b": [1, 2]}', b"3"]),
        (b'["a\\\\", "b"]', [b'"a\\\\"', b'"b"']),
        (b"[[1, 2], [3]]", [b"[1, 2]", b"[3]"]),
        (b'[{"a": "}"}, NaN]', [b'{"a": "}"}', b"NaN"]),
    ],
)
def test_array_elements_splits_by_framing_alone(body, elements):
    assert array_elements(body) == elements


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b"[",
        b"[1",
        b"[1,]",
        b"[,1]",
        b"[1,,2]",
        b"[1] ",
        b"[1]]",
        b"[1}",
        b"[{]}",
        b'["a]',
        b'["a\\"]',
        b"[" * 10 + b"]" * 9,
        b"][",
    ],
)
def test_array_elements_refuses_what_is_not_one_array(body):
    assert array_elements(body) is None


@pytest.mark.timeout(120)  # quadratic work on these would take hours; linear takes about a second each
def test_hostile_arrays_are_split_in_linear_time():
    """Megabytes, nested a million deep, or a million elements: framed (or refused) without
    recursion and without quadratic work (tests assert no time: the timeout catches that)."""
    unbalanced, many, escapes, deep = (
        b"[" * 1_000_000 + b"]" * 999_999,
        b"[" + b"[]," * 1_000_000 + b"1]",
        b'["' + b'\\"' * 1_000_000 + b'"]',
        array(A, b"[" * 500_000 + b"]" * 500_000),
    )
    assert array_elements(unbalanced) is None
    assert len(array_elements(many) or []) == 1_000_001
    assert array_elements(escapes) == [escapes[1:-1]]
    assert array_elements(deep) == [A, b"[" * 500_000 + b"]" * 500_000]


def test_a_big_array_with_one_bad_element_keeps_every_good_one():
    records = [orjson.dumps(record(MaHoSo=f"D{i}")) for i in range(20_000)]
    records[777] = b'{"x": NaN}'
    prepared = prepare(array(*records))
    assert counts(prepared) == (19_999, 0, {"unparseable": 1})
