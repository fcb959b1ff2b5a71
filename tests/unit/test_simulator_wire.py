"""`ioc simulate --wire`: the simulator's records written in the four wire formats and read back by the
real adapters give the same records (up to what a format cannot carry), and each goes to its adapter's
endpoint; what has no wire format, and deliberately bad copies, stay on the JSON contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson
import pytest

from connectors.adapters.base import Meta
from connectors.adapters.organs import Organs
from connectors.adapters.registry import ADAPTERS
from connectors.registry import SOURCES
from ioc.demo import DemoPipeline
from simulator.faults import Faults
from simulator.run import generate
from simulator.wire import WireSender
from tests.simulated import ALL, SETTINGS, START, TZ7, world
from tests.wire_kit import context

ORGANS = {u.code: f"SIM.{u.code}" for u in SETTINGS.units.units.values()}


class Loopback:
    """The adapters and the sources' checks in process, answering as the gateway does."""

    def __init__(self) -> None:
        base = context()
        self.ctx = replace(
            base,
            organs=Organs(
                {**base.organs.by_id, **{o: u for u, o in ORGANS.items()}}, dict(base.organs.by_name)
            ),
        )
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.paths: Counter[str] = Counter()

    def post(self, url: str, body: bytes, token: str | None) -> tuple[int, dict[str, str], Any]:
        parsed = urlparse(url)
        name = parsed.path.rsplit("/", 1)[1]
        self.paths[name] += 1
        if name in SOURCES:
            lines = [_json(x) for x in body.splitlines()]   # a bad copy may be a cut line
            self.records.setdefault(name, []).extend(lines)
            return 200, {}, {"accepted": len(lines), "duplicate": 0, "dead_lettered": 0}
        operator = parse_qs(parsed.query).get("operator", [None])[0]
        items = list(ADAPTERS[name].read(body, Meta(operator), self.ctx))
        out = [r for m in items for r in m.records]
        self.records.setdefault(name, []).extend(out)
        dead = [m.reason for m in items if m.reason]
        return (
            200,
            {},
            {
                "accepted": len(out),
                "duplicate": 0,
                "dead_lettered": len(dead),
                "dead_letter_reasons": dict(Counter(dead)),
                "ignored": sum(1 for m in items if m.ignored),
            },
        )


def _json(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return line.decode(errors="replace")


@pytest.fixture(scope="module")
def day() -> dict[str, list[dict[str, Any]]]:
    return generate(world(seed=5, sites=60), ALL, START + 86_400)


def send(records: dict[str, list[dict[str, Any]]], bad_fraction: float = 0.0) -> tuple[Loopback, WireSender]:
    loop = Loopback()
    tokens: dict[str, str | None] = dict.fromkeys((*SOURCES, *ADAPTERS), "t")
    sender = WireSender(
        "http://x",
        tokens,
        TZ7,
        ORGANS,
        5,
        operators=frozenset({"viettel", "vnpt", "mobifone"}),
        post=loop.post,
        say=lambda _: None,
    )
    faults = Faults(world(seed=5, sites=60), bad_fraction)
    for source, recs in records.items():
        sender.add(source, faults.lines(source, recs))
    sender.pump(force=True)
    return loop, sender


def test_records_come_back_through_the_adapters(day: dict[str, list[dict[str, Any]]]) -> None:
    loop, sender = send(day)
    assert not any(t.lost or t.off for t in sender.tally.values())
    strip = ("_wire", "MucDoHaiLong", "DichVuToanTrinh")  # ratings stay JSON; the procedure list is config

    def same(r: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in r.items() if k not in strip and v is not None}

    assert [same(r) for r in loop.records["dvcqg"]] == [same(r) for r in day["dvc"]]
    pm = [
        r
        for r in day["telecom"]
        if r["kind"] == "pm"
        and r["site_id"] in sender.operator_of
        and sender.operator_of[r["site_id"]] != "vietnamobile"
    ]
    got = {(r["site_id"], r["period_start"]): r for r in loop.records["meascollec"]}
    assert len(got) == len(pm) > 1000
    for r in pm:
        back = got[(r["site_id"], r["period_start"])]
        for k in ("availability_pct", "traffic_erl", "data_mb", "users"):
            assert abs(back[k] - r[k]) <= 0.002, (k, r, back)
    alarms = [r for r in day["telecom"] if r["kind"] == "alarm" and r.get("operator") != "vietnamobile"]

    def alarm(
        r: dict[str, Any],
    ) -> tuple[str, ...]:  # the simulator's causes the cause table knows keep theirs
        cause = r["probable_cause"] if r["probable_cause"] != "rectifier_fault" else "other"
        return (
            r["site_id"],
            r["state"],
            r["event_time"],
            cause,
            r["severity"] if r["state"] == "raised" else "",
        )

    back_alarms = [r if r["state"] == "raised" else {**r, "severity": ""} for r in loop.records["ves"]]
    assert sorted(map(alarm, back_alarms)) == sorted(map(alarm, alarms))
    documents = Counter(r["status"] for r in loop.records.get("edxml", []))
    assert documents["issued"] > 0 and documents["received"] > 0 and documents["completed"] > 0
    assert loop.records["telecom"] and all(
        r["kind"] == "site" or sender.operator_of[r["site_id"]] == "vietnamobile"
        for r in loop.records["telecom"]
    )
    assert "population" in loop.records and "dvc" not in loop.records


def test_bad_copies_stay_json_and_nothing_personal_leaves_the_adapters(
    day: dict[str, list[dict[str, Any]]],
) -> None:
    subset = {"dvc": day["dvc"][:300], "eoffice": day["eoffice"][:300]}
    loop, sender = send(subset, bad_fraction=0.2)
    assert sender.tally["dvc"].sent > 0  # bad copies the writers cannot take
    text = orjson.dumps(loop.records)
    assert not any(name.encode() in text for name in ("Lò", "Tẩn", "Giàng", "Thị Xuân"))


def test_demo_gets_illustrative_organ_codes_and_the_simulators_operators(tmp_path: Path) -> None:
    demo = DemoPipeline(SETTINGS, tmp_path / "demo")
    settings = demo.prepare()
    organs = (settings.province_dir / "organs.csv").read_text(encoding="utf-8")
    assert "SIM.03388,03388," in organs and "000.00.00.H35,12.VP," in organs
    shipped = (SETTINGS.province_dir / "organs.csv").read_text(encoding="utf-8")
    assert "SIM." not in shipped
    assert "[adapters.telecom.operators.vietnamobile]" in demo.config.read_text()
