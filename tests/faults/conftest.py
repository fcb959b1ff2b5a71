"""Fault and property tests: a quick subset runs in `make test`, the whole set in `make test-faults`.

Every test here takes a `scale`: `quick` (collected by `make test`) or `full` (marked `faults`,
deselected by default through `-m "not faults"` in pyproject's addopts; `make test-faults` runs
`python -m tests.faults`, which selects them and prints the summary).

Every fault trial and generated-records run is written to the ledger: kind, trial, whether the
final KPIs differed from the undisturbed run, and per source the records sent and accounted.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.faults.driver import Outcome, outcome
from tests.faults.workload import SOURCES, workload
from tests.harness import Pipeline

SCALES = [pytest.param("quick", id="quick"), pytest.param("full", id="full", marks=pytest.mark.faults)]
SUMMARY_ENV = "IOC_FAULTS_SUMMARY"   # a file: one JSON line per trial (set by `python -m tests.faults`)


class Ledger:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        path = os.environ.get(SUMMARY_ENV)
        self.path = Path(path) if path else None

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        if self.path is not None:
            with self.path.open("ab") as f:
                f.write(orjson.dumps(entry) + b"\n")


LEDGER = Ledger()


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return LEDGER


class Baselines:
    """The undisturbed run of each workload, computed once per session when first needed (by default
    on the embedded broker; `make` builds another pipeline, e.g. on Apache Kafka)."""

    def __init__(self, root: Path, make: Callable[[Path], Pipeline] = Pipeline) -> None:
        self.root, self.make, self.cache = root, make, {}

    def get(self, size: str) -> tuple[Outcome, Any]:
        if size not in self.cache:
            from tests.faults.driver import Feeder
            wl = workload(size)
            p = self.make(self.root / f"baseline-{size}")
            p.start()
            try:
                answers = Feeder(p, wl.batches, pace_s=0).run()
                p.wait_idle(timeout_s=600)
                out = outcome(p)
            except BaseException:
                p.kill()
                raise
            assert p.stop() == 0
            assert answers.codes.keys() == {200}, answers.codes
            for s in SOURCES:
                assert answers.sent[s] == wl.records(s) == answers.accounted(s), s
                assert out.raw[s] == out.raw_distinct[s] == answers.accepted[s], s
                assert out.dead_letters[s] == answers.dead_lettered[s], s
            assert all(w["alive"] and w["restarts"] == 0 for w in out.workers), out.workers
            domains = {k[0].split(".")[0] for k in out.kpis}
            assert set(SOURCES) <= domains, domains
            assert any(k[2] == "live" for k in out.kpis)
            LEDGER.add({"kind": "undisturbed", "scale": size, "trial": 0, "kpis_differ": False,
                        "kpi_rows": len(out.kpis), "sources": per_source(answers, out),
                        "codes": {str(k): v for k, v in answers.codes.items()}})
            self.cache[size] = (out, answers)
        return self.cache[size]


def per_source(answers: Any, out: Outcome | None, status_total: dict[str, dict[str, Any]] | None = None
               ) -> dict[str, dict[str, int]]:
    """The ledger's accounting: sent, what the answers counted, and what `ioc status` counted."""
    table = {}
    for s in SOURCES:
        status = (status_total or (out.status_sources if out else {})).get(s, {})
        table[s] = {
            "sent": answers.sent[s],
            "accepted": answers.accepted[s],
            "duplicate": answers.duplicate[s],
            "dead_lettered": answers.dead_lettered[s],
            "status_accounted": sum(status.get(k, 0) for k in ("accepted", "duplicate", "dead_lettered")),
        }
    return table


_EMBEDDED: list[Baselines] = []


def embedded_baselines(tmp_path_factory: pytest.TempPathFactory) -> Baselines:
    """The embedded broker's baselines, shared by every suite of the session (tests/kafka compares
    its runs on Apache Kafka with them)."""
    if not _EMBEDDED:
        _EMBEDDED.append(Baselines(tmp_path_factory.mktemp("baselines")))
    return _EMBEDDED[0]


@pytest.fixture(scope="session")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baselines]:
    yield embedded_baselines(tmp_path_factory)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LEDGER.entries and LEDGER.path is None:
        from tests.faults.summary import render

        terminalreporter.section("fault trials")
        terminalreporter.write_line(render(LEDGER.entries))
