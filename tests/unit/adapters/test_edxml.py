"""edXML packages (wire-formats 2): which records an envelope yields, the dead-letter rules, status
messages, and that only header fields the mapping reads reach a dead letter."""

from __future__ import annotations

import gzip
import re

import orjson
import pytest

from tests.wire_kit import counts, dead_letters, example, raw_records, run

DOC = example("edxml-document.edxml").decode()
STATUS = example("edxml-status.edxml").decode()


def sub(text: str, pattern: str, new: str) -> bytes:
    changed, n = re.subn(pattern, new, text, flags=re.S)
    assert n, pattern
    return changed.encode()


def reason(doc: bytes) -> str | None:
    letters = dead_letters(run("edxml", doc))
    return letters[0]["reason"] if letters else None


def units(doc: bytes) -> list[tuple[str, str, str]]:
    return [(r["unit"], r["direction"], r["status"]) for r in raw_records(run("edxml", doc))]


NO_TRACE = (r"<edXML:TraceHeader>.*?</edXML:TraceHeader>", "")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ([(r"<edXML:DocumentId>[^<]*</edXML:DocumentId>", "")], None),  # composed from organ, date and code
        (
            [
                (r"<edXML:DocumentId>[^<]*</edXML:DocumentId>", ""),
                (r"<edXML:CodeNumber>1234</edXML:CodeNumber>", ""),
            ],
            "missing_field:DocumentId",
        ),
        (
            [(r"<edXML:From><edXML:OrganId>000.00.00.H35<", "<edXML:From><edXML:OrganId><")],
            "missing_field:From",
        ),
        ([(r"<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>7<")], "bad_enum:BussinessDocType"),
        (
            [
                (
                    r"000.00.00.H35</edXML:OrganId><edXML:OrganName>Ủy",
                    "000.00.00.X99</edXML:OrganId><edXML:OrganName>Ủy",
                ),
                (r"000.00.04.H35", "000.00.09.X99"),
            ],
            "unknown_unit:000.00.00.X99",
        ),
        ([(r"2026/11/20 15:42:10", "20/11/2026 25:00:00")], "bad_type:Timestamp"),
        ([NO_TRACE], None),  # the promulgation date, 00:00
        (
            [NO_TRACE, (r"<edXML:PromulgationDate>2026/11/20<", "<edXML:PromulgationDate><")],
            "missing_field:Timestamp",
        ),
        (
            [NO_TRACE, (r"<edXML:PromulgationDate>2026/11/20<", "<edXML:PromulgationDate>x<")],
            "bad_type:PromulgationDate",
        ),
        ([(r"<edXML:DueDate>2026/11/27<", "<edXML:DueDate>2026/02/30<")], "bad_type:DueDate"),
        ([(r"<edXML:Priority>1<", "<edXML:Priority>9<")], "bad_enum:Priority"),
        # contract 7's order: missing_field before bad_enum before unknown_unit
        (
            [
                (r"<edXML:Priority>1<", "<edXML:Priority>9<"),
                (r"<edXML:From><edXML:OrganId>000.00.00.H35<", "<edXML:From><edXML:OrganId><"),
            ],
            "missing_field:From",
        ),
    ],
)
def test_envelope_rules(changes: list[tuple[str, str]], expected: str | None) -> None:
    doc = DOC
    for pattern, new in changes:
        doc = sub(doc, pattern, new).decode()
    assert reason(doc.encode()) == expected


def test_envelope_fallbacks() -> None:
    [vp, _] = raw_records(run("edxml", sub(DOC, r"<edXML:TraceHeader>.*?</edXML:TraceHeader>", "")))
    assert vp["event_time"] == "2026-11-20T00:00:00+07:00"
    [vp, _] = raw_records(run("edxml", sub(DOC, r"<edXML:DocumentId>[^<]*</edXML:DocumentId>", "")))
    assert vp["doc_id"] == "000.00.00.H35,2026/11/20,1234/UBND-VP@12.VP"
    [vp, stp] = raw_records(run("edxml", sub(DOC, r"<edXML:OtherInfo>.*?</edXML:OtherInfo>", "")))
    assert vp["urgency"] == stp["urgency"] == "normal"


def test_signed_means_a_signature_value() -> None:
    unsigned = sub(DOC, r"<SignatureValue>[^<]*</SignatureValue>", "<SignatureValue> </SignatureValue>")
    assert {r["digitally_signed"] for r in raw_records(run("edxml", unsigned))} == {False}
    foreign = sub(
        DOC, r'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', '<Signature xmlns="urn:other">'
    )
    assert {r["digitally_signed"] for r in raw_records(run("edxml", foreign))} == {False}


