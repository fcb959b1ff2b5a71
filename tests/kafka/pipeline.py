"""The whole pipeline (`ioc run`: gateway, sink, KPI workers) on the loopback Kafka cluster.

`KafkaPipeline` is tests/harness.py's `Pipeline` with `[broker] bootstrap_servers` pointing at the
cluster, an installation namespace of its own (so tests never see each other's topics and groups),
replication 3 and, by default, three KPI workers as deploy/ runs them. With a SCRAM `user` it talks
to the cluster's SASL listener as that user, the password in an environment variable of its own.
`ExtraWorker` is one more `ioc worker` outside the supervisor, as a deployment adds workers.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.harness import ROOT, Pipeline, run_async
from tests.kafka.cluster import KafkaCluster

PARTITIONS = 4     # as the embedded runs: the same records go to the same partitions
WORKERS = 3        # deploy/: three KPI workers
_serial = itertools.count(1)


def namespace(label: str) -> str:
    """A namespace no other test of this session uses (topics stay on the cluster between tests)."""
    return f"t{os.getpid() % 10000}-{next(_serial)}-{label}"[:40]


class KafkaPipeline(Pipeline):
    def __init__(self, workdir: Path, cluster: KafkaCluster, ns: str, *, workers: int = WORKERS,
                 province: str = "lai-chau", user: str | None = None, password: str | None = None,
                 extra_config: str = "") -> None:
        self.cluster, self.namespace, self.user = cluster, ns, user
        servers = (cluster.sasl_bootstrap if user else cluster.bootstrap).split(",")
        broker = f"[broker]\nbootstrap_servers = {servers!r}\n".replace("'", '"')
        password_env = f"IOC_KAFKA_PASSWORD_{ns.upper().replace('-', '_')}"
        if user:
            broker += ('security_protocol = "SASL_PLAINTEXT"\nsasl_mechanism = "SCRAM-SHA-512"\n'
                       f'sasl_username = "{user}"\nsasl_password_env = "{password_env}"\n')
        tables = (f'{broker}[kafka]\nnamespace = "{ns}"\n'
                  f"[topics]\npartitions = {PARTITIONS}\nreplication_factor = 3\n")
        super().__init__(workdir, tables + extra_config, workers=workers, province=province)
        if user:
            assert password is not None
            self.env[password_env] = password

    def start(self, timeout_s: float = 300) -> None:
        """As Pipeline.start, with room for three workers joining a group on a crowded machine."""
        super().start(timeout_s)

    def topic(self, name: str) -> str:
        """A contract name (`ioc.raw.dvc`) under this installation's namespace."""
        return f"{self.namespace}.{name}"

    @property
    def kpi_group(self) -> str:
        return self.topic("ioc-kpi")

    def group_members(self, group: str | None = None) -> int:
        """Members of a consumer group (default: the KPI workers'), asked over the admin listener."""
        return group_members(self.cluster, group or self.kpi_group)

    def worker_pids(self) -> dict[str, int]:
        status = self.status()
        return {w["name"]: w["pid"] for w in status["workers"] if w["alive"]}


def group_members(cluster: KafkaCluster, group: str) -> int:
    from aiokafka.admin import AIOKafkaAdminClient

    async def count() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap)
        await admin.start()
        try:
            described = await admin.describe_consumer_groups([group])
            return sum(len(g[5]) for response in described for g in response.groups if g[1] == group)
        finally:
            await admin.close()

    return run_async(count)


def wait_members(pipeline: KafkaPipeline, want: int, timeout_s: float = 180) -> float:
    """Seconds until the KPI group has `want` members."""
    began = time.monotonic()
    while (n := pipeline.group_members()) != want:
        assert time.monotonic() - began < timeout_s, f"{n} members in {pipeline.kpi_group}, want {want}"
        time.sleep(0.5)
    return time.monotonic() - began


class ExtraWorker:
    """`ioc worker` on the pipeline's configuration, in its own process group, as deploy/'s ioc-worker."""

    def __init__(self, pipeline: KafkaPipeline, name: str = "extra-worker") -> None:
        self.pipeline, self.log = pipeline, pipeline.workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ExtraWorker:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ioc.cli", "--config", str(self.pipeline.config), "worker"],
                stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                env={**os.environ, **self.pipeline.env})
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 60) -> int | None:
        """SIGTERM (a Faust worker leaves its group cleanly), SIGKILL after `timeout_s`."""
        if self.proc is None:
            return None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait()


def consumer_lag(pipeline: KafkaPipeline) -> dict[str, dict[str, int]]:
    """`ioc status --json`'s consumer lag per group and topic (the gateway's LagProbe)."""
    lag: dict[str, dict[str, int]] = pipeline.status()["consumer_lag"]
    return lag


async def _ends_and_committed(bootstrap: str, group: str, topics: list[str], partitions: int
                              ) -> tuple[dict[Any, int], dict[Any, int]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient
    tps = [TopicPartition(t, p) for t in topics for p in range(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await asyncio.gather(consumer.start(), admin.start())
    try:
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(group, partitions=tps)
        return ends, {tp: (committed[tp].offset if tp in committed else 0) for tp in tps}
    finally:
        await asyncio.gather(consumer.stop(), admin.close())


def ends_and_committed(cluster: KafkaCluster, group: str, topics: list[str]
                       ) -> tuple[dict[Any, int], dict[Any, int]]:
    """End offsets and a group's committed offsets of every partition, straight from the brokers."""
    return run_async(lambda: _ends_and_committed(cluster.bootstrap, group, topics, PARTITIONS))
