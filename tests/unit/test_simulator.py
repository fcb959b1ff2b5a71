"""`ioc simulate`: determinism, validity against the contract, the clock, the sender, the demo
pipeline's configuration (realism and volumes: test_simulator_realism.py).

Pure: no network, no pipeline. Records are checked twice: by an independent reading of the
contract (tests/simulated.py) and by the pipeline's own connectors.
"""
from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.registry import SOURCES
from ioc.demo import DemoPipeline
from simulator.clock import DAY, HOUR, WORK_DAY_S, Calendar, SimClock
from simulator.faults import Faults
from simulator.run import Driver, Plan, build, generate
from simulator.sender import Sender
from tests.simulated import (
    ALL,
    DIGIT_RUN_12,
    SETTINGS,
    START,
    TZ7,
    UNITS,
    contract_problems,
    world,
)


@pytest.fixture(scope="module")
def two_days() -> dict[str, list[dict[str, Any]]]:
    return generate(world(seed=11, sites=300), ALL, START + 2 * DAY)


# -- determinism -----------------------------------------------------------------------------------
def test_same_seed_and_start_give_the_same_records_however_they_are_advanced() -> None:
    until = START + 1.5 * DAY
    whole = generate(world(seed=3, sites=50), ALL, until)
    gens = build(Plan(world(seed=3, sites=50), ALL, 100, None, 0.0))
    pieces: dict[str, list[Any]] = defaultdict(list)
    t = START
    for step in [1.0, 59.0, 3600.0, 0.5, 7 * 3600.0, 900.0] * 100:   # irregular steps, as real pacing gives
        t = min(t + step, until)
        for g in gens:
            pieces[g.name].extend(g.advance(t))
    for source in ALL:
        assert orjson.dumps(pieces[source]) == orjson.dumps(whole[source]), source
    other = generate(world(seed=4, sites=50), ALL, until)
    assert all(orjson.dumps(other[s]) != orjson.dumps(whole[s]) for s in ALL)


def test_bad_records_are_deterministic_too() -> None:
    recs = generate(world(sites=20), ("telecom",), START + 0.5 * DAY)["telecom"]
    assert Faults(world(sites=20), 0.05).lines("telecom", recs) == Faults(world(sites=20), 0.05).lines(
        "telecom", recs
    )


# -- validity ------------------------------------------------------------------------------------------
def test_every_record_follows_the_contract(two_days: dict[str, list[dict[str, Any]]]) -> None:
    now = START + 2 * DAY
    for source, records in two_days.items():
        assert records, source
        bad = [(r, p) for r in records if (p := contract_problems(source, r, now))]
        assert not bad, (source, bad[:3])


def test_the_pipeline_connectors_accept_every_record(two_days: dict[str, list[dict[str, Any]]]) -> None:
    received_us = int((START + 2 * DAY) * 1e6)
    for source, records in two_days.items():
        verdicts = Counter(
            getattr(SOURCES[source].check(r, received_us, 600_000_000, UNITS), "reason", "ok")
            for r in records
        )
        assert verdicts == {"ok": len(records)}, (source, verdicts)


def test_citizen_refs_are_pseudonyms_never_personal_ids(two_days: dict[str, list[dict[str, Any]]]) -> None:
    refs = [r["citizen_ref"] for r in two_days["population"] if "citizen_ref" in r]
    assert refs and all(
        re.fullmatch(r"c-[0-9a-f]{24}", ref) and not re.search(r"[0-9]{10}", ref) for ref in refs
    )


def test_bad_fraction_gives_dead_letters_of_every_kind_and_no_personal_id() -> None:
    w = world(sites=30)
    records = generate(w, ALL, START + DAY)
    received_us = int((START + DAY) * 1e6)
    reasons: Counter[str] = Counter()
    for source, recs in records.items():
        lines = Faults(w, 0.05).lines(source, recs)
        assert len(lines) > len(recs) and not any(DIGIT_RUN_12.search(line) for line in lines)
        for line in lines:
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                reasons["unparseable"] += 1
                continue
            verdict = SOURCES[source].check(value, received_us, 600_000_000, UNITS)
            reasons[getattr(verdict, "reason", "ok").split(":")[0]] += 1
    assert {
        "ok",
        "missing_field",
        "bad_type",
        "bad_enum",
        "unknown_unit",
        "future_time",
        "unparseable",
    } <= set(reasons)
    assert "personal_id" not in reasons
    assert Faults(w, 0.0).lines("dvc", records["dvc"]) == [orjson.dumps(r) for r in records["dvc"]]


