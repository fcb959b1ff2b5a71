"""A peer on the same work: the Quix Streams application of tests/bench/peer_quix.py on the pipeline's
own broker and raw dvc topic, over exactly the records of the dvc backfill, timed beside it.

The raw topic also holds the ingest phase's records (other dossiers), so the peer's consumer group is
given committed start offsets: in each partition, the first record of a backfill dossier. Its values
are compared with what the backfill added to `kpi_latest` (after minus before; both KPIs are additive
over disjoint dossier sets).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import quixstreams
from confluent_kafka import Consumer, TopicPartition

from connectors.publisher import Outgoing
from contract.settings import Settings
from contract.topics import CONTRACT_NAMES as topics
from tests.bench.common import cpu_line, cpu_snapshot, pipeline_pids, raw_only
from tests.bench.peer_quix import kpi_rows
from tests.harness import ROOT, Pipeline
from tests.kpi_checks import Key, close

KPIS = ("dvc.received", "dvc.on_time_rate")
OURS = "ioc pipeline, every KPI (above)"
GUARANTEES = ("at-least-once", "exactly-once")   # Quix's default, and the one that never counts twice
Rows = dict[Key, tuple[Any, Any, Any]]


@dataclass
class PeerResult:
    rows: list[tuple[str, str, str, str, float | None, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def start_offsets(bootstrap: str, topic: str, partitions: int, keys: set[bytes], timeout_s: float = 60) -> \
        dict[int, int]:
    """Per partition, the offset of its first record keyed by one of `keys` (read from offset 0)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-scan-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 10})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    found: dict[int, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < partitions and time.monotonic() < deadline:
            for m in consumer.consume(10_000, timeout=0.5):
                if m.error() is None and m.partition() not in found and m.key() in keys:
                    found[m.partition()] = m.offset()
    finally:
        consumer.close()
    if len(found) < partitions:
        missing = sorted(set(range(partitions)) - set(found))
        raise RuntimeError(f"no backfill record found in partitions {missing}")
    return found


def commit_offsets(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False)
    finally:
        consumer.close()


def run_app(env: dict[str, str], report: Path, log_path: Path, expect: int, timeout_s: float) -> \
        tuple[float, dict[str, Any]]:
    """Start the Quix application, wait for its final report; (wall-clock launch time, report)."""
    launched = time.time()
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tests.bench.peer_quix"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    got = orjson.loads(report.read_bytes()) if report.exists() else {}
    if proc.returncode != 0 or not got.get("complete"):
        tail = log_path.read_text(errors="replace").strip().splitlines()[-12:]
        seen = got.get("raw", 0)
        raise RuntimeError(
            f"exit {proc.returncode}, processed {seen:,} of {expect:,} records: " + " / ".join(tail)
        )
    return launched, got


def expected_rows(after: Rows, before: Rows) -> Rows:
    """What the backfill added to kpi_latest: month rows of the two KPIs, after minus before."""
    out: Rows = {}
    for key, (value, num, den) in after.items():
        if key[0] not in KPIS or key[2] != "month":
            continue
        b_value, b_num, b_den = before.get(key, (0, 0, 0))
        if key[0] == "dvc.received" and value - (b_value or 0):
            out[key] = (value - (b_value or 0), None, None)
        elif key[0] == "dvc.on_time_rate" and den - (b_den or 0):
            n, d = num - (b_num or 0), den - (b_den or 0)
            out[key] = (n / d, n, d)
    return out


def compare(peer: Rows, ours: Rows) -> tuple[int, int, list[str]]:
    """(rows equal, rows in either, the first differences)."""
    keys = sorted(set(peer) | set(ours))
    differ = [k for k in keys if k not in peer or k not in ours
              or not all(close(a, b) for a, b in zip(peer[k], ours[k]))]
    shown = [f"{k}: quix {peer.get(k)}, ioc {ours.get(k)}" for k in differ[:5]]
    return len(keys) - len(differ), len(keys), shown


def run_once(p: Pipeline, tmp: Path, settings: Settings, bootstrap: str, backfill: list[Outgoing],
             guarantee: str) -> tuple[float, dict[str, Any], str]:
    """One run of the application with its own consumer group (so its own internal topics and start
    offsets); (launch time, its report, the pipeline's CPU meanwhile)."""
    topic, group = topics.raw("dvc"), f"bench-quix-{uuid.uuid4().hex[:8]}"
    offsets = start_offsets(bootstrap, topic, settings.partitions, {m.key for m in backfill if m.key})
    commit_offsets(bootstrap, group, topic, offsets)
    report = tmp / f"{group}.json"
    env = dict(os.environ, BENCH_QUIX_BOOTSTRAP=bootstrap, BENCH_QUIX_TOPIC=topic,
               BENCH_QUIX_OUTPUT=f"bench.quix.dvc.kpi.{group}", BENCH_QUIX_GROUP=group,
               BENCH_QUIX_GUARANTEE=guarantee, BENCH_QUIX_STATE_DIR=str(tmp / f"{group}-state"),
               BENCH_QUIX_EXPECT=str(len(backfill)), BENCH_QUIX_CONFIG=str(p.config),
               BENCH_QUIX_FETCH_WAIT_MS=str(settings.fetch_max_wait_ms), BENCH_QUIX_REPORT=str(report))
    pids = pipeline_pids(p)
    cpu_before = cpu_snapshot(pids)
    launched, got = run_app(env, report, tmp / f"{group}.log", len(backfill), 900)
    return launched, got, cpu_line(cpu_before, cpu_snapshot(pids), got["committed"] - launched)


def measure(p: Pipeline, tmp: Path, settings: Settings, bootstrap: str, messages: list[Outgoing],
            before: Rows, ours_rate: float, log: Callable[[str], None]) -> PeerResult:
    """Run the peer over the backfill's records (already on the raw topic, the pipeline idle), once
    per processing guarantee."""
    res, version, n = PeerResult(), quixstreams.__version__, len(raw_only(messages))
    ours_text = f"{ours_rate:,.0f} rec/s"
    for guarantee in GUARANTEES:
        name = f"peer: Quix Streams {version}, {guarantee}"
        log(f"peer: Quix Streams {version} ({guarantee}) over the backfill's {n:,} records")
        try:
            launched, got, cpu = run_once(p, tmp, settings, bootstrap, raw_only(messages), guarantee)
            ours = expected_rows(p.kpis("dvc"), before)
        except Exception as exc:  # noqa: BLE001 - the bench goes on; the reason is printed in its place
            res.rows.append((name, "FAILED", OURS, ours_text, None, ""))
            res.notes.append(f"peer: Quix Streams {version} ({guarantee}) FAILED: {exc}")
            continue
        matched, total, problems = compare(kpi_rows(got["values"]), ours)
        whole, started = got["committed"] - launched, got["first"] - launched
        processed, steady = got["last"] - got["first"], n / (got["committed"] - got["first"])
        res.rows.append((name, f"{n / whole:,.0f} rec/s", OURS, ours_text, n / whole / ours_rate,
                         f"  {matched:,} of {total:,} values equal"))
        differ = "; differ: " + "; ".join(problems) if problems else ""
        res.notes.append(
            f"peer, {guarantee}: {n:,} records; its first record {started:.1f} s after launch (imports, "
            f"topics created, group joined), all processed {processed:.1f} s later, committed after "
            f"{whole:.1f} s: {steady:,.0f} rec/s after start-up (ratio {steady / ours_rate:.2f}); "
            f"{got['deltas_out']:,} deltas through its repartition topic; CPU s: quix {got['cpu_s']:.1f} "
            f"({got['cpu_first']:.1f} before its first record), pipeline {cpu}; {matched:,} of {total:,} "
            f"month values equal to what the backfill added to kpi_latest{differ}"
        )
    res.notes.insert(0, (
        f"peer: Quix Streams {version} computes dvc.received and dvc.on_time_rate per unit and month "
        "(RocksDB state, changelog topics, a repartition topic) from the backfill's records on the same "
        "broker; its rate counts from its launch (ratio = Quix / ours)"
    ))
    return res
