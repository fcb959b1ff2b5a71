"""Nothing lost, nothing counted twice: faults while records flow leave exactly the undisturbed KPIs.

Each trial starts a fresh pipeline (`ioc run`, embedded Tansu broker) on its own ports and state
folder, sends the workload (tests/faults/workload.py: simulated records of all four sources,
bad copies and re-deliveries included) in many small paced batches, and injects one fault kind:

- worker_sigkill          the KPI worker SIGKILLed at random points mid-stream (once or twice)
- sink_sigkill            the DuckDB sink SIGKILLed mid-stream, mid-batch (once or twice)
- broker_restart          the embedded broker SIGKILLed mid-stream: the pipeline answers 503 with
                          Retry-After until it has restarted the broker and republished; the
                          feeder retries like a source system
- stop_start_twice        SIGTERM to the process group and `ioc run` again on the same state,
                          twice, with records before, between and after
- two_workers_one_killed  `[workers] count = 2`; one is SIGKILLed and kept down (each restarted
                          process killed at once) until the other has reflected every record in
                          DuckDB, then allowed back

Then, after `ioc status --wait-idle`: the whole `kpi_latest` (every column but `updated_at`,
live rows included, relative tolerance 1e-9) equals the undisturbed run's; every source's records
are accounted (accepted + duplicate + dead-lettered = sent, in the HTTP answers and in
`ioc status --json`); the raw archive holds each accepted record once and exactly the records of
the undisturbed run; every dead letter is in DuckDB; the processes that were not hit never
restarted; the pipeline stops cleanly (exit 0).
"""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import Baselines, Ledger, per_source
from tests.faults.driver import (
    Answers,
    Feeder,
    add_status,
    broker_pid,
    children,
    kpi_differences,
    log_tail,
    outcome,
    status_accounted,
    wait_broker_replaced,
    wait_restarted,
)
from tests.faults.workload import SOURCES, Workload, workload
from tests.harness import Pipeline, group_members

pytestmark = pytest.mark.integration

BASE_SEED = os.environ.get("IOC_FAULTS_SEED") or str(random.SystemRandom().randrange(1, 10**9))


def trials(quick: int, full: int) -> list[Any]:
    return ([pytest.param("quick", i, id=f"quick-{i}") for i in range(quick)]
            + [pytest.param("full", i, id=f"full-{i}", marks=pytest.mark.faults) for i in range(full)])


class Fault:
    """What a fault function hands back: the answers, and the restarts each child should show."""

    def __init__(
        self,
        answers: Answers,
        restarts: dict[str, int | None],   # None: any number (reported, not checked)
        status_before: dict[str, Any] | None = None,
        note: str = "",
    ) -> None:
        self.answers, self.restarts, self.status_before, self.note = (
            answers,
            restarts,
            status_before or {},
            note,
        )


