"""`ioc replay`: recompute every KPI from the DuckDB archive, without the broker.

For when the KPI tables must be rebuilt from the durable record: new 766 rules or a corrected KPI
definition applied to past periods, raw topics whose retention has dropped old records on an
Apache Kafka cluster, or a check that the live numbers equal a recomputation (`--compare`).
DuckDB has one writer, so the pipeline must be stopped while it runs.
"""
from __future__ import annotations

import gc
import math
import sys
import time
from dataclasses import dataclass
from typing import Any

import duckdb

from contract.periods import LIVE
from contract.records import iso, kpi_key, now_utc, split_kpi_key
from ioc.config import Config
from sinks.archive import archived, open_exclusive
from sinks.drilldown import upsert_details
from sinks.store import Batch, parse_kpi, write
from streams.heap import settle
from streams.replay import Replay, ReplayResult

TOLERANCE = 1e-9


@dataclass
class Timings:
    read_fold_s: float = 0.0
    compute_s: float = 0.0
    write_s: float = 0.0
    early_details: int = 0   # drill-down rows written while folding (dossiers forgotten on the way)


def recompute(config: Config, con: duckdb.DuckDBPyConnection, timings: Timings, store: bool) -> ReplayResult:
    """Fold the archive; drill-down rows of dossiers the folds forget on the way are written as they
    go (with `store`), so memory holds what a worker holds, not every dossier's row."""
    settings = config.settings
    replay = Replay(settings.units, config.index766, settings.late_us)
    started = time.perf_counter()
    for source in config.topology.sources:
        for batch in archived(con, source, "record::VARCHAR, epoch_us(received_at)"):
            replay.fold(source, batch.column(0).to_pylist(), batch.column(1).to_pylist())
            settle()
            parting = replay.drain_parting(source)
            if store and parting:
                upsert_details(con, source, parting)
                timings.early_details += len(parting)
    timings.read_fold_s = time.perf_counter() - started
    started = time.perf_counter()
    now = now_utc()
    result = replay.finish(int(now.timestamp() * 1_000_000), iso(now))
    timings.compute_s = time.perf_counter() - started
    return result


def batch_of(result: ReplayResult, current: set[str]) -> Batch:
    """Every recomputed row; a KPI row the recomputation does not produce any more is retracted."""
    batch = Batch()
    batch.kpis = {key: parse_kpi(u.to_json()) for key, u in result.updates.items()}   # as the sink reads them
    batch.kpis.update(dict.fromkeys(current - set(result.updates)))
    batch.details = result.details
    batch.index766 = {(row["unit"], row["grain"], row["period"]): row for row in batch.kpis.values()
                      if row and "detail" in row}
    return batch


def differences(con: duckdb.DuckDBPyConnection, result: ReplayResult) -> list[str]:
    """KPI rows (live ones aside: they move with the clock) where kpi_current and the recomputation differ."""
    stored = {kpi_key(k, u, g, p): (v, n, d) for k, u, g, p, v, n, d in con.execute(
        "SELECT kpi, unit, grain, period, value, numerator, denominator FROM kpi_current").fetchall()}
    fresh = {key: (u.value, u.numerator, u.denominator) for key, u in result.updates.items()}
    out = []
    for key in sorted(set(stored) | set(fresh)):
        if split_kpi_key(key)[2] == LIVE:
            continue
        a, b = stored.get(key), fresh.get(key)
        if a is None or b is None or not all(_same(x, y) for x, y in zip(a, b)):
            out.append(f"{key}: stored {a}, recomputed {b}")
    return out


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def run_replay(config: Config, compare: bool) -> int:
    settings = config.settings
    con = open_exclusive(settings.duckdb_path, config.topology.sources, settings.units.timezone.key)
    try:
        timings = Timings()
        result = recompute(config, con, timings, store=not compare)
        folded = sum(result.records.values())
        print(f"folded {folded:,} archived records ("
              + ", ".join(f"{s} {n:,}" for s, n in result.records.items()) + ") in "
              f"{timings.read_fold_s:.1f} s; {len(result.updates):,} KPI rows in {timings.compute_s:.1f} s")
        if result.forgotten or result.kept:
            print("entities in memory at the end: " + ", ".join(f"{s} {n:,}" for s, n in result.kept.items())
                  + "; closed beyond the horizon and forgotten: "
                  + ", ".join(f"{s} {n:,}" for s, n in result.forgotten.items()))
        if sum(result.too_late.values()):
            print(f"skipped {sum(result.too_late.values()):,} records that arrived too late "
                  f"([kpi] late_after_days = {settings.late_after_days:g}; too_late dead letters)")
        if sum(result.errors.values()):
            print(
                f"skipped {sum(result.errors.values()):,} records the KPIs refuse "
                "(processing_error dead letters): "
                + ", ".join(f"{s} {n}" for s, n in result.errors.items() if n)
            )
        if compare:
            return _report_differences(differences(con, result))
        started = time.perf_counter()
        current = {
            kpi_key(k, u, g, p)
            for k, u, g, p in con.execute("SELECT kpi, unit, grain, period FROM kpi_current").fetchall()
        }
        batch = batch_of(result, current)
        write(con, batch)
        timings.write_s = time.perf_counter() - started
        retracted = sum(1 for v in batch.kpis.values() if v is None)
        print(
            f"wrote {len(result.updates):,} KPI rows ({retracted:,} retracted), "
            f"{sum(map(len, result.details.values())) + timings.early_details:,} drill-down rows "
            f"in {timings.write_s:.1f} s"
        )
        return 0
    finally:
        con.close()
        gc.unfreeze()  # let the interpreter's exit release what was frozen (DuckDB's bindings check)


def _report_differences(diffs: list[str]) -> int:
    if not diffs:
        print("kpi_current equals the recomputation from the archive (live KPIs aside)")
        return 0
    print(f"{len(diffs):,} KPI rows differ from the recomputation:", file=sys.stderr)
    for line in diffs[:20]:
        print(f"  {line}", file=sys.stderr)
    return 1
