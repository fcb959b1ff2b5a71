"""One measured window of a running pipeline (validated messages put on its raw topics, then
`ioc status --wait-idle`), and the same messages through a no-op Faust worker, its baseline."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from connectors.publisher import Outgoing
from contract.settings import Settings
from ioc.client import call
from tests.bench import raw
from tests.bench.common import cpu_line, cpu_snapshot, log, pipeline_pids, raw_only, wait_idle
from tests.bench.noop_faust import rss_kib
from tests.harness import ROOT, Pipeline


def noop_rate(
    tmp: Path, settings: Settings, messages: list[Outgoing], bootstrap: str, topic: str
) -> tuple[float, float]:
    """A fresh no-op Faust worker on its own topic (same partitions) is fed these messages the way the
    pipeline's raw topics are fed; (records/s from the first send to the last record it saw, its RSS
    in MiB at the end)."""
    raw.create_topic(bootstrap, topic, settings.partitions)
    out = tmp / f"{topic}.json"
    app_id = f"bench-noop-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        BENCH_NOOP_BOOTSTRAP=bootstrap,
        BENCH_NOOP_TOPIC=topic,
        BENCH_NOOP_PARTITIONS=str(settings.partitions),
        BENCH_NOOP_OUT=str(out),
        BENCH_NOOP_APP_ID=app_id,
        BENCH_NOOP_DATADIR=str(tmp / f"{app_id}-data"),
        BENCH_NOOP_FETCH_WAIT_MS=str(settings.fetch_max_wait_ms),
        BENCH_NOOP_BATCH_MAX=str(settings.batch_max),
        BENCH_NOOP_BATCH_WITHIN_S=str(settings.batch_within_s),
    )
    log_path = tmp / f"{topic}.log"
    with log_path.open("wb") as noop_log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.noop_faust"],
            cwd=ROOT,
            env=env,
            stdout=noop_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def state() -> dict[str, Any]:
        try:
            return orjson.loads(out.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return {"count": 0}

    def wait_count(n: int, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the no-op Faust worker exited; see {log_path}")
            s = state()
            if s["count"] >= n:
                return s
            time.sleep(0.05)
        raise RuntimeError(f"the no-op Faust worker saw {state()['count']} of {n} records; see {log_path}")

    try:
        log(f"no-op Faust worker on {topic}: joining, then one warm-up record")
        raw.publish(bootstrap, messages[:1], topic)
        wait_count(1, 120)
        log(f"no-op Faust worker on {topic}: {len(messages):,} records")
        t0 = raw.publish(bootstrap, messages, topic)
        final = wait_count(1 + len(messages), 900)
        return len(messages) / (final["last"] - t0), rss_kib(proc.pid) / 1024
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Window:
    """Records put on the raw topics at `t0`; the pipeline idle at `idle`; what the sink wrote."""

    n: int
    t0: float
    published: float
    idle: float
    cpu: str
    written: dict[str, int]
    samples: list[tuple[float, dict[str, int]]]

    @property
    def rate(self) -> float:
        return self.n / (self.idle - self.t0)


def kpi_window(p: Pipeline, messages: list[Outgoing], bootstrap: str) -> Window:
    """Put validated messages on their raw topics as fast as the broker takes them, then
    `ioc status --wait-idle`; the sink's counters are sampled every 0.1 s meanwhile."""
    pids = pipeline_pids(p)
    base = p.status()["sink_stats"]["written"]
    samples: list[tuple[float, dict[str, int]]] = []
    stop = threading.Event()

    def watch_sink() -> None:
        while not stop.is_set():
            code, stats = call(f"http://127.0.0.1:{p.query_port}/stats")
            if code == 200:
                samples.append((time.time(), {k: v - base.get(k, 0) for k, v in stats["written"].items()}))
            time.sleep(0.1)

    before = cpu_snapshot(pids)
    watcher = threading.Thread(target=watch_sink, daemon=True)
    watcher.start()
    t0 = raw.publish(bootstrap, messages)
    published = time.time()
    wait_idle(p)
    idle = time.time()
    stop.set()
    watcher.join(timeout=5)
    last = {k: v - base.get(k, 0) for k, v in p.status()["sink_stats"]["written"].items()}
    return Window(
        len(raw_only(messages)),
        t0,
        published,
        idle,
        cpu_line(before, cpu_snapshot(pids), idle - t0),
        {k: v for k, v in last.items() if v},
        samples,
    )
