"""`ioc simulate` looks like a mountain province: two simulated weeks of every source against the
rates and shares of the real systems, and the volumes behind the automatic speed.

Pure: no network, no pipeline.
"""
from __future__ import annotations

import argparse
import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

import pytest

from contract.timestamps import parse_ts
from ioc.simulate import add_arguments
from simulator.clock import DAY
from simulator.run import GENERATORS, generate, plan_from
from streams.kpis.dvc import outcome, slim
from tests.simulated import ALL, SETTINGS, START, UNITS, world


@pytest.fixture(scope="module")
def fortnight() -> dict[str, list[dict[str, Any]]]:
    """Two simulated weeks of every source (100 sites keep the counters small)."""
    return generate(world(sites=100), ALL, START + 14 * DAY)


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


def test_eoffice_documents_are_mostly_signed_and_electronic(
    fortnight: dict[str, list[dict[str, Any]]],
) -> None:
    docs = by_entity(fortnight["eoffice"], "doc_id")
    issued = [
        max(d, key=lambda r: parse_ts(r["event_time"]))
        for d in docs.values()
        if any(r["status"] == "issued" for r in d)
    ]
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
    assert set(per_site.values()) == {14 * 96 - 1}  # the last quarter is delivered after `until`
    starts = {datetime.fromisoformat(r["period_start"]) for r in pm}
    assert all(t.minute % 15 == 0 and t.second == 0 for t in starts)
    assert 0.99 <= statistics.mean(r["availability_pct"] for r in pm) / 100 < 1
    alarms = [r for r in recs if r["kind"] == "alarm"]
    states = Counter((r["alarm_id"], r["state"]) for r in alarms)
    assert set(states.values()) == {1}  # one raise and one clear per alarm id
    assert cut_off_communes(sites, alarms)


def cut_off_communes(sites: list[dict[str, Any]], alarms: list[dict[str, Any]]) -> set[str]:
    """Replay the alarms (contract 2.4): communes whose every site was out at one moment."""
    commune_of = {s["site_id"]: s["commune"] for s in sites}
    total = Counter(commune_of.values())
    out: dict[str, set[str]] = defaultdict(set)  # site -> alarm ids keeping it out
    cut: set[str] = set()
    for r in sorted(alarms, key=lambda r: (parse_ts(r["event_time"]), r["state"] == "raised")):
        if r["probable_cause"] in ("site_down", "cell_outage", "transmission_down") and r["severity"] in (
            "critical",
            "major",
        ):
            (out[r["site_id"]].add if r["state"] == "raised" else out[r["site_id"]].discard)(r["alarm_id"])
            down = Counter(commune_of[s] for s, ids in out.items() if ids)
            cut |= {c for c, n in down.items() if n == total[c]}
    return cut


def test_volumes_match_the_estimates_behind_the_automatic_speed(
    fortnight: dict[str, list[dict[str, Any]]],
) -> None:
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
