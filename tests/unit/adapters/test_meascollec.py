"""3GPP measCollec files (wire-formats 3): aggregation by the counter profile, suspect cells, the older
measTypes/measResults form, site ids by the operator's regex and template, vendor overrides, the
dead-letter rules of 3.1."""

from __future__ import annotations

import gzip
import re
from dataclasses import replace

import orjson
import pytest

from connectors.adapters.base import Meta
from connectors.adapters.profiles import Operator, Profile, read_profiles
from tests.wire_kit import MEAS_FILE, context, counts, dead_letters, example, raw_records, run

FILE = example(MEAS_FILE).decode()
META = Meta("viettel", MEAS_FILE)


def sub(pattern: str, new: str, text: str = FILE) -> bytes:
    changed, n = re.subn(pattern, new, text, flags=re.S)
    assert n, pattern
    return changed.encode()


def pm(doc: bytes, **kw: object) -> list[dict[str, object]]:
    return raw_records(run("meascollec", doc, META, **kw))  # type: ignore[arg-type]


def reason(doc: bytes) -> str | None:
    letters = dead_letters(run("meascollec", doc, META))
    return letters[0]["reason"] if letters else None


@pytest.mark.parametrize(
    ("pattern", "new", "expected"),
    [
        (r'<managedElement localDn="LCU0123"', "<managedElement", "missing_field:localDn"),
        (
            r'endTime="2026-11-20T00:15:00\+07:00"/><repPeriod',
            'endTime="soon"/><repPeriod',
            "bad_type:endTime",
        ),
        (r'duration="PT900S" endTime', 'duration="15 minutes" endTime', "bad_type:duration"),
        (
            r'duration="PT900S" endTime',
            'duration="P1M" endTime',
            "bad_type:duration",
        ),  # a month has no length
        (r">CellUnavailableTime<", ">SomethingElse<", "missing_field:availability_pct"),
        (r'duration="PT900S" endTime', 'duration="PT172800S" endTime', "bad_enum:period_s"),  # record level
    ],
)
def test_dead_letter_rules(pattern: str, new: str, expected: str) -> None:
    assert reason(sub(pattern, new)) == expected


def test_dead_letter_item() -> None:
    [letter] = dead_letters(run("meascollec", sub(r">CellUnavailableTime<", ">X<"), META))
    assert orjson.loads(letter["record"])["item"] == {
        "file": MEAS_FILE,
        "managedElement": "LCU0123",
        "endTime": "2026-11-20T00:15:00+07:00",
        "duration": "PT900S",
        "cells": 2,
        "suspect_cells": 1,
    }


def test_values_absent_per_cell() -> None:
    """Empty, NIL, negative or non-numeric: absent for that cell; the other cells still count."""
    doc = sub(r'<r p="1">180</r><r p="2">7.9</r>', '<r p="1">-1</r><r p="2">NIL</r>')
    [record] = pm(doc)
    assert record["availability_pct"] == 100.0 and record["users"] == 12  # only cell 1 reports them


def test_all_suspect_is_ignored() -> None:
    doc = re.sub(r"</r></measValue>", "</r><suspect>true</suspect></measValue>", FILE)
    c = counts(run("meascollec", doc.encode(), META))
    assert (c["items"], c["records"], c["ignored_kinds"]) == (1, 0, {"suspect": 1})


def test_older_measTypes_form_and_a_counter_given_twice() -> None:
    old = (
        '<measInfo><granPeriod duration="PT900S" endTime="2026-11-20T00:15:00+07:00"/>'
        "<measTypes>CellUnavailableTime VS.Voice.Erlang CellUnavailableTime</measTypes>"
        '<measValue measObjLdn="c1"><measResults>90 2.5 900</measResults></measValue>'
        '<measValue measObjLdn="c2"><measResults>0 1.5 0</measResults></measValue></measInfo>'
    )
    doc = sub(r"<measInfo .*</measInfo>", old)
    [record] = pm(doc)
    assert (record["availability_pct"], record["traffic_erl"]) == (95.0, 4.0)  # 100 × (1 − 90/1800)
    assert "data_mb" not in record and "users" not in record


def test_percent_profile_vendor_override_and_clamping() -> None:
    problems: list[str] = []
    profiles = read_profiles(
        {
            "profile": {"default": {"availability": {"unavailable_time_s": ["CellUnavailableTime"]}}},
            "vendor": {"ExampleVendor": {"availability": {"percent": ["VS.Voice.Erlang"]}}},
        },
        "pm-profiles.toml",
        problems,
    )
    assert problems == []
    [record] = pm(FILE.encode(), ctx=replace(context(), profiles=profiles))
    assert record["availability_pct"] == 2.35  # the mean of 3.1 and 1.6, as a percentage
    over = sub(r'<r p="1">180</r>', '<r p="1">5000</r>')
    assert pm(over)[0]["availability_pct"] == 0.0


def test_site_regex_and_template() -> None:
    op = Operator(
        "viettel",
        site_regex=re.compile(r"EUtranCellFDD=(?P<site>[A-Z]+[0-9]+)_"),
        site_id_template="VTL-{site}",
    )
    ctx = replace(context(), operators={"viettel": op})
    doc = sub(r'<managedElement localDn="LCU0123"', "<managedElement")
    assert [r["site_id"] for r in pm(doc, ctx=ctx)] == ["VTL-LCU0123"]


def test_several_sites_and_periods_in_one_file_gzipped() -> None:
    data = FILE.split("<measData>")[1].split("</measData>")[0]
    second = data.replace("LCU0123", "LCU0124").replace("00:15:00", "00:30:00")
    doc = FILE.replace("</measData>", f"</measData><measData>{second}</measData>")
    records = pm(gzip.compress(doc.encode()))
    assert [(r["site_id"], r["period_start"]) for r in records] == [
        ("LCU0123", "2026-11-20T00:00:00+07:00"),
        ("LCU0124", "2026-11-20T00:15:00+07:00"),
    ]


def test_not_a_measurement_file() -> None:
    assert reason(b"<edXML/>") == "unparseable"
    assert reason(b"<measCollecFile><measData>") == "unparseable"


def test_unknown_profile_is_a_configuration_error() -> None:
    problems: list[str] = []
    read_profiles({"profile": {"x": {"traffic_erl": {"sum": ["a"]}}}}, "pm-profiles.toml", problems)
    assert any("availability is required" in p for p in problems)
    assert any("[profile.default] is required" in p for p in problems)
    assert Profile() != Profile(traffic_erl=("a",))
