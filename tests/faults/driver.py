"""Feeding a pipeline like a source system, finding its processes, and judging a run.

`Feeder` sends batches over HTTP in a background thread, paced so that a fault lands while
records flow, and retries 429/503 after the server's `Retry-After` (and a refused connection) the
way a source system does. It counts, per source, the records of every request answered 200
("sent") and what the answers said (accepted, duplicate, dead-lettered).

`Outcome` is what a run left behind: the whole `kpi_latest` (without `updated_at`), the rows of
every raw table and dead letters per source, and the accounting of `ioc status --json`.
"""
from __future__ import annotations

import random
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ioc.client import PipelineUnavailable
from simulator.sender import post_ndjson
from tests.faults.workload import SOURCES, Batch
from tests.harness import Pipeline
from tests.kpi_checks import close

KPI_COLUMNS = "kpi, unit, unit_level, grain, period, value, numerator, denominator"
Key = tuple[str, str, str, str]
Row = tuple[Any, Any, Any, Any]   # unit_level, value, numerator, denominator


@dataclass
class Answers:
    """Per source: records in requests answered 200, and what those answers counted."""
    sent: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    duplicate: Counter[str] = field(default_factory=Counter)
    dead_lettered: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(default_factory=dict)
    codes: Counter[int] = field(default_factory=Counter)          # every HTTP answer, retries included
    retry_after_missing: int = 0                                 # 429/503 answers without Retry-After
    refused: int = 0                                             # connection refused / reset (then retried)

    def add(self, source: str, lines: int, answer: dict[str, Any]) -> None:
        self.sent[source] += lines
        self.accepted[source] += answer["accepted"]
        self.duplicate[source] += answer["duplicate"]
        self.dead_lettered[source] += answer["dead_lettered"]
        self.reasons.setdefault(source, Counter()).update(answer["dead_letter_reasons"])

    def accounted(self, source: str) -> int:
        return self.accepted[source] + self.duplicate[source] + self.dead_lettered[source]

    def merge(self, other: Answers) -> None:
        for name in ("sent", "accepted", "duplicate", "dead_lettered", "codes"):
            getattr(self, name).update(getattr(other, name))
        for source, reasons in other.reasons.items():
            self.reasons.setdefault(source, Counter()).update(reasons)
        self.retry_after_missing += other.retry_after_missing
        self.refused += other.refused


def post(url: str, body: bytes, token: str | None, timeout: float = 180) -> tuple[int, dict[str, str], Any]:
    """The simulator's POST of an NDJSON body, (status, headers, answer) for every HTTP answer; a refused
    or broken connection raises PipelineUnavailable."""
    try:
        return post_ndjson(url, body, token, timeout)
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise PipelineUnavailable(str(exc)) from exc


class Feeder:
    """Sends batches in order, one request at a time, retrying like a source system."""

    def __init__(self, pipeline: Pipeline, batches: Iterable[Batch], *, pace_s: float = 0.03,
                 seed: int = 0, give_up_s: float = 300) -> None:
        self.pipeline, self.batches = pipeline, list(batches)
        self.pace_s, self.give_up_s = pace_s, give_up_s
        self.rng = random.Random(seed)
        self.tokens = {s: pipeline.token(s) for s in SOURCES}
        self.answers = Answers()
        self.done = 0                       # batches answered 200 so far
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def run(self) -> Answers:
        for batch in self.batches:
            self._send(batch)
            self.done += 1
            if self.pace_s:
                time.sleep(self.rng.uniform(0, 2 * self.pace_s))
        return self.answers

    def _send(self, batch: Batch) -> None:
        url = f"{self.pipeline.url}/ingest/{batch.source}"
        deadline = time.monotonic() + self.give_up_s
        while True:
            try:
                code, headers, answer = post(url, batch.body, self.tokens[batch.source])
            except PipelineUnavailable:
                self.answers.refused += 1
                code, headers, answer = 0, {}, None
            self.answers.codes[code] += 1
            if code == 200:
                self.answers.add(batch.source, len(batch.lines), answer)
                return
            if code not in (0, 429, 503):
                raise AssertionError(f"{batch.source}: HTTP {code}: {answer}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{batch.source}: still HTTP {code} after {self.give_up_s} s: {answer}")
            retry_after = headers.get("Retry-After")
            if code and retry_after is None:
                self.answers.retry_after_missing += 1
            time.sleep(min(float(retry_after or 1), 5.0))

    # -- in the background, so that faults can land mid-stream ------------------------------
    def start(self) -> Feeder:
        def target() -> None:
            try:
                self.run()
            except BaseException as exc:  # noqa: BLE001 - reported by join()
                self.error = exc
        self._thread = threading.Thread(target=target, name="feeder", daemon=True)
        self._thread.start()
        return self

    def wait_for(self, batches_done: int, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while self.done < batches_done and self.alive():
            if time.monotonic() > deadline:
                raise AssertionError(f"feeder stuck at batch {self.done} of {len(self.batches)}")
            time.sleep(0.005)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout_s: float = 900) -> Answers:
        assert self._thread is not None
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise AssertionError(f"feeder did not finish within {timeout_s} s (at batch {self.done})")
        if self.error is not None:
            raise self.error
        return self.answers


# -- processes ------------------------------------------------------------------------------------

