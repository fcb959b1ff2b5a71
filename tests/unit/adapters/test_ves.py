"""VES 7.2.1 events (wire-formats 4): the fault mapping and its dead letters, probable causes,
perf3gpp counters, other domains ignored, body shapes."""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson
import pytest

from connectors.adapters.base import Meta
from connectors.adapters.causes import read_causes
from connectors.adapters.profiles import Operator
from tests.wire_kit import context, counts, dead_letters, example, raw_records, run

BATCH = orjson.loads(example("ves-batch.json"))
FAULT: dict[str, Any] = BATCH["eventList"][0]
META = Meta("viettel")


def event(header: dict[str, Any] | None = None, fault: dict[str, Any] | None = None) -> dict[str, Any]:
    e = copy.deepcopy(FAULT)
    for block, changes in (("commonEventHeader", header or {}), ("faultFields", fault or {})):
        for k, v in changes.items():
            if v is ...:
                e[block].pop(k, None)
            else:
                e[block][k] = v
    return e


def reason(e: Any) -> str | None:
    letters = dead_letters(run("ves", orjson.dumps({"event": e}), META))
    return letters[0]["reason"] if letters else None


def alarm(e: Any, **kw: Any) -> dict[str, Any]:
    return raw_records(run("ves", orjson.dumps({"event": e}), META, **kw))[0]


@pytest.mark.parametrize(
    ("header", "fault", "expected"),
    [
        ({"sourceName": ...}, {}, "missing_field:sourceName"),
        ({"sourceName": ""}, {}, "missing_field:sourceName"),
        ({}, {"alarmCondition": ...}, "missing_field:alarmCondition"),
        ({}, {"eventSeverity": ...}, "missing_field:eventSeverity"),
        ({}, {"eventSeverity": "FATAL"}, "bad_enum:eventSeverity"),
        ({"lastEpochMicrosec": ..., "startEpochMicrosec": ...}, {}, "missing_field:lastEpochMicrosec"),
        ({"lastEpochMicrosec": "1795115645000000"}, {}, "bad_type:lastEpochMicrosec"),
        ({"lastEpochMicrosec": 1795115645}, {}, "bad_type:lastEpochMicrosec"),  # seconds by mistake
        ({"lastEpochMicrosec": ..., "startEpochMicrosec": 1795115638000}, {}, "bad_type:startEpochMicrosec"),
        ({"domain": ...}, {}, "missing_field:domain"),
        ({"lastEpochMicrosec": 9 * 10**18}, {}, "bad_type:lastEpochMicrosec"),  # beyond 2199
        ({"sourceName": ...}, {"eventSeverity": "FATAL"}, "missing_field:sourceName"),
    ],
)
def test_fault_dead_letters(header: dict[str, Any], fault: dict[str, Any], expected: str) -> None:
    assert reason(event(header, fault)) == expected


def test_fault_dead_letter_keeps_the_tables_fields() -> None:
    [letter] = dead_letters(
        run("ves", orjson.dumps({"event": event(fault={"eventSeverity": "FATAL"})}), META)
    )
    item = orjson.loads(letter["record"])["item"]
    assert set(item["commonEventHeader"]) == {
        "domain",
        "sourceName",
        "startEpochMicrosec",
        "lastEpochMicrosec",
    }
    assert (
        "eventId" not in item["commonEventHeader"] and "alarmAdditionalInformation" not in item["faultFields"]
    )


def test_fault_mapping() -> None:
    start_only = alarm(event({"lastEpochMicrosec": ...}))
    assert start_only["event_time"] == "2026-11-20T02:13:58+07:00"
    no_interface = alarm(event(fault={"alarmInterfaceA": ...}))
    assert no_interface["alarm_id"] == "viettel|LCU0123|CellOutOfService|"
    assert alarm(event(fault={"eventSeverity": "minor"}))["severity"] == "minor"
    op = Operator("viettel", site_regex=re.compile(r"^(?P<site>LCU[0-9]+)"), site_id_template="VTL-{site}")
    ctx = context()
    from dataclasses import replace

    regexed = alarm(event({"sourceName": "LCU0123-eNB1"}), ctx=replace(ctx, operators={"viettel": op}))
    assert (regexed["site_id"], regexed["alarm_id"]) == (
        "VTL-LCU0123",
        "viettel|LCU0123-eNB1|CellOutOfService|EUtranCellFDD=LCU0123_1",
    )


