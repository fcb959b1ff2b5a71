"""`make bench-history`: a pipeline that has lived through months or a year of a province, restarted.

For each history (simulated days x base stations; BENCH_HISTORY="30:10,120:10,365:10,30:2100" by
default) a fresh pipeline on the embedded broker is fed the whole period through its HTTP port (the
simulator's records, every source, arriving now with their past event times), as a province's systems
would back-fill it. Then, per history, one line each:

  history: restart after <D> simulated days (<N> records, <S> sites): ready <X> s, idle <Y> s, peak RSS
           <R> MiB, largest message <M> KiB, KPIs identical: yes|no
  (the full kpi_latest before a clean stop and after the start, live rows aside: they move with the clock)
  history: rebalance at <D> days: a second worker joins <X> s, one of two SIGKILLed <Y> s
  history: uptime <D> simulated days pushed live: RSS MiB at the start / middle / end: ...
  history: DuckDB <size> MiB for <D> days: <size per simulated year> per year

The build of the largest history is the uptime run: the RSS of every process is sampled while it is
sent (time compressed: a simulated day in seconds).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from tests.bench.common import log, wait_idle
from tests.bench.history_parts import (
    RssSampler,
    largest_messages,
    send_history,
    uptime_line,
)
from tests.harness import ROOT, Pipeline, group_members

HISTORIES = [tuple(int(x) for x in h.split(":")) for h in
             os.environ.get("BENCH_HISTORY", "30:10,120:10,365:10,30:2100").split(",")]
REBALANCE_AT = int(os.environ.get("BENCH_REBALANCE_DAYS", "120"))


def kpis(p: Pipeline) -> dict[tuple[str, str, str, str], tuple[object, object, object]]:
    return p.kpis(where="grain <> 'live'")


def restart(p: Pipeline, days: int, sites: int, records: int) -> str:
    before = kpis(p)
    largest = largest_messages(p)
    assert p.stop() == 0
    sampler = RssSampler()
    started = time.monotonic()
    p.start()
    ready = time.monotonic() - started
    sampler.watch(p)
    wait_idle(p)
    idle = time.monotonic() - started
    sampler.stop()
    same = kpis(p) == before
    return (
        f"history: restart after {days} simulated days ({records:,} records, {sites:,} sites): ready "
        f"{ready:.1f} s, idle {idle:.1f} s, peak RSS {sampler.peak_mib():,} MiB ({sampler.peaks_line()}), "
        f"largest message {max(largest.values()) / 1024:,.1f} KiB ("
        + ", ".join(f"{k} {v / 1024:,.1f}" for k, v in sorted(largest.items()))
        + f"), KPIs identical: {'yes' if same else 'no'} ({len(before):,} rows)"
    )


def rebalance(p: Pipeline, days: int) -> str:
    """A second worker joins the one `ioc run` started; then it is SIGKILLed and the first takes back."""
    argv = [
        sys.executable,
        "-m",
        "ioc.cli",
        "--config",
        str(p.config),
        "--bootstrap",
        p.status()["broker"]["address"],
        "worker",
    ]
    log_path = p.workdir / "var" / "logs" / "worker-extra.log"
    started = time.monotonic()
    with log_path.open("ab") as out:
        extra = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        while group_members(p) < 2:
            time.sleep(0.2)
        wait_idle(p)
        joined = time.monotonic() - started
        killed_at = time.monotonic()
        extra.send_signal(signal.SIGKILL)
        extra.wait()
        wait_idle(p)
        took_back = time.monotonic() - killed_at
    finally:
        if extra.poll() is None:
            extra.kill()
    return (
        f"history: rebalance at {days} days: a second worker joins {joined:.1f} s, "
        f"one of two SIGKILLed {took_back:.1f} s"
    )


def duckdb_line(p: Pipeline, days: int) -> str:
    files = [f for f in (p.workdir / "var").glob("ioc.duckdb*") if f.is_file()]
    size = sum(f.stat().st_size for f in files) / 2**20
    per_year = size * 365 / days
    return f"history: DuckDB {size:,.0f} MiB for {days} simulated days: {per_year:,.0f} MiB a simulated year"


def one(tmp: Path, days: int, sites: int, uptime: bool) -> list[str]:
    p = Pipeline(tmp / f"history-{days}d-{sites}s", late_after_days=None)
    p.start()
    lines: list[str] = []
    try:
        sampler = RssSampler()
        sampler.watch(p)
        started = time.monotonic()
        records = send_history(p, days, sites)
        wait_idle(p)
        sampler.stop()
        log(
            f"{days} days x {sites} sites: {records:,} records in and idle after "
            f"{time.monotonic() - started:.0f} s"
        )
        if uptime:
            lines.append(uptime_line(days, sampler))
        lines.append(duckdb_line(p, days))
        lines.append(restart(p, days, sites, records))
        if days == REBALANCE_AT:
            lines.append(rebalance(p, days))
    finally:
        p.stop()
    return lines


def main() -> None:
    started = time.perf_counter()
    out: list[str] = []
    biggest = max(HISTORIES, key=lambda h: h[0] * h[1])
    with tempfile.TemporaryDirectory(prefix="ioc-history-") as tmp:
        for days, sites in HISTORIES:
            for line in one(Path(tmp), days, sites, uptime=(days, sites) == biggest):
                log(line)
                out.append(line)
    print(
        f"\nmake bench-history ({', '.join(f'{d} days x {s} sites' for d, s in HISTORIES)}; "
        f"{os.cpu_count()} cores; {time.perf_counter() - started:.0f} s)"
    )
    print("\n".join(out))
    (Path(tempfile.gettempdir()) / "ioc-bench-history.json").write_bytes(orjson.dumps(out))


if __name__ == "__main__":
    main()