def children(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    """name -> {pid, alive, restarts} of the sink and every worker, from `ioc status --json`."""
    status = pipeline.status()
    return {c["name"]: c for c in [status["sink"], *status["workers"]]}


def broker_pid(pipeline: Pipeline) -> int:
    assert pipeline.proc is not None
    lines = [p for p in pipeline.group_processes(pipeline.proc.pid) if "tansu" in p]
    assert len(lines) == 1, lines
    return int(lines[0].split()[0])


def wait_restarted(pipeline: Pipeline, name: str, old_pid: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            child = children(pipeline).get(name)
        except PipelineUnavailable:
            child = None
        if child and child["alive"] and child["pid"] != old_pid:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} (was pid {old_pid}) was not restarted within {timeout_s} s")


def wait_broker_replaced(pipeline: Pipeline, old_pid: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if broker_pid(pipeline) != old_pid:
                return
        except AssertionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the broker (was pid {old_pid}) was not restarted within {timeout_s} s")


def wait_idle_unbroken(pipeline: Pipeline, timeout_s: float = 1800) -> None:
    """`ioc status --wait-idle`, failing at once if the sink or a worker dies meanwhile."""
    from ioc.client import call
    code, answer = call(f"{pipeline.url}/barrier", "POST", b"{}")
    assert code == 200, answer
    barrier, deadline = answer["barrier"], time.monotonic() + timeout_s
    while True:
        dead = {n: c for n, c in children(pipeline).items() if c["restarts"] or not c["alive"]}
        assert not dead, f"died while records were processed: {dead}\n{log_tail(pipeline, 2000)}"
        code, answer = call(f"{pipeline.url}/barrier/{barrier}")
        if code == 200 and answer.get("complete"):
            return
        assert time.monotonic() < deadline, \
            f"DuckDB did not reflect every accepted record within {timeout_s} s"
        time.sleep(0.5)


# -- what a run left behind -----------------------------------------------------------------------


@dataclass
class Outcome:
    kpis: dict[Key, Row]
    raw: dict[str, int]  # rows of raw_<source>
    raw_distinct: dict[str, int]  # distinct ids of raw_<source>
    dead_letters: dict[str, int]  # rows of dead_letters per source
    dead_letter_reasons: dict[str, Counter[str]]
    status_sources: dict[str, dict[str, Any]]
    workers: list[dict[str, Any]]
    sink: dict[str, Any]


def outcome(pipeline: Pipeline) -> Outcome:
    rows = pipeline.sql(f"SELECT {KPI_COLUMNS} FROM kpi_latest")
    kpis = {
        (r["kpi"], r["unit"], r["grain"], r["period"]): (
            r["unit_level"],
            r["value"],
            r["numerator"],
            r["denominator"],
        )
        for r in rows
    }
    assert len(kpis) == len(rows), "kpi_latest has two rows for one (kpi, unit, grain, period)"
    raw, distinct = {}, {}
    for s in SOURCES:
        r = pipeline.sql(f"SELECT count(*) AS n, count(DISTINCT id) AS d FROM raw_{s}")[0]
        raw[s], distinct[s] = r["n"], r["d"]
    dead: dict[str, int] = Counter()
    reasons: dict[str, Counter[str]] = {s: Counter() for s in SOURCES}
    for r in pipeline.sql("SELECT source, reason, count(*) AS n FROM dead_letters GROUP BY source, reason"):
        dead[r["source"]] += r["n"]
        reasons.setdefault(r["source"], Counter())[r["reason"]] += r["n"]
    status = pipeline.status()
    return Outcome(
        kpis,
        raw,
        distinct,
        {s: dead.get(s, 0) for s in SOURCES},
        reasons,
        status["sources"],
        status["workers"],
        status["sink"],
    )


def kpi_differences(expected: dict[Key, Row], actual: dict[Key, Row], limit: int = 25) -> list[str]:
    """Every (kpi, unit, grain, period) missing, extra or with another value (rel. tolerance 1e-9)."""
    out = [f"missing {k}: expected {expected[k]}" for k in sorted(expected.keys() - actual.keys())]
    out += [f"extra {k}: {actual[k]}" for k in sorted(actual.keys() - expected.keys())]
    out += [
        f"{k}: expected {expected[k]}, got {actual[k]}"
        for k in sorted(expected.keys() & actual.keys())
        if not all(close(a, b) for a, b in zip(expected[k], actual[k]))
    ]
    return out[:limit] + ([f"... {len(out) - limit} more"] if len(out) > limit else [])


def status_accounted(status_sources: dict[str, dict[str, Any]], source: str) -> int:
    s = status_sources[source]
    return s["accepted"] + s["duplicate"] + s["dead_lettered"]


def add_status(total: dict[str, dict[str, Any]], status_sources: dict[str, dict[str, Any]]) -> None:
    """Sum the since-start counters of consecutive runs of one pipeline (stop/start resets them)."""
    for source, counts in status_sources.items():
        t = total.setdefault(source, {"accepted": 0, "duplicate": 0, "dead_lettered": 0})
        for k in t:
            t[k] += counts[k]


def log_tail(pipeline: Pipeline, chars: int = 3000) -> str:
    parts = [f"--- run.log\n{pipeline.log.read_text(errors='replace')[-chars:]}"]
    for path in sorted((pipeline.workdir / "var" / "logs").glob("*.log")):
        parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}")
    return "\n".join(parts)