# -- the clock -----------------------------------------------------------------------------------------
class FakeTime:
    def __init__(self, wall: float) -> None:
        self.wall, self.mono = wall, 0.0

    def tick(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def test_the_clock_compresses_time_then_follows_the_wall_clock_never_ahead() -> None:
    ft = FakeTime(START + HOUR)
    clock = SimClock(START, 600, wall=lambda: ft.wall, monotonic=lambda: ft.mono)
    ft.tick(1)
    assert clock.now() == START + 600 and not clock.live()
    ft.tick(10)
    assert clock.now() == ft.wall and clock.live()  # caught up: 1x from here on
    ft.tick(3600)
    assert clock.now() == ft.wall
    with pytest.raises(ValueError):
        SimClock(ft.wall + 60, 1, wall=lambda: ft.wall)


def test_event_times_never_exceed_arrival_by_ten_minutes_across_the_catch_up() -> None:
    """Drive the real driver on a fake clock from two days back to past `now`; stamp each record
    with the wall time at which it was handed to the sender."""
    ft = FakeTime(START + 2 * DAY)
    clock = SimClock(START, 20_000, wall=lambda: ft.wall, monotonic=lambda: ft.mono)
    stamped: list[tuple[str, bytes, float]] = []

    class Capture(Sender):
        def add(self, source: str, lines: list[bytes]) -> None:
            stamped.extend((source, line, ft.wall) for line in lines)

    plan = Plan(world(sites=40), ALL, 20_000, None, 0.0)
    driver = Driver(plan, Capture("http://unused", dict.fromkeys(ALL, "t")), clock, say=lambda _: None)
    for _ in range(40):  # ~9 s of catch-up at 20,000x, then half an hour live
        driver.step()
        ft.tick(60 if clock.live() else 0.25)
    assert clock.live() and len(stamped) > 10_000
    late = [(s, line) for s, line, wall in stamped if contract_problems(s, orjson.loads(line), wall)]
    assert not late, late[:3]
    assert any(wall > START + 2 * DAY + 60 for *_, wall in stamped)  # records kept coming once live


def test_office_hours_skip_lunch_nights_and_weekends() -> None:
    cal = Calendar(UNITS.timezone)
    friday_4pm = datetime(2025, 9, 5, 16, 0, tzinfo=TZ7).timestamp()
    assert cal.add_working(friday_4pm, 2 * HOUR) == datetime(2025, 9, 8, 8, 30, tzinfo=TZ7).timestamp()
    noon = datetime(2025, 9, 3, 12, 0, tzinfo=TZ7).timestamp()
    assert cal.next_working(noon) == datetime(2025, 9, 3, 13, 30, tzinfo=TZ7).timestamp()
    assert cal.add_working_days(noon, 1) == datetime(2025, 9, 4, 13, 30, tzinfo=TZ7).timestamp()
    assert WORK_DAY_S == 7.5 * HOUR and cal.iso(noon) == "2025-09-03T12:00:00+07:00"


# -- the sender --------------------------------------------------------------------------------------------
class NoWait(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout or 0.0)
        return self.is_set()


def test_sender_batches_retries_503_after_retry_after_and_switches_off_unknown_sources() -> None:
    calls: list[tuple[str, int]] = []
    answers = iter([(503, {"Retry-After": "7"}, {"error": "broker"})])

    def post(url: str, body: bytes, token: str | None) -> tuple[int, dict[str, str], Any]:
        n = body.count(b"\n") + 1
        calls.append((url.rsplit("/", 1)[1], n))
        if url.endswith("/fax"):
            return 404, {}, {"error": "unknown source"}
        reply = next(answers, None)
        return reply or (
            200,
            {},
            {
                "accepted": n - 1,
                "duplicate": 0,
                "dead_lettered": 1,
                "dead_letter_reasons": {"future_time": 1},
            },
        )

    stop = NoWait()
    sender = Sender(
        "http://x", {"dvc": "t", "fax": "t", "none": None}, post=post, stop=stop, say=lambda _: None
    )
    sender.add("dvc", [b"{}"] * 1200)
    sender.add("fax", [b"{}"] * 3)
    sender.add("none", [b"{}"] * 2)
    sender.pump(force=True)
    assert [n for s, n in calls if s == "dvc"] == [500, 500, 500, 200]  # the first 500 twice (503)
    assert stop.waits == [7.0]
    dvc, fax, none = (sender.tally[s] for s in ("dvc", "fax", "none"))
    assert (dvc.sent, dvc.accepted, dvc.dead_lettered, dvc.reasons["future_time"]) == (1200, 1197, 3, 3)
    assert fax.off and fax.lost == 3 and none.off and none.lost == 2
    sender.add("fax", [b"{}"])
    sender.pump(force=True)
    assert fax.lost == 4 and len([c for c in calls if c[0] == "fax"]) == 1


# -- the demo pipeline's configuration -----------------------------------------------------------------------
def test_demo_pipeline_gets_its_own_state_and_ports(tmp_path: Path) -> None:
    demo = DemoPipeline(SETTINGS, tmp_path / "demo").prepare()
    assert demo.http_port == SETTINGS.http_port + 10 and demo.query_port == SETTINGS.query_port + 10
    assert demo.state_dir == (tmp_path / "demo" / "state").resolve() and demo.broker.embedded
    assert demo.units.province.code == UNITS.province.code
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "precious.duckdb").write_text("x")
    with pytest.raises(RuntimeError):
        DemoPipeline(SETTINGS, tmp_path / "other").prepare()