def run_trial(
    kind: str,
    scale: str,
    trial: int,
    tmp_path: Path,
    baselines: Baselines,
    ledger: Ledger,
    fault: Callable[[Pipeline, Workload, random.Random], Fault],
    workers: int | None = None,
    make: Callable[[Path], Pipeline] | None = None,
) -> dict[str, Any]:
    """One trial; its ledger entry. `make` builds the pipeline (default: embedded, `workers`)."""
    base, base_answers = baselines.get(scale)
    wl = workload(scale)
    seed = f"{BASE_SEED}:{kind}:{scale}:{trial}"
    rng = random.Random(seed)
    p = make(tmp_path) if make is not None else Pipeline(tmp_path, workers=workers)
    p.start()
    try:
        result = fault(p, wl, rng)
        p.wait_idle(timeout_s=600)
        out = outcome(p)
    except BaseException:
        print(f"seed {seed!r}\n{log_tail(p)}")
        p.kill()
        raise
    code = p.stop()
    answers = result.answers
    status_total: dict[str, dict[str, Any]] = {}
    add_status(status_total, result.status_before)
    add_status(status_total, out.status_sources)
    diffs = kpi_differences(base.kpis, out.kpis)
    entry = {
        "kind": kind,
        "scale": scale,
        "trial": trial,
        "seed": seed,
        "kpis_differ": bool(diffs),
        "kpi_rows": len(out.kpis),
        "sources": per_source(answers, out, status_total),
        "codes": {str(k): v for k, v in answers.codes.items()},
        "note": result.note,
        "restarts": {c["name"]: c["restarts"] for c in [out.sink, *out.workers]},
    }
    ledger.add(entry)
    context = f"seed {seed!r} ({result.note})"
    assert not diffs, f"{context}: final KPIs differ from the undisturbed run:\n" + "\n".join(diffs)
    problems = []
    for s in SOURCES:
        sent, accounted = answers.sent[s], answers.accounted(s)
        if not sent == wl.records(s) == accounted == status_accounted(status_total, s):
            problems.append(
                f"{s}: workload {wl.records(s)}, sent {sent}, accounted {accounted} in the answers, "
                f"{status_accounted(status_total, s)} in ioc status"
            )
        if not out.raw[s] == out.raw_distinct[s] == base.raw[s]:
            problems.append(
                f"{s}: raw_{s} holds {out.raw[s]} rows ({out.raw_distinct[s]} distinct), "
                f"the undisturbed run {base.raw[s]}"
            )
        if answers.accepted[s] + answers.duplicate[s] != base_answers.accepted[s] + base_answers.duplicate[s]:
            problems.append(
                f"{s}: accepted + duplicate {answers.accepted[s]} + {answers.duplicate[s]}, undisturbed "
                f"{base_answers.accepted[s]} + {base_answers.duplicate[s]}"
            )
        if out.dead_letters[s] != answers.dead_lettered[s]:
            problems.append(
                f"{s}: {out.dead_letters[s]} dead letters in DuckDB, {answers.dead_lettered[s]} "
                f"dead-lettered in the answers"
            )
        if answers.reasons.get(s, Counter()) != base_answers.reasons.get(s, Counter()):
            problems.append(
                f"{s}: dead-letter reasons {dict(answers.reasons.get(s, {}))}, undisturbed "
                f"{dict(base_answers.reasons.get(s, {}))}"
            )
    for child in [out.sink, *out.workers]:
        want = result.restarts.get(child["name"], 0)
        if not child["alive"] or (want is not None and child["restarts"] != want):
            problems.append(
                f"{child['name']}: alive {child['alive']}, restarts {child['restarts']} (expected {want})"
            )
    if answers.retry_after_missing:
        problems.append(f"{answers.retry_after_missing} answers 429/503 without Retry-After")
    if code != 0:
        problems.append(f"the pipeline stopped with exit code {code}")
    assert not problems, f"{context}:\n" + "\n".join(problems)
    return entry


def kill_points(rng: random.Random, wl: Workload, count: int, lo: float = 0.1, hi: float = 0.9) -> list[int]:
    n = len(wl.batches)
    return sorted(rng.sample(range(int(lo * n), int(hi * n)), count))


