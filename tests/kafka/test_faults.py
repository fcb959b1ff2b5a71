"""Faults while records flow, on Apache Kafka: nothing lost, nothing counted twice.

The fault machinery of tests/faults (the simulated workload of all four sources with bad copies and
re-deliveries, the paced feeder that retries 503 like a source system, `run_trial`'s judgement)
runs the whole pipeline (gateway, sink, three KPI workers, `ioc run`) on the session's three-broker
cluster, each trial in a namespace of its own. The reference is the undisturbed run of the same
workload on the embedded broker: the whole `kpi_latest` (every column but `updated_at`), the raw
archive, the dead letters and every record's accounting must come out the same.

- undisturbed       nothing happens: Kafka gives what the embedded broker gives
- broker_sigkill    the broker leading most partitions SIGKILLed mid-stream, started again while
                    records still flow; controller_sigkill: the same with the active KRaft controller
- rolling_restart   each broker in turn stopped and started while records flow
- worker_sigkill    one of the three KPI workers SIGKILLed mid-stream (the supervisor restarts it)
- worker_added      a fourth worker (`ioc worker`, as deploy/ adds them) joins mid-stream

Broker faults may make a pipeline process restart (a worker whose send failed exits and is rebuilt):
such restarts are reported, not refused; the KPIs must still equal the reference. Every trial uses
the quick workload (777 records in 91 batches; the feeder is slowed so that the rolling restart and
the added worker happen while records flow): `make test` runs the broker SIGKILL, `make test-kafka`
all of them.
"""
from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import LEDGER, Baselines, embedded_baselines
from tests.faults.driver import Feeder
from tests.faults.test_fault_kinds import Fault, kill_points, run_trial, sigkill_child
from tests.faults.workload import Workload
from tests.harness import Pipeline
from tests.kafka.cluster import KafkaCluster
from tests.kafka.pipeline import ExtraWorker, KafkaPipeline, namespace, wait_members
from tests.kafka.report import Trial

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(1800)]
FULL = [pytest.mark.kafka_full]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Baselines:
    return embedded_baselines(tmp_path_factory)


def on_kafka(cluster: KafkaCluster, label: str) -> Callable[[Path], Pipeline]:
    return lambda path: KafkaPipeline(path, cluster, namespace(label))


def leaders(cluster: KafkaCluster, prefix: str) -> Counter[int]:
    """Partition leaders per node over the installation's topics."""
    admin = cluster.admin()
    topics = [t for t in admin.list_topics() if t.startswith(prefix)]
    return Counter(p["leader_id"] for d in admin.describe_topics(topics) for p in d["partitions"])


