"""`make bench`: each figure beside a raw baseline measured in the same run on the same broker.

A ratio holds on a noisy 2-core machine where absolute rates do not. `BENCH_SCALE` (default 1)
scales the record counts and the simulated period (`BENCH_SCALE=0.2 make bench` for a quick look);
`BENCH_SIM_HOURS` sets the simulated period alone; a first argument sets the number of dvc records
alone. At scale 1 the whole run takes six to seven minutes on the project's 2-core machine.

Phases (one pipeline for 1-3, a fresh one for 5-7, both on the embedded Tansu broker):
 1. ingest: `ioc ingest dvc FILE` (HTTP, validation, dedup, publish) vs the raw kafka-python
    producer, then until `ioc status --wait-idle`;
 2. KPI rate on a dvc backfill (a year of dossiers over every unit): validated records put on
    `ioc.raw.dvc` as fast as the broker takes them, until `ioc status --wait-idle`, vs a no-op Faust
    agent (tests/bench/noop_faust.py) fed the same records the same way; then a peer, Quix Streams
    (tests/bench/peer.py), computing two of those KPIs from the same records on the same broker;
 3. the DuckDB sink's archive rate in that window vs plain Arrow-batch INSERTs of the same rows;
 4. `ioc replay` of a simulated year from its DuckDB archive (built untimed as the pipeline builds
    it) vs reading and parsing that archive alone; then of a second year too, for the RSS;
 5. KPI rate on a simulated Lai Châu period (`ioc simulate --dump`, every source) vs the no-op agent;
 6. worker RSS after that period and after twice that period;
 7. latency ingest -> kpi_latest, per record, at a steady 10x Lai Châu's busiest simulated hour,
    vs a raw producer -> consumer round trip at the same rate;
 8. (after 2, on the same pipeline) the wire-format adapters: a measCollec file of the full network vs
    lxml's own parse of it, VES events vs the same alarms as contract JSON (tests/bench/adapters.py).

Phases 1-4 are here; a measured window and its no-op Faust baseline are in window.py, phases 5-7 in
simulated.py, the sizes, targets and the table in figures.py.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import orjson

from contract.settings import Settings, load_settings
from contract.topics import CONTRACT_NAMES as topics
from tests.bench import adapters as bench_adapters
from tests.bench import peer, raw
from tests.bench import replay as bench_replay
from tests.bench.common import (
    cpu_line,
    cpu_snapshot,
    distinct_kpi_rows,
    fold_rates,
    log,
    pipeline_pids,
    raw_only,
    validated,
    wait_idle,
)
from tests.bench.figures import REPLAY_DAYS, REPLAY_TARGET_S, SCALE, N, Results, kpi_rate_row, rate, row
from tests.bench.records import dossier_records
from tests.bench.simulated import simulated_phase
from tests.bench.window import kpi_window, noop_rate
from tests.harness import Pipeline


def ingest_phase(p: Pipeline, tmp: Path, res: Results, bootstrap: str) -> None:
    lines = [orjson.dumps(r) for r in dossier_records(N)]
    path = tmp / "dvc.ndjson"
    path.write_bytes(b"\n".join(lines))
    log(f"raw kafka-python producer, {N:,} records")
    baseline = raw.raw_producer_rate(bootstrap, lines)
    pids = pipeline_pids(p)
    before = cpu_snapshot(pids)
    log(f"ioc ingest dvc ({N:,} records over HTTP), then wait-idle")
    started = time.perf_counter()
    result = p.cli("ingest", "dvc", str(path))
    ingest_s = time.perf_counter() - started
    assert result.returncode == 0 and f"accepted       {N}" in result.stdout, result.stdout + result.stderr
    ingest_cpu = cpu_snapshot(pids)
    wait_idle(p)
    idle_s = time.perf_counter() - started
    row(
        res,
        "ioc ingest: validate + dedup + publish (HTTP)",
        rate(N / ingest_s),
        "raw kafka-python producer",
        rate(baseline),
        N / ingest_s / baseline,
    )
    row(
        res,
        "ingest -> KPIs + archive in DuckDB (idle)",
        rate(N / idle_s),
        "raw kafka-python producer",
        rate(baseline),
        N / idle_s / baseline,
    )
    res.notes.append(f"ingest: {cpu_line(before, ingest_cpu, ingest_s)}")


def kpi_phase(p: Pipeline, tmp: Path, settings: Settings, res: Results, bootstrap: str) -> float:
    """Backfill: a year of dvc records spread over every unit. Returns the no-op worker's RSS (MiB)."""
    messages = validated(settings, "dvc", [orjson.dumps(r) for r in dossier_records(N, seed=8)])
    assert len(raw_only(messages)) == N
    folds = fold_rates(settings, messages)
    floor = distinct_kpi_rows(settings, messages)
    noop, noop_rss = noop_rate(tmp, settings, messages, bootstrap, "bench.noop.dvc")
    log(f"KPI rate: {N:,} validated dvc records onto {topics.raw('dvc')}, then wait-idle")
    before = p.kpis("dvc")   # the peer's values are compared with what the backfill adds
    w = kpi_window(p, messages, bootstrap)
    kpi_rate_row(res, "KPI rate, every KPI on: dvc backfill (raw -> idle)", w.rate, noop)
    res.notes.append(
        f"dvc backfill ({N:,} records over a year, every unit): on the broker in {w.published - w.t0:.2f} s, "
        f"idle after {w.idle - w.t0:.1f} s; {w.written.get('kpi_updates', 0) / N:.1f} KPI updates "
        f"written per record (the records' distinct KPI rows, 766 index included: {floor / N:.1f} per "
        f"record, {floor:,}); {w.cpu}; the dvc fold alone (rebuild path, no Faust): "
        f"{folds['dvc']:,.0f} rec/s"
    )

    # the sink: the raw archive's pace in that window, beside plain Arrow INSERTs of the same rows
    done_at = next((t for t, written in w.samples if written.get("raw.dvc", 0) >= N), w.idle)
    sink_rate = N / (done_at - w.t0)
    log(f"raw DuckDB Arrow-batch INSERT of the same {N:,} archive rows")
    duck = raw.duckdb_insert_rate(
        tmp / "baseline.duckdb", "raw_dvc", raw.archive_rows(messages), settings.sink_batch_max
    )
    row(
        res,
        "DuckDB sink: raw archive rows (raw topic -> rows)",
        rate(sink_rate, "rows/s"),
        f"raw DuckDB Arrow INSERT, {settings.sink_batch_max:,}/batch",
        rate(duck, "rows/s"),
        sink_rate / duck,
    )
    total = sum(w.written.values())
    row(
        res,
        "DuckDB sink: every row written in that window",
        rate(total / (w.idle - w.t0), "rows/s"),
        "raw DuckDB Arrow INSERT (as above)",
        rate(duck, "rows/s"),
        total / (w.idle - w.t0) / duck,
    )
    res.notes.append(
        "the sink in that window wrote "
        + ", ".join(f"{k} {v:,}" for k, v in w.written.items())
        + f"; its raw archive was complete after {done_at - w.t0:.1f} s"
    )
    quix = peer.measure(p, tmp, settings, bootstrap, messages, before, w.rate, log)  # tests/bench/peer.py
    for figure in quix.rows:
        row(res, *figure)
    res.notes += quix.notes
    return noop_rss


