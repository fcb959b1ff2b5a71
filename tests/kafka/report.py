"""What the Kafka trials did, for the summary `make test-kafka` prints (and pytest's, for a subset).

A test adds its figures (records, restarts, seconds, what Kafka reported...) through the `trial`
fixture; each entry is kept in memory and, when $IOC_KAFKA_REPORT names a file (set by
`python -m tests.kafka`), appended to it as one JSON line, so the runner can print them beside
pytest's verdict of every test.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson

REPORT_ENV = "IOC_KAFKA_REPORT"


class Report:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, test: str, trial: str, **figures: Any) -> None:
        entry = {"test": test, "trial": trial, **figures}
        self.entries.append(entry)
        path = os.environ.get(REPORT_ENV)   # read now: `python -m tests.kafka` sets it after importing this
        if path:
            with Path(path).open("ab") as f:
                f.write(orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n")


REPORT = Report()


class Trial:
    """One test's figures: `trial.add(name, records=..., restarts=...)`; `trial.clock()` times a step."""

    def __init__(self, test: str) -> None:
        self.test = test
        self.started = time.monotonic()

    def add(self, trial: str, **figures: Any) -> None:
        REPORT.add(self.test, trial, **figures)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 1)


def render(entries: list[dict[str, Any]], outcomes: dict[str, tuple[str, float]] | None = None) -> str:
    """One block per test: its verdict and time (when known), then each trial's figures."""
    by_test: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_test.setdefault(e["test"], []).append(e)
    for test in outcomes or {}:
        by_test.setdefault(test, [])
    lines = []
    for test, trials in by_test.items():
        outcome, seconds = (outcomes or {}).get(test, ("", 0.0))
        head = f"{outcome.upper():<7} {test}" if outcome else test
        lines.append(head + (f"  ({seconds:.0f} s)" if seconds else ""))
        for t in trials:
            figures = ", ".join(f"{k} {_fmt(v)}" for k, v in t.items() if k not in ("test", "trial"))
            lines.append(f"    {t['trial']}: {figures}")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)
