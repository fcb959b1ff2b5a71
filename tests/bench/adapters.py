"""`make bench`, the adapters' figures (issue 14), each beside a baseline of the same run:

- a 15-minute measCollec file of the full network (2,100 sites at BENCH_SCALE=1, three cells each):
  read by the adapter alone (locked pull parse, aggregation, mapping) beside lxml's own parse of the same
  file (`etree.fromstring`), then posted, validated and published (`POST /ingest/meascollec`);
- VES alarms through `POST /eventListener/v7/eventBatch` (HTTP Basic, 500 events a batch) beside the same
  alarms as the contract's JSON through `POST /ingest/telecom` (500 records a request).
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from lxml import etree

from connectors.adapters.base import Meta
from connectors.adapters.configuration import load_adapters
from connectors.adapters.registry import ADAPTERS
from contract.settings import Settings
from ioc.client import call
from simulator.wire import meascollec_file, ves_event
from tests.bench.common import log, wait_idle
from tests.harness import Pipeline

VES_PASSWORD = "bench-ves-password"
CONFIG = (
    f'[adapters.telecom.operators.viettel]\nves_username = "ves-viettel"\nves_password = "{VES_PASSWORD}"\n'
)
BATCH = 500
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
Row = Callable[[str, str, str, str, float | None], None]


def network_file(sites: int, start: datetime) -> bytes:
    rng = random.Random(14)
    records = [
        {
            "kind": "pm",
            "site_id": f"BENCH{i:05d}",
            "period_start": start.isoformat(),
            "period_s": 900,
            "availability_pct": round(rng.uniform(90, 100), 3),
            "traffic_erl": round(rng.uniform(0, 9), 3),
            "data_mb": round(rng.uniform(0, 900), 3),
            "users": rng.randrange(60),
        }
        for i in range(sites)
    ]
    return meascollec_file(records, TZ)


def alarms(n: int, prefix: str, start: datetime) -> list[dict[str, Any]]:
    rng = random.Random(prefix)
    return [
        {
            "kind": "alarm",
            "alarm_id": f"{prefix}-{i}",
            "site_id": f"BENCH{i % 2100:05d}",
            "operator": "viettel",
            "probable_cause": rng.choice(("cell_outage", "mains_failure", "door_open")),
            "severity": rng.choice(("critical", "major", "minor")),
            "state": rng.choice(("raised", "cleared")),
            "event_time": (start + timedelta(seconds=i)).isoformat(),
        }
        for i in range(n)
    ]


def best_of(runs: int, f: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def adapters_phase(p: Pipeline, settings: Settings, scale: float, row: Row, notes: list[str]) -> None:
    sites = max(420, round(2100 * scale))
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    data = network_file(sites, start)
    ctx = load_adapters(settings, []).context
    meta = Meta("viettel", "A-bench.xml")
    log(f"meascollec: a 15-minute file of {sites:,} sites ({len(data) / 1e6:.1f} MB): adapter vs lxml parse")
    adapter_s = best_of(3, lambda: list(ADAPTERS["meascollec"].read(data, meta, ctx)))
    lxml_s = best_of(3, lambda: etree.fromstring(data))
    row(
        "meascollec: read + map a network file (no I/O)",
        f"{adapter_s * 1000:,.0f} ms",
        "lxml etree.fromstring, same file",
        f"{lxml_s * 1000:,.0f} ms",
        lxml_s / adapter_s,
    )
    token = p.token("meascollec")
    t = time.perf_counter()
    code, answer = call(f"{p.url}/ingest/meascollec?operator=viettel", "POST", data, token)
    post_s = time.perf_counter() - t
    assert code == 200 and answer["accepted"] == sites, answer
    row(
        "meascollec: + validate + publish (POST, HTTP)",
        f"{post_s * 1000:,.0f} ms",
        "lxml etree.fromstring, same file",
        f"{lxml_s * 1000:,.0f} ms",
        lxml_s / post_s,
    )
    notes.append(
        f"meascollec: {sites:,} sites x 3 cells x 5 counters, {len(data):,} bytes, one record a site; "
        f"{sites / post_s:,.0f} site records/s posted and published"
    )
    n = max(5_000, round(20_000 * scale))
    ves = alarms(n, "V", start)
    plain = alarms(n, "J", start)
    basic = {"Authorization": "Basic " + base64.b64encode(f"ves-viettel:{VES_PASSWORD}".encode()).decode()}
    log(f"VES: {n:,} fault events in batches of {BATCH} vs the same alarms as contract JSON")
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        body = orjson.dumps({"eventList": [ves_event(r, j) for j, r in enumerate(ves[i : i + BATCH])]})
        code, _ = call(f"{p.url}/eventListener/v7/eventBatch", "POST", body, headers=basic)
        assert code == 202, code
    ves_s = time.perf_counter() - t
    t = time.perf_counter()
    for i in range(0, n, BATCH):
        code, answer = p.ingest("telecom", plain[i : i + BATCH])
        assert code == 200 and answer["accepted"] == len(plain[i : i + BATCH]), answer
    json_s = time.perf_counter() - t
    row(
        "VES fault events -> alarms (eventBatch, HTTP)",
        f"{n / ves_s:,.0f} ev/s",
        "same alarms as contract JSON (HTTP)",
        f"{n / json_s:,.0f} rec/s",
        json_s / ves_s,
    )
    accepted = p.status()["adapters"]["ves"]["accepted"]
    assert accepted == n, accepted
    wait_idle(p)
    notes.append(
        f"VES: {n:,} events, {accepted:,} accepted; the JSON baseline is the same alarms under other ids"
    )