def replay_phase(tmp: Path, res: Results) -> None:
    """`ioc replay` of a simulated year from its DuckDB archive, then of two years (tests/bench/replay.py)."""
    f = bench_replay.measure(tmp, REPLAY_DAYS, log)
    one, two = f.first, f.second
    rate_one, base_rate = one.records / one.seconds, one.records / f.baseline_s
    verdict = (
        f"  target < {REPLAY_TARGET_S:.0f} s: met"
        if one.seconds < REPLAY_TARGET_S
        else f"  target < {REPLAY_TARGET_S:.0f} s: MISSED by {one.seconds - REPLAY_TARGET_S:,.0f} s"
    )
    row(
        res,
        f"replay: {f.days} simulated days from DuckDB ({one.records:,} rec)",
        f"{one.seconds:,.1f} s",
        "read + parse that archive alone",
        f"{f.baseline_s:,.1f} s",
        rate_one / base_rate,
        verdict,
    )
    row(
        res,
        f"replay process RSS after {2 * f.days} days ({two.records:,} rec)",
        f"{two.rss_mib:,.0f} MiB",
        f"the same after {f.days} days",
        f"{one.rss_mib:,.0f} MiB",
        two.rss_mib / one.rss_mib,
    )
    res.notes.append(
        f"replay of {f.days} days: "
        + ", ".join(f"{s} {n:,}" for s, n in f.per_source.items())
        + f" ({bench_replay.YEAR_SITES} base stations); `ioc replay` said: "
        + one.output.replace("\n", "; ")
        + f"; {rate_one:,.0f} rec/s"
    )
    res.notes.append(
        f"replay of {2 * f.days} days in {two.seconds:,.1f} s: " + two.output.replace("\n", "; ")
    )


def main() -> None:
    started = time.perf_counter()
    res = Results()
    with tempfile.TemporaryDirectory(prefix="ioc-bench-") as tmp_name:
        tmp = Path(tmp_name)
        p = Pipeline(tmp / "pipeline", bench_adapters.CONFIG, late_after_days=None)
        p.start()
        try:
            wait_idle(p)  # the workers have joined their group and rebuilt (empty) state
            settings = load_settings(p.config)
            bootstrap = p.status()["broker"]["address"]
            ingest_phase(p, tmp, res, bootstrap)
            noop_rss = kpi_phase(p, tmp, settings, res, bootstrap)
            bench_adapters.adapters_phase(p, settings, SCALE, lambda *a: row(res, *a), res.notes)
        finally:
            p.stop()
        replay_phase(tmp, res)
        simulated_phase(tmp, res, noop_rss)
    print(
        f"\nmake bench ({N:,} dvc records per rate figure, BENCH_SCALE={SCALE:g}, embedded Tansu broker, "
        f"{os.cpu_count()} cores; {time.perf_counter() - started:.0f} s)"
    )
    print("\n".join(res.rows))
    print("measured alongside:")
    print("\n".join(f"  {note}" for note in res.notes))


if __name__ == "__main__":
    main()
