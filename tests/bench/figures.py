"""The bench's sizes, targets and its table: each figure beside its baseline and their ratio."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else max(5_000, int(30_000 * SCALE))
SIM_HOURS = float(os.environ.get("BENCH_SIM_HOURS") or max(1.0, round(6 * SCALE, 1)))   # doubled for RSS
LATENCY_SAMPLES = 300                        # >= 200 at every scale
KPI_TARGET = 0.50                            # KPI rate / no-op Faust rate, from the issue
P99_TARGET_S = 1.0
REPLAY_TARGET_S = 120.0                      # a simulated year replayed from DuckDB
REPLAY_DAYS = max(7, round(365 * SCALE))     # days a period of the replay phase


@dataclass
class Results:
    rows: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def row(
    res: Results, name: str, value: str, base_name: str, base: str, ratio: float | None, verdict: str = ""
) -> None:
    ratio_text = f"ratio {ratio:5.2f}" if ratio is not None else ""
    res.rows.append(f"  {name:<54} {value:>17} | {base_name:<40} {base:>17} | {ratio_text}{verdict}")


def rate(v: float, unit: str = "rec/s") -> str:
    return f"{v:,.0f} {unit}"


def kpi_verdict(ratio: float, noop_rate: float, kpi_rate: float) -> str:
    if ratio >= KPI_TARGET:
        return f"  target >= {KPI_TARGET:.2f}: met"
    return (
        f"  target >= {KPI_TARGET:.2f}: MISSED by {KPI_TARGET - ratio:.2f} "
        f"({KPI_TARGET * noop_rate - kpi_rate:,.0f} rec/s short)"
    )


def kpi_rate_row(res: Results, name: str, kpi_rate: float, noop_rate: float) -> None:
    """The pipeline's KPI rate beside the no-op Faust agent's on the same records, with the target."""
    ratio = kpi_rate / noop_rate
    row(res, name, rate(kpi_rate), "no-op Faust agent, same records", rate(noop_rate), ratio,
        kpi_verdict(ratio, noop_rate, kpi_rate))