def sigkill_child(name: str, scale: str) -> Callable[[Pipeline, Workload, random.Random], Fault]:
    """SIGKILL `name` at random points while the batches flow: once (quick), once or twice (full)."""

    def fault(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
        feeder = Feeder(p, wl.batches, seed=rng.randrange(10**9)).start()
        points = kill_points(rng, wl, 1 if scale == "quick" else rng.choice([1, 2]))
        for point in points:
            feeder.wait_for(point)
            time.sleep(rng.uniform(0, 0.1))
            pid = children(p)[name]["pid"]
            os.kill(pid, signal.SIGKILL)
            wait_restarted(p, name, pid)
        return Fault(feeder.join(), {name: len(points)}, note=f"{name} SIGKILLed after batches {points}")

    return fault


@pytest.mark.parametrize(("scale", "trial"), trials(quick=2, full=20))
def test_worker_sigkill(scale: str, trial: int, tmp_path: Path, baselines: Baselines, ledger: Ledger) -> None:
    run_trial("worker_sigkill", scale, trial, tmp_path, baselines, ledger, sigkill_child("worker-0", scale))


@pytest.mark.parametrize(("scale", "trial"), trials(quick=1, full=4))
def test_sink_sigkill(scale: str, trial: int, tmp_path: Path, baselines: Baselines, ledger: Ledger) -> None:
    run_trial("sink_sigkill", scale, trial, tmp_path, baselines, ledger, sigkill_child("sink", scale))


def broker_restart(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
    feeder = Feeder(p, wl.batches, seed=rng.randrange(10**9)).start()
    points = kill_points(rng, wl, 1, 0.2, 0.6)
    for n, point in enumerate(points, start=1):
        feeder.wait_for(point)
        time.sleep(rng.uniform(0, 0.1))
        pid = broker_pid(p)
        os.kill(pid, signal.SIGKILL)
        wait_broker_replaced(p, pid)
        deadline = time.monotonic() + 300
        while p.log.read_text().count("broker restored") < n:
            assert time.monotonic() < deadline, "the broker was not restored within 300 s"
            time.sleep(0.2)
    answers = feeder.join()
    assert answers.codes[503] >= 1, f"no 503 while the broker was down: {answers.codes}"
    everyone = {name: len(points) for name in children(p)}  # the supervisor restarts every child
    return Fault(
        answers, everyone, note=f"broker SIGKILLed after batches {points}; answers {dict(answers.codes)}"
    )


@pytest.mark.parametrize(("scale", "trial"), trials(quick=1, full=3))
def test_broker_restart(scale: str, trial: int, tmp_path: Path, baselines: Baselines, ledger: Ledger) -> None:
    run_trial("broker_restart", scale, trial, tmp_path, baselines, ledger, broker_restart)


def stop_start_twice(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
    cuts = (rng.uniform(0.15, 0.45), rng.uniform(0.55, 0.85))
    answers, status_before = Answers(), {}
    for i, part in enumerate(wl.split(*cuts)):
        answers.merge(Feeder(p, part, pace_s=0.005, seed=rng.randrange(10**9)).run())
        if i < 2:
            add_status(status_before, p.status()["sources"])
            drained = p.log.read_text().count("drained: everything accepted is in DuckDB")
            assert p.stop() == 0
            log = p.log.read_text()
            assert log.count("drained: everything accepted is in DuckDB") == drained + 1, log[-2000:]
            p.start()
    return Fault(
        answers, {}, status_before, note=f"stopped after {cuts[0]:.0%} and {cuts[1]:.0%} of the batches"
    )


@pytest.mark.parametrize(("scale", "trial"), trials(quick=1, full=2))
def test_stop_start_twice(
    scale: str, trial: int, tmp_path: Path, baselines: Baselines, ledger: Ledger
) -> None:
    run_trial("stop_start_twice", scale, trial, tmp_path, baselines, ledger, stop_start_twice)


class KeepDown(threading.Thread):
    """SIGKILL every new process of one child as soon as the supervisor has restarted it."""

    def __init__(self, p: Pipeline, name: str) -> None:
        super().__init__(daemon=True)
        self.p, self.name, self.kills, self.release = p, name, 0, threading.Event()
        self.last_pid = 0
        self.error: BaseException | None = None

    def kill_once(self) -> None:
        pid = children(self.p)[self.name]["pid"]
        os.kill(pid, signal.SIGKILL)
        self.kills += 1
        self.last_pid = pid

    def run(self) -> None:
        try:
            while not self.release.is_set():
                child = children(self.p)[self.name]
                if child["alive"] and child["pid"] != self.last_pid:
                    os.kill(child["pid"], signal.SIGKILL)
                    self.kills += 1
                    self.last_pid = child["pid"]
                time.sleep(0.2)  # a restarted worker needs seconds before it could join the group
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.error = exc


def two_workers_one_killed(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
    victim = rng.choice(["worker-0", "worker-1"])
    survivor = "worker-1" if victim == "worker-0" else "worker-0"
    feeder = Feeder(p, wl.batches, seed=rng.randrange(10**9)).start()
    point = kill_points(rng, wl, 1, 0.1, 0.7)[0]
    feeder.wait_for(point)
    keep_down = KeepDown(p, victim)
    keep_down.kill_once()
    keep_down.start()
    answers = feeder.join()
    p.wait_idle(timeout_s=600)  # with the victim down all along: the survivor took every partition
    alone = children(p)
    keep_down.release.set()
    keep_down.join(30)
    assert keep_down.error is None, keep_down.error
    assert alone[survivor]["alive"] and alone[survivor]["restarts"] == 0, alone
    deadline = time.monotonic() + 180  # the victim back in the group before the final comparison
    while not (children(p)[victim]["alive"] and group_members(p) == 2):
        assert time.monotonic() < deadline, f"{victim} did not rejoin: {children(p)}"
        time.sleep(0.5)
    return Fault(
        answers,
        {victim: keep_down.kills},
        note=f"{victim} SIGKILLed after batch {point} and kept down ({keep_down.kills} kills) while "
        f"{survivor} finished alone",
    )


@pytest.mark.parametrize(("scale", "trial"), trials(quick=1, full=3))
def test_two_workers_one_killed(
    scale: str, trial: int, tmp_path: Path, baselines: Baselines, ledger: Ledger
) -> None:
    run_trial(
        "two_workers_one_killed", scale, trial, tmp_path, baselines, ledger, two_workers_one_killed, workers=2
    )
