"""`ioc simulate`: determinism, validity against the contract, the clock, realism, the sender.

Pure: no network, no pipeline. Records are checked twice: by an independent reading of the
contract written here (required fields, strict types, closed lists, unit codes, no personal id,
event time at most 10 minutes after arrival) and by the pipeline's own connectors.
"""
from __future__ import annotations

import argparse
import re
import statistics
import threading
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.privacy import contains_personal_id
from connectors.registry import SOURCES
from connectors.timestamps import parse_ts
from ioc.settings import load_settings
from ioc.simulator.clock import DAY, HOUR, WORK_DAY_S, Calendar, SimClock
from ioc.simulator.demo import DemoPipeline
from ioc.simulator.faults import Faults
from ioc.simulator.run import GENERATORS, Driver, Plan, add_arguments, build, generate, plan_from
from ioc.simulator.sender import Sender
from ioc.simulator.world import World
from ioc.units import UnitRegistry
from streams.kpis.dvc import outcome, slim

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = load_settings(ROOT / "config" / "pipeline.toml")
UNITS = SETTINGS.units
TZ7 = timezone(timedelta(hours=7))
START = datetime(2025, 9, 1, tzinfo=TZ7).timestamp()          # a Monday, after the 2025 merger
ALL = tuple(GENERATORS)
DIGIT_RUN_12 = re.compile(rb"[0-9]{12}")


def world(seed: int = 7, sites: int = 300, rate_scale: float = 1.0, start: float = START) -> World:
    return World(seed, start, UNITS, rate_scale, sites)


@pytest.fixture(scope="module")
def fortnight() -> dict[str, list[dict[str, Any]]]:
    """Two simulated weeks of every source (100 sites keep the counters small)."""
    return generate(world(sites=100), ALL, START + 14 * DAY)


@pytest.fixture(scope="module")
def two_days() -> dict[str, list[dict[str, Any]]]:
    return generate(world(seed=11, sites=300), ALL, START + 2 * DAY)


# -- an independent reading of contract sections 2, 3 and 7 -----------------------------------------
TS = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})")
HANDLING = "handling"
COMMUNE = "commune"
DVC = {"MaHoSo": ("str", True), "MaTTHC": ("str", True), "MaDonVi": (HANDLING, True),
       "KenhThucHien": ({1, 2, 3}, True), "TrangThaiHoSo": (set(range(1, 11)), True),
       "ThoiGianCapNhat": ("ts", True), "NgayTiepNhan": ("ts", True), "NgayHenTra": ("ts", False),
       "NgayKetThucXuLy": ("ts", False), "DichVuToanTrinh": ("bool", False), "CoNghiaVuTaiChinh": ("bool", False),
       "DuocThanhToanTrucTuyen": ({0, 1, 2}, False), "HoSoCoThanhPhanSoHoa": ("bool", False),
       "CoKetQuaDienTu": ("bool", False), "TaiKhoanDuocXacThucVoiVNeID": ("bool", False),
       "MucDoHaiLong": ({1, 2, 3, 4, 5}, False)}
EOFFICE = {"doc_id": ("str", True), "unit": (HANDLING, True), "direction": ({"incoming", "outgoing"}, True),
           "status": ({"received", "registered", "assigned", "processing", "completed", "issued", "rejected",
                       "recalled"}, True), "event_time": ("ts", True), "deadline": ("ts", False),
           "urgency": ({"normal", "urgent", "very_urgent", "flash"}, False), "electronic": ("bool", False),
           "digitally_signed": ("bool", False)}
POPULATION = {"event_id": ("str", True), "kind": ({"eid_application", "eid_activated", "verification",
                                                  "record_corrected"}, True), "commune": (COMMUNE, True),
              "event_time": ("ts", True), "level": ({1, 2}, False), "citizen_ref": ("str", False),
              "result": ({"ok", "mismatch", "not_found", "error"}, False), "latency_ms": ("num", False),
              "requester": ("str", False)}
