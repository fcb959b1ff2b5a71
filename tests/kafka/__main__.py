"""`python -m tests.kafka` (what `make test-kafka` runs): every test on the loopback Apache Kafka
cluster (marker `kafka`: the cluster's own tests and the pipeline trials), then the summary: the Kafka
version the brokers ran, and per test its verdict, its time and each trial's figures (records,
restarts, HTTP answers, what Kafka reported). Extra arguments go to pytest. Exit status: pytest's.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.kafka.report import REPORT_ENV, render


class Outcomes:
    """pytest plugin: each test's verdict and duration (setup, call and teardown together)."""

    def __init__(self) -> None:
        self.results: dict[str, tuple[str, float]] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        outcome, seconds = self.results.get(report.nodeid, ("passed", 0.0))
        if report.failed:
            outcome = "failed"
        elif report.skipped and report.when in ("setup", "call"):
            outcome = "skipped"
        self.results[report.nodeid] = (outcome, seconds + report.duration)


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="ioc-kafka-") as folder:
        ledger = Path(folder) / "report.jsonl"
        os.environ[REPORT_ENV] = str(ledger)
        outcomes = Outcomes()
        started = time.monotonic()
        code = pytest.main(["-q", "-m", "kafka", "tests/kafka", *argv], plugins=[outcomes])
        entries = [orjson.loads(line) for line in ledger.read_bytes().splitlines()] if ledger.exists() else []
    minutes = (time.monotonic() - started) / 60
    version = next((e["kafka_version"] for e in entries if "kafka_version" in e), "?")
    passed = sum(1 for o, _ in outcomes.results.values() if o == "passed")
    print(f"\n=== make test-kafka: Apache Kafka {version}, three KRaft nodes on loopback; "
          f"{passed} of {len(outcomes.results)} tests passed in {minutes:.1f} min ===")
    print(render(entries, outcomes.results))
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