@pytest.mark.parametrize(
    ("condition", "problem", "cause"),
    [
        ("AC Power Failure", "", "mains_failure"),
        ("LOW_BATTERY", "", "battery_low"),
        ("X", "mất điện lưới", "mains_failure"),
        ("X", "Microwave link down", "transmission_down"),
        ("gNodeBDown", "", "site_down"),
        ("X", "Node unreachable", "site_down"),
        ("X", "Cabinet door opened", "door_open"),
        ("X", "Fan speed", "other"),
        ("Temp", "Over temperature", "high_temperature"),
    ],
)
def test_probable_causes(condition: str, problem: str, cause: str) -> None:
    assert (
        alarm(event(fault={"alarmCondition": condition, "specificProblem": problem}))["probable_cause"]
        == cause
    )


def test_causes_per_operator() -> None:
    import tomllib
    from dataclasses import replace

    from tests.wire_kit import ROOT

    data = tomllib.loads((ROOT / "config" / "telecom" / "alarm-causes.toml").read_text(encoding="utf-8"))
    data["operator"] = {"viettel": {"cause": {"cell_outage": {"conditions": ["sectordown"], "problems": []}}}}
    problems: list[str] = []
    causes = read_causes(data, "alarm-causes.toml", problems)
    assert problems == []
    ctx = replace(context(), causes=causes)
    assert alarm(event(fault={"alarmCondition": "SectorDown"}), ctx=ctx)["probable_cause"] == "cell_outage"
    assert alarm(event(fault={"specificProblem": "nothing known"}), ctx=ctx)["probable_cause"] == "other"


def perf(suspect: str = "false", period: Any = 900) -> dict[str, Any]:
    return {
        "commonEventHeader": {**FAULT["commonEventHeader"], "domain": "perf3gpp"},
        "perf3gppFields": {
            "perf3gppFieldsVersion": "1.0",
            "measDataCollection": {
                "granularityPeriod": period,
                "measuredEntityUserName": "",
                "measInfoList": [
                    {
                        "measInfoId": {"sMeasInfoId": "cell"},
                        "measTypes": {
                            "sMeasTypesList": ["CellUnavailableTime", "VS.Voice.Erlang", "RRC.ConnMean"]
                        },
                        "measValuesList": [
                            {
                                "measObjInstId": "c1",
                                "suspectFlag": "false",
                                "measResults": [
                                    {"p": 1, "iValue": 90},
                                    {"p": 2, "rValue": 1.25},
                                    {"p": 3, "sValue": "10.5"},
                                ],
                            },
                            {
                                "measObjInstId": "c2",
                                "suspectFlag": suspect,
                                "measResults": [
                                    {"p": 1, "iValue": 0},
                                    {"p": 2, "rValue": 0.75},
                                    {"p": 3, "sValue": "x"},
                                ],
                            },
                        ],
                    }
                ],
            },
        },
    }


def test_perf3gpp() -> None:
    [record] = raw_records(run("ves", orjson.dumps({"event": perf()}), META))
    assert record == {
        "kind": "pm",
        "site_id": "LCU0123",
        "period_start": "2026-11-20T01:59:05+07:00",
        "period_s": 900,
        "availability_pct": 95.0,
        "traffic_erl": 2.0,
        "users": 11,
        "_wire": {
            "adapter": "ves",
            "domain": "perf3gpp",
            "operator": "viettel",
            "cells": 2,
            "suspect_cells": 0,
        },
    }
    [record] = raw_records(run("ves", orjson.dumps({"event": perf("true")}), META))
    assert (record["availability_pct"], record["_wire"]["suspect_cells"]) == (90.0, 1)
    assert reason(perf(period="900")) == "bad_type:granularityPeriod"
    assert reason(perf(period=None)) == "missing_field:granularityPeriod"


def test_other_domains_are_ignored_by_domain() -> None:
    events = [
        {"commonEventHeader": {"domain": d}} for d in ("heartbeat", "measurement", "stndDefined", "madeUp")
    ]
    c = counts(run("ves", orjson.dumps({"eventList": events}), META))
    assert c["ignored_kinds"] == {"heartbeat": 1, "measurement": 1, "stndDefined": 1, "unknown_domain": 1}


def test_body_shapes_and_bad_bodies() -> None:
    one = orjson.dumps({"event": FAULT})
    assert counts(run("ves", one + b"\n" + orjson.dumps(BATCH), META))["items"] == 4
    assert counts(run("ves", orjson.dumps([{"event": FAULT}, BATCH]), META))["items"] == 4
    for bad in (b"{not json", b'{"events": []}', b'{"eventList": {}}', b"[1, 2]"):
        assert counts(run("ves", bad, META))["dead_letter_reasons"] == {"unparseable": 1}
    assert counts(run("ves", orjson.dumps({"eventList": [FAULT, "x", 3]}), META))["dead_letter_reasons"] == {
        "unparseable": 2
    }