TELECOM = {
    "site": {"site_id": ("str", True), "operator": ("str", False), "commune": (COMMUNE, True),
             "technologies": ("techs", False), "villages": ("strlist", False), "valid_from": ("ts", True)},
    "alarm": {"alarm_id": ("str", True), "site_id": ("str", True), "operator": ("str", False),
              "probable_cause": ("str", True), "severity": ({"critical", "major", "minor", "warning"}, True),
              "state": ({"raised", "cleared"}, True), "event_time": ("ts", True)},
    "pm": {"site_id": ("str", True), "period_start": ("ts", True), "period_s": ("int", False),
           "availability_pct": ("pct", True), "traffic_erl": ("num", False), "data_mb": ("num", False),
           "users": ("int", False)}}
EVENT_TIME = {"dvc": "ThoiGianCapNhat", "eoffice": "event_time", "population": "event_time",
              "site": "valid_from", "alarm": "event_time", "pm": "period_start"}


def value_ok(kind: Any, v: Any, units: UnitRegistry) -> bool:
    is_int = isinstance(v, int) and not isinstance(v, bool)
    if isinstance(kind, set):
        return (is_int or isinstance(v, str)) and v in kind
    return {"str": lambda: isinstance(v, str) and v.strip() != "",
            "bool": lambda: isinstance(v, bool),
            "int": lambda: is_int and v >= 0,
            "num": lambda: (is_int or isinstance(v, float)) and v >= 0,
            "pct": lambda: (is_int or isinstance(v, float)) and 0 <= v <= 100,
            "ts": lambda: isinstance(v, str) and TS.fullmatch(v) is not None,
            "strlist": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
            "techs": lambda: isinstance(v, list) and bool(v) and set(v) <= {"2G", "3G", "4G", "5G"},
            HANDLING: lambda: isinstance(v, str) and units.is_handling_unit(v),
            COMMUNE: lambda: isinstance(v, str) and units.is_commune(v)}[kind]()


def contract_problems(source: str, rec: dict[str, Any], now: float) -> list[str]:
    kind = rec.get("kind") if source == "telecom" else source
    table = TELECOM.get(kind) if source == "telecom" else {"dvc": DVC, "eoffice": EOFFICE,
                                                            "population": POPULATION}[source]
    if table is None:
        return [f"kind {kind!r}"]
    problems = [f for f, (k, required) in table.items()
                if (rec.get(f) is None and required) or (rec.get(f) is not None and not value_ok(k, rec[f], UNITS))]
    if contains_personal_id(rec) or DIGIT_RUN_12.search(orjson.dumps(rec)):
        problems.append("twelve digits")
    event = parse_ts(rec[EVENT_TIME[kind]]) / 1e6
    if event > now + 600:
        problems.append("future_time")
    return problems


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
    assert Faults(world(sites=20), 0.05).lines("telecom", recs) == Faults(world(sites=20), 0.05).lines("telecom", recs)


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
        verdicts = Counter(getattr(SOURCES[source].check(r, received_us, 600_000_000, UNITS), "reason", "ok")
                           for r in records)
        assert verdicts == {"ok": len(records)}, (source, verdicts)


def test_citizen_refs_are_pseudonyms_never_personal_ids(two_days: dict[str, list[dict[str, Any]]]) -> None:
    refs = [r["citizen_ref"] for r in two_days["population"] if "citizen_ref" in r]
    assert refs and all(re.fullmatch(r"c-[0-9a-f]{24}", ref) and not re.search(r"[0-9]{10}", ref) for ref in refs)


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
    assert {"ok", "missing_field", "bad_type", "bad_enum", "unknown_unit", "future_time", "unparseable"} <= set(reasons)
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
    assert clock.now() == ft.wall and clock.live()          # caught up: 1x from here on
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
    driver = Driver(plan, Capture("http://unused", {s: "t" for s in ALL}), clock, say=lambda _: None)
    for _ in range(40):            # ~9 s of catch-up at 20,000x, then half an hour live
        driver.step()
        ft.tick(60 if clock.live() else 0.25)
    assert clock.live() and len(stamped) > 10_000
    late = [(s, line) for s, line, wall in stamped
            if contract_problems(s, orjson.loads(line), wall)]
    assert not late, late[:3]
    assert any(wall > START + 2 * DAY + 60 for *_, wall in stamped)   # records kept coming once live