def broker_sigkill(cluster: KafkaCluster, controller: bool = False
                   ) -> Callable[[Pipeline, Workload, random.Random], Fault]:
    """SIGKILL the node leading most of the installation's partitions (or, `controller`, the active
    KRaft controller) between 20 % and 50 % of the stream; start it again after another 20 % (in
    this thread: the JVM is tied to the thread that starts it)."""

    def fault(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
        assert isinstance(p, KafkaPipeline)
        feeder = Feeder(p, wl.batches, seed=rng.randrange(10**9)).start()
        point = kill_points(rng, wl, 1, 0.2, 0.5)[0]
        feeder.wait_for(point)
        leader = cluster.quorum_leader() if controller else None
        victim = leader or leaders(cluster, p.namespace).most_common(1)[0][0]
        cluster.kill(victim)
        killed_at = time.monotonic()
        feeder.wait_for(point + len(wl.batches) // 5)
        down_s = time.monotonic() - killed_at
        cluster.start_node(victim)
        cluster.wait_in_sync(timeout=300)
        answers = feeder.join()
        return Fault(answers, dict.fromkeys(_children(p)),
                     note=f"node {victim}{' (active controller)' if leader else ''} SIGKILLed after "
                          f"batch {point}, back after {down_s:.0f} s "
                          f"and {len(wl.batches) // 5} batches; answers {dict(answers.codes)}")
    return fault


def rolling_restart(cluster: KafkaCluster) -> Callable[[Pipeline, Workload, random.Random], Fault]:
    """Every node in turn stopped (SIGTERM: controlled shutdown) and started, waiting for full
    replication before the next, while the feeder sends the workload slowly enough to span it."""

    def fault(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
        feeder = Feeder(p, wl.batches, pace_s=1.0, seed=rng.randrange(10**9)).start()
        feeder.wait_for(len(wl.batches) // 10)
        began, before = time.monotonic(), feeder.done
        cluster.rolling_restart(timeout=300)
        took, during = time.monotonic() - began, feeder.done - before
        answers = feeder.join()
        assert during > 0, "no batch was answered while the brokers restarted"
        return Fault(answers, dict.fromkeys(_children(p)),
                     note=f"rolling restart of 3 nodes in {took:.0f} s, {during} batches answered "
                          f"meanwhile; answers {dict(answers.codes)}")
    return fault


def worker_added(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
    """A fourth worker starts after 20-40 % of the stream; the group must reach four members."""
    assert isinstance(p, KafkaPipeline)
    feeder = Feeder(p, wl.batches, pace_s=0.3, seed=rng.randrange(10**9)).start()
    point = kill_points(rng, wl, 1, 0.2, 0.4)[0]
    feeder.wait_for(point)
    extra = ExtraWorker(p).start()
    EXTRA[p.namespace] = extra
    joined_s = wait_members(p, 4)
    answers = feeder.join()
    assert extra.alive(), extra.log.read_text()[-3000:]
    return Fault(answers, {}, note=f"a fourth worker started after batch {point}, in the group after "
                                   f"{joined_s:.0f} s, {feeder.done - point} batches after it started")


EXTRA: dict[str, ExtraWorker] = {}


def _children(p: Pipeline) -> list[str]:
    status = p.status()
    return [status["sink"]["name"], *(w["name"] for w in status["workers"])]


def record(trial: Trial, entry: dict[str, Any], reference: Baselines, scale: str) -> None:
    base, _ = reference.get(scale)
    sent = {s: c["sent"] for s, c in entry["sources"].items()}
    trial.add(entry["kind"], records=sum(sent.values()), per_source=sent, kpi_rows=entry["kpi_rows"],
              embedded_kpi_rows=len(base.kpis), kpis_differ=entry["kpis_differ"],
              http=entry["codes"], restarts={k: v for k, v in entry["restarts"].items() if v},
              note=entry["note"], seconds=trial.seconds())


def test_quick_broker_sigkill(healthy: KafkaCluster, reference: Baselines, tmp_path: Path,
                              trial: Trial) -> None:
    """`make test`'s subset: the quick workload, one broker SIGKILLed and brought back."""
    entry = run_trial("broker_sigkill", "quick", 0, tmp_path, reference, LEDGER, broker_sigkill(healthy),
                      make=on_kafka(healthy, "quick-kill"))
    record(trial, entry, reference, "quick")


@pytest.mark.parametrize("scale", [pytest.param("quick", marks=FULL)])
def test_undisturbed(scale: str, kafka: KafkaCluster, reference: Baselines, tmp_path: Path,
                     trial: Trial) -> None:
    def nothing(p: Pipeline, wl: Workload, rng: random.Random) -> Fault:
        return Fault(Feeder(p, wl.batches, pace_s=0).run(), {})
    entry = run_trial("undisturbed", scale, 0, tmp_path, reference, LEDGER, nothing,
                      make=on_kafka(kafka, "undisturbed"))
    record(trial, entry, reference, scale)


@pytest.mark.parametrize("scale", [pytest.param("quick", marks=FULL)])
def test_controller_sigkill(scale: str, healthy: KafkaCluster, reference: Baselines, tmp_path: Path,
                        trial: Trial) -> None:
    entry = run_trial("controller_sigkill", scale, 0, tmp_path, reference, LEDGER,
                      broker_sigkill(healthy, controller=True), make=on_kafka(healthy, "kill"))
    record(trial, entry, reference, scale)


@pytest.mark.parametrize("scale", [pytest.param("quick", marks=FULL)])
def test_rolling_restart(scale: str, healthy: KafkaCluster, reference: Baselines, tmp_path: Path,
                         trial: Trial) -> None:
    entry = run_trial("rolling_restart", scale, 0, tmp_path, reference, LEDGER, rolling_restart(healthy),
                      make=on_kafka(healthy, "rolling"))
    record(trial, entry, reference, scale)


@pytest.mark.parametrize("scale", [pytest.param("quick", marks=FULL)])
def test_worker_sigkill(scale: str, kafka: KafkaCluster, reference: Baselines, tmp_path: Path,
                        trial: Trial) -> None:
    victim = random.Random().choice(["worker-0", "worker-1", "worker-2"])
    entry = run_trial("worker_sigkill", scale, 0, tmp_path, reference, LEDGER, sigkill_child(victim, scale),
                      make=on_kafka(kafka, "worker-kill"))
    record(trial, entry, reference, scale)


@pytest.mark.parametrize("scale", [pytest.param("quick", marks=FULL)])
def test_worker_added(scale: str, kafka: KafkaCluster, reference: Baselines, tmp_path: Path,
                      trial: Trial) -> None:
    try:
        entry = run_trial("worker_added", scale, 0, tmp_path, reference, LEDGER, worker_added,
                          make=on_kafka(kafka, "added"))
    finally:
        for extra in EXTRA.values():
            extra.stop()
        EXTRA.clear()
    record(trial, entry, reference, scale)