def test_which_copies_yield_records() -> None:
    assert units(DOC.encode()) == [("12.VP", "outgoing", "issued"), ("12.STP", "incoming", "received")]
    inward = sub(DOC, r"<edXML:From><edXML:OrganId>000.00.00.H35", "<edXML:From><edXML:OrganId>000.00.00.G22")
    assert units(inward) == [("12.STP", "incoming", "received")]
    same_unit = sub(DOC, r"000.00.04.H35", "000.00.00.H35")  # a To in the sender's unit: no record
    assert units(same_unit) == [("12.VP", "outgoing", "issued")]
    revoke = sub(DOC, r"<edXML:BussinessDocType>0<", "<edXML:BussinessDocType>1<")
    assert units(revoke) == [("12.VP", "outgoing", "recalled"), ("12.STP", "incoming", "recalled")]
    replace = sub(
        DOC,
        r"<edXML:BussinessDocReason>",
        "<edXML:ReplacementInfoList><edXML:ReplacementInfo>"
        "<edXML:DocumentId>000.00.00.H35,2026/11/01,1100/UBND-VP</edXML:DocumentId><edXML:OrganIdList>"
        "<edXML:OrganId>000.00.04.H35</edXML:OrganId></edXML:OrganIdList></edXML:ReplacementInfo>"
        "</edXML:ReplacementInfoList><edXML:BussinessDocReason>",
    )
    replace = replace.replace(b"<edXML:BussinessDocType>0<", b"<edXML:BussinessDocType>3<")
    records = raw_records(run("edxml", replace))
    assert [(r["doc_id"], r["status"]) for r in records][-1] == (
        "000.00.00.H35,2026/11/01,1100/UBND-VP@12.STP",
        "recalled",
    )


def test_status_messages() -> None:
    assert reason(sub(STATUS, r"<edXML:StatusCode>06<", "<edXML:StatusCode>99<")) == "bad_enum:StatusCode"
    assert reason(sub(STATUS, r"<edXML:Timestamp>[^<]*<", "<edXML:Timestamp>25/11/2026<")) is None
    assert reason(sub(STATUS, r"<edXML:Timestamp>[^<]*<", "<edXML:Timestamp>never<")) == "bad_type:Timestamp"
    assert reason(sub(STATUS, r"<edXML:Timestamp>[^<]*</edXML:Timestamp>", "")) == "missing_field:Timestamp"
    assert (
        reason(sub(STATUS, r"<edXML:ResponseFor>.*?</edXML:ResponseFor>", "")) == "missing_field:DocumentId"
    )
    rejected = raw_records(run("edxml", sub(STATUS, r"<edXML:StatusCode>06<", "<edXML:StatusCode>02<")))
    assert rejected[0]["status"] == "rejected"
    for code in ("01", "03", "04", "05", "13", "15", "16"):
        c = counts(run("edxml", sub(STATUS, r"<edXML:StatusCode>06<", f"<edXML:StatusCode>{code}<")))
        assert c["ignored_kinds"] == {f"status:{code}": 1}
    foreign = sub(
        STATUS, r"<edXML:From><edXML:OrganId>000.00.04.H35", "<edXML:From><edXML:OrganId>000.00.00.G22"
    )
    assert counts(run("edxml", foreign))["ignored_kinds"] == {"status:foreign": 1}
    soap = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header>'
        + STATUS.split("<edXML:edXMLHeader>")[1].split("</edXML:edXMLHeader>")[0].replace("edXML:", "soap:")
        + "</soap:Header><soap:Body/></soap:Envelope>"
    )
    assert raw_records(run("edxml", soap.encode()))[0]["status"] == "completed"  # namespaces not checked


def test_neither_envelope_nor_status() -> None:
    assert reason(b"<edXML><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>") == "unparseable"


def test_dead_letter_keeps_header_fields_only() -> None:
    doc = sub(DOC, r"<edXML:Priority>1<", "<edXML:Priority>9<")
    [letter] = dead_letters(run("edxml", doc))
    item = orjson.loads(letter["record"])["item"]
    assert item["From"] == "000.00.00.H35" and item["Priority"] == "9"
    text = letter["record"]
    for private in ("Nguyễn Văn An", "V/v rà soát", "JVBERi0", "MIIDdzCC", "Văn phòng Chính phủ"):
        assert private not in text


def test_gzip_and_limits() -> None:
    assert units(gzip.compress(DOC.encode()))[0] == ("12.VP", "outgoing", "issued")
    small = __import__("dataclasses").replace(
        __import__("tests.wire_kit", fromlist=["context"]).context(), max_document_bytes={"edxml": 2048}
    )
    prepared = run("edxml", DOC.encode(), ctx=small)
    assert counts(prepared)["dead_letter_reasons"] == {"too_large": 1}
    item = orjson.loads(dead_letters(prepared)[0]["record"])["item"]
    assert item["length"] == 2048 or item["length"] <= len(DOC.encode())