def test_office_hours_skip_lunch_nights_and_weekends() -> None:
    cal = Calendar(UNITS.timezone)
    friday_4pm = datetime(2025, 9, 5, 16, 0, tzinfo=TZ7).timestamp()
    assert cal.add_working(friday_4pm, 2 * HOUR) == datetime(2025, 9, 8, 8, 30, tzinfo=TZ7).timestamp()
    noon = datetime(2025, 9, 3, 12, 0, tzinfo=TZ7).timestamp()
    assert cal.next_working(noon) == datetime(2025, 9, 3, 13, 30, tzinfo=TZ7).timestamp()
    assert cal.add_working_days(noon, 1) == datetime(2025, 9, 4, 13, 30, tzinfo=TZ7).timestamp()
    assert WORK_DAY_S == 7.5 * HOUR and cal.iso(noon) == "2025-09-03T12:00:00+07:00"


# -- realism ---------------------------------------------------------------------------------------------
def by_entity(records: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[r[key]].append(r)
    return groups


def test_dvc_looks_like_a_mountain_province(fortnight: dict[str, list[dict[str, Any]]]) -> None:
    dossiers = by_entity(fortnight["dvc"], "MaHoSo")
    latest = [max(recs, key=lambda r: parse_ts(r["ThoiGianCapNhat"])) for recs in dossiers.values()]
    assert 200 <= len(dossiers) / 14 <= 450                                   # ~10^5 a year
    finished = [o for recs in dossiers.values() if (o := outcome([slim(r) for r in recs]))]
    assert 0.97 <= statistics.mean(o.on_time for o in finished) <= 0.999       # ~99 % on time
    assert 0.40 <= statistics.mean(r["KenhThucHien"] == 2 for r in latest) <= 0.65
    fee = [r for r in latest if r["CoNghiaVuTaiChinh"]]
    assert 0.30 <= statistics.mean(r["DuocThanhToanTrucTuyen"] >= 1 for r in fee) <= 0.75
    assert 0.60 <= statistics.mean(r["HoSoCoThanhPhanSoHoa"] for r in latest) <= 0.95
    ratings = [r["MucDoHaiLong"] for r in fortnight["dvc"] if r["MucDoHaiLong"] is not None]
    assert len(ratings) > 100 and 0.85 <= statistics.mean(x >= 4 for x in ratings) <= 0.97
    statuses = Counter(r["TrangThaiHoSo"] for r in fortnight["dvc"])
    assert set(statuses) == set(range(1, 11))
    assert all(recs[0]["TrangThaiHoSo"] in (1, 2) for recs in dossiers.values())
    units = Counter(r["MaDonVi"] for r in latest)
    assert 0.5 <= sum(n for u, n in units.items() if UNITS.is_commune(u)) / len(latest) <= 0.75


def test_eoffice_documents_are_mostly_signed_and_electronic(fortnight: dict[str, list[dict[str, Any]]]) -> None:
    docs = by_entity(fortnight["eoffice"], "doc_id")
    issued = [max(d, key=lambda r: parse_ts(r["event_time"])) for d in docs.values()
              if any(r["status"] == "issued" for r in d)]
    assert len(issued) / 14 > 100
    assert 0.85 <= statistics.mean(r["digitally_signed"] for r in issued) <= 0.99
    assert 0.85 <= statistics.mean(r["electronic"] for r in fortnight["eoffice"]) <= 0.99
    done = [r for r in fortnight["eoffice"] if r["status"] == "completed" and r["deadline"]]
    late = statistics.mean(parse_ts(r["event_time"]) > parse_ts(r["deadline"]) for r in done)
    assert 0.01 <= late <= 0.15
    statuses = Counter(r["status"] for r in fortnight["eoffice"])
    assert {"rejected", "recalled", "issued", "completed"} <= set(statuses)
    assert Counter(r["urgency"] for r in fortnight["eoffice"]).most_common(1)[0][0] == "normal"


def test_population_verifications_and_activations(fortnight: dict[str, list[dict[str, Any]]]) -> None:
    events = fortnight["population"]
    checks = [r for r in events if r["kind"] == "verification"]
    assert 0.94 <= statistics.mean(r["result"] == "ok" for r in checks) <= 0.985
    latencies = sorted(r["latency_ms"] for r in checks)
    assert 100 < latencies[len(latencies) // 2] < 300 < latencies[int(0.95 * len(latencies))] < 2000
    applied = {r["citizen_ref"]: parse_ts(r["event_time"]) for r in events if r["kind"] == "eid_application"}
    activated = [r for r in events if r["kind"] == "eid_activated" and r["citizen_ref"] in applied]
    assert activated and all(parse_ts(r["event_time"]) > applied[r["citizen_ref"]] for r in activated)
    assert all(r["level"] == 2 for r in activated)
    assert {r["requester"] for r in checks} >= {"dvc-portal", "vneid-app"}


def test_telecom_inventory_counters_and_a_commune_cut_off(fortnight: dict[str, list[dict[str, Any]]]) -> None:
    recs = fortnight["telecom"]
    sites = [r for r in recs if r["kind"] == "site"]
    assert len(sites) == len({r["site_id"] for r in sites}) == 100
    pm = [r for r in recs if r["kind"] == "pm"]
    per_site = Counter(r["site_id"] for r in pm)
    assert set(per_site.values()) == {14 * 96 - 1}          # the last quarter is delivered after `until`
    starts = {datetime.fromisoformat(r["period_start"]) for r in pm}
    assert all(t.minute % 15 == 0 and t.second == 0 for t in starts)
    assert 0.99 <= statistics.mean(r["availability_pct"] for r in pm) / 100 < 1
    alarms = [r for r in recs if r["kind"] == "alarm"]
    states = Counter((r["alarm_id"], r["state"]) for r in alarms)
    assert set(states.values()) == {1}                        # one raise and one clear per alarm id
    assert cut_off_communes(sites, alarms)


def cut_off_communes(sites: list[dict[str, Any]], alarms: list[dict[str, Any]]) -> set[str]:
    """Replay the alarms (contract 2.4): communes whose every site was out at one moment."""
    commune_of = {s["site_id"]: s["commune"] for s in sites}
    total = Counter(commune_of.values())
    out: dict[str, set[str]] = defaultdict(set)               # site -> alarm ids keeping it out
    cut: set[str] = set()
    for r in sorted(alarms, key=lambda r: (parse_ts(r["event_time"]), r["state"] == "raised")):
        if r["probable_cause"] in ("site_down", "cell_outage", "transmission_down") \
                and r["severity"] in ("critical", "major"):
            (out[r["site_id"]].add if r["state"] == "raised" else out[r["site_id"]].discard)(r["alarm_id"])
            down = Counter(commune_of[s] for s, ids in out.items() if ids)
            cut |= {c for c, n in down.items() if n == total[c]}
    return cut


def test_volumes_match_the_estimates_behind_the_automatic_speed(fortnight: dict[str, list[dict[str, Any]]]) -> None:
    w = world(sites=100)
    for source, records in fortnight.items():
        estimate = GENERATORS[source].records_per_day(w)
        assert 0.7 <= len(records) / 14 / estimate <= 1.3, source


def test_default_settings_stay_under_500_records_per_second() -> None:
    args = argparse.ArgumentParser()
    add_arguments(args)
    plan = plan_from(args.parse_args([]), SETTINGS)
    per_day = sum(GENERATORS[s].records_per_day(plan.world) for s in plan.sources)
    assert per_day * plan.speed / DAY <= 500 and plan.speed > 100 and plan.world.sites == 2100
    big = plan_from(args.parse_args(["--sites", "200", "--rate-scale", "0.5", "--speed", "600"]), SETTINGS)
    assert sum(GENERATORS[s].records_per_day(big.world) for s in big.sources) * 600 / DAY < 2000
    for bad in (["--start", "2999-01-01T00:00:00+07:00"], ["--sources", "dvc,fax"], ["--bad-fraction", "2"]):
        with pytest.raises(ValueError):
            plan_from(args.parse_args(bad), SETTINGS)
    naive = plan_from(args.parse_args(["--start", "2025-09-01T00:00:00", "--seed", "1"]), SETTINGS)
    assert naive.world.start == START


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
        return reply or (200, {}, {"accepted": n - 1, "duplicate": 0, "dead_lettered": 1,
                                   "dead_letter_reasons": {"future_time": 1}})

    stop = NoWait()
    sender = Sender("http://x", {"dvc": "t", "fax": "t", "none": None}, post=post, stop=stop, say=lambda _: None)
    sender.add("dvc", [b"{}"] * 1200)
    sender.add("fax", [b"{}"] * 3)
    sender.add("none", [b"{}"] * 2)
    sender.pump(force=True)
    assert [n for s, n in calls if s == "dvc"] == [500, 500, 500, 200]      # the first 500 twice (503)
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
