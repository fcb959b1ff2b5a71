"""One loopback Apache Kafka cluster (three KRaft nodes, with its SCRAM listener) for the whole session.

Every test that stops or kills a node brings it back and waits until every partition is in sync
before it ends, so the next test finds three healthy brokers. The JVMs die with the pytest process
(PR_SET_PDEATHSIG), so a killed run leaves no broker behind; nodes are therefore (re)started from
the main thread only (the signal follows the thread that started the JVM).
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest

from tests.kafka.cluster import KafkaCluster
from tests.kafka.report import REPORT, REPORT_ENV, Trial, render


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    """$IOC_KAFKA_DIR: the running cluster of that folder (`make kafka KAFKA_ARGS=--sasl`), left
    running afterwards; to iterate on a test without paying the cluster's start each time."""
    began = time.monotonic()
    reuse = os.environ.get("IOC_KAFKA_DIR")
    if reuse:
        cluster = KafkaCluster(Path(reuse))
        assert cluster.sasl, f"{reuse}: the tests need a cluster started with --sasl"
    else:
        cluster = KafkaCluster(tmp_path_factory.mktemp("kafka"), sasl=True, tied_to_parent=True)
    with cluster if not reuse else nullcontext(cluster.start()):
        REPORT.add("(session)", "cluster", kafka_version=cluster.version, nodes=len(cluster.nodes),
                   ready_s=round(time.monotonic() - began, 1),
                   rss_mib={i: r // 2**20 for i, r in cluster.rss().items() if r})
        yield cluster
        REPORT.add("(session)", "cluster at the end", under_replicated=cluster.under_replicated(),
                   rss_mib={i: r // 2**20 for i, r in cluster.rss().items() if r})


@pytest.fixture
def healthy(kafka: KafkaCluster) -> Iterator[KafkaCluster]:
    """The cluster with all nodes up and in sync before and after the test (a fault test's cleanup)."""
    kafka.wait_in_sync()
    yield kafka
    for node in kafka.nodes:
        if not node.alive():
            kafka.start_node(node.id)
    kafka.wait_in_sync(timeout=300)


@pytest.fixture
def trial(request: pytest.FixtureRequest) -> Trial:
    return Trial(request.node.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT.entries and not os.environ.get(REPORT_ENV):  # `python -m tests.kafka` prints its own
        terminalreporter.section("Apache Kafka trials")
        terminalreporter.write_line(render(REPORT.entries))
