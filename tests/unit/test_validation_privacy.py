"""Personal ids (contract 2.3 and 7): a 12-digit string or integer anywhere makes a `personal_id` dead
letter, and no id leaves the connector in any message, whatever the record's shape or encoding."""
from __future__ import annotations

import orjson
import pytest

from connectors.ingest import Prepared
from tests.unit.test_validation_parse import (
    PID,
    PID_INT,
    assert_no_personal_id,
    counts,
    dead_letters,
    everything_published,
    line,
    prepare,
    raw_values,
    record,
)

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


@pytest.mark.parametrize(
    "value",
    [
        "00120300456",
        "0012030045678",
        12345678901,
        1234567890123,
        "001203004567 ",
        " 001203004567",
        "001203004567\n",
        "CCCD001203004567",
        "001-203-004-567",
        "0012 0300 4567",
        123456789012.5,
    ],
)
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
    assert kept["DanhSach"][1] == "9876543210123"  # 13 digits: kept
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


@pytest.mark.parametrize(
    "bad",
    [
        PID.encode(),
        f'"{PID}"'.encode(),
        f'["{PID}"]'.encode(),
        f'[{{"CCCD": {PID_INT}}}]'.encode(),
        f'{{"CCCD": "{PID}", "x": NaN}}'.encode(),
        f'{{"CCCD": {PID_INT}'.encode(),
        f'[1, "{PID}"'.encode(),
    ],
)
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
    assert counts(prepared) == (0, 0, {"personal_id": 1, "unparseable": 1})
    assert_no_personal_id(prepared)
    truncated = prepare(body[:-2])  # not one array: the whole body is one dead letter
    assert counts(truncated) == (0, 0, {"unparseable": 1})
    assert_no_personal_id(truncated)


def test_personal_id_dead_letters_are_not_deduplicated():
    bad = orjson.dumps(record(CCCD=PID))
    prepared = prepare(bad + b"\n" + bad)
    assert counts(prepared) == (0, 0, {"personal_id": 2})
    assert_no_personal_id(prepared)


# --- an id the checks never saw: shadowed by a duplicated key (the last value wins) ------------

ESCAPED_PID = "".join(f"\\u00{ord(c):x}" for c in PID)  # the same digits written as JSON escapes


def shadowed(first: bytes, rest: bytes) -> bytes:
    """`rest` (a JSON object's text) with a member put before its first one."""
    return b"{" + first + b"," + rest[1:]


def assert_no_escaped_personal_id(prepared: Prepared) -> None:
    assert ESCAPED_PID.encode() not in everything_published(prepared)
    assert_no_personal_id(prepared)


@pytest.mark.parametrize(
    "first",
    [
        f'"MaHoSo":"{PID}"',
        f'"MaHoSo":{PID_INT}',
        f'"MaHoSo":{{"So":"{PID}"}}',
        f'"MaHoSo":{{"{PID}":1}}',
        f'"MaHoSo":"{ESCAPED_PID}"',
    ],
)
def test_personal_id_shadowed_by_a_duplicated_key_is_never_published(first):
    body = shadowed(first.encode(), line(MaHoSo="A"))
    for prepared in (prepare(body), prepare(b"[" + body + b"]"), prepare(b"[" + body + b', {"MaHoSo": }]')):
        assert prepared.result.accepted == 1
        assert raw_values(prepared)[0]["MaHoSo"] == "A"  # what the checks saw, and all they saw
        assert_no_escaped_personal_id(prepared)


@pytest.mark.parametrize("first", [f'"CCCD":"{PID}"', f'"CCCD":"{ESCAPED_PID}"'])
def test_personal_id_shadowed_in_a_dead_letter_is_never_published(first):
    body = shadowed(first.encode() + b',"CCCD":null', line(MaTTHC=None))
    prepared = prepare(body)
    assert counts(prepared) == (0, 0, {"missing_field:MaTTHC": 1})
    assert orjson.loads(dead_letters(prepared)[0]["record"])["CCCD"] is None
    assert_no_escaped_personal_id(prepared)


def test_pretty_printed_object_with_a_shadowed_personal_id_is_never_published():
    body = b'{\n  "MaHoSo": "' + PID.encode() + b'",\n' + line(MaHoSo="A")[1:]
    prepared = prepare(body)
    assert counts(prepared) == (1, 0, {})
    assert_no_personal_id(prepared)


@pytest.mark.parametrize("value", ["0012030045678", "CCCD001203004567", 123456789012.5])
def test_a_twelve_digit_run_that_is_no_id_is_published_with_the_record(value):
    prepared = prepare(line(GhiChu=value))
    assert counts(prepared) == (1, 0, {})
    assert raw_values(prepared)[0]["GhiChu"] == value


# --- an unparseable body in another encoding: NUL-separated digits are digits too --------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("value", [f'"{PID}"', str(PID_INT)])
def test_personal_id_in_a_utf16_or_utf32_body_is_masked(encoding, value):
    text = line(MaHoSo="A").decode()[:-1] + f',"CCCD":{value}}}'
    prepared = prepare((text + "\n" + text.replace('"A"', '"B"')).encode(encoding))
    assert prepared.result.dead_lettered >= 1 and prepared.result.accepted == 0
    for letter in dead_letters(prepared):
        assert str(PID_INT) not in letter["record"].replace("\x00", "")
        assert PID not in letter["record"].replace("\x00", "")


def test_nul_separated_digits_that_are_not_twelve_are_kept():
    prepared = prepare("1234567890123 is not an id".encode("utf-16-le"))
    assert "\x00".join("1234567890123") in dead_letters(prepared)[0]["record"]


@pytest.mark.parametrize("bad", [f'{{"CCCD":"{ESCAPED_PID}", NaN}}', f'{{"CCCD":"\\u0030{PID[1:]}"'])
def test_personal_id_written_as_escapes_in_an_unparseable_line_is_masked(bad):
    prepared = prepare(line(MaHoSo="A") + b"\n" + bad.encode())
    assert counts(prepared) == (1, 0, {"unparseable": 1})
    assert "\\u0030" not in dead_letters(prepared)[0]["record"]
