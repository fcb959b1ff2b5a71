"""A real Apache Kafka 4.x cluster on loopback, for tests and `make kafka`.

Every node is a KRaft broker and controller at once (the quorum is all the nodes), with a
PLAINTEXT listener on 127.0.0.1 and, with `sasl=True`, a SASL_PLAINTEXT listener where
SCRAM-SHA-512 users are held to their ACLs (tests/kafka/security.py).

    with KafkaCluster(tmp_path / "kafka") as kafka:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, ...)

The jars come from Maven Central (tests/kafka/jars.py); each node's server.properties is rendered
from the deployment's templates (tests/kafka/properties.py) plus TEST_SETTINGS; node.py runs the
JVMs; `python -m tests.kafka.cli start|stop|status` (`make kafka`) drives a cluster from a shell.
Node ids run 1..nodes; `kill(i)`, `start_node(i)` and friends take a node id.
"""
from __future__ import annotations

import base64
import json
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.kafka import properties
from tests.kafka.jars import (
    ROOT,
    ClusterError,
    ensure_jars,
    jar_version,
    java,
    logged_version,
    pinned_version,
)
from tests.kafka.node import Node, free_ports, listening, port_free
from tests.kafka.security import ADMIN_USER, SCRAM, ScramAcls

DEFAULT_DIR = ROOT / "var" / "kafka-cluster"

# Where a loopback test cluster differs from the deployment (deploy/kafka/server.properties), and why.
TEST_SETTINGS = {
    # Tests join groups many times; the deployment's 3 s wait for more members would slow each join.
    "group.initial.rebalance.delay.ms": "0",
    # The log cleaner and retention act within seconds when a topic asks for it (segment.ms,
    # retention.ms, min.cleanable.dirty.ratio), instead of the defaults' minutes.
    "log.initial.task.delay.ms": "1000",
    "log.retention.check.interval.ms": "1000",
    "log.segment.delete.delay.ms": "1000",
    "log.cleaner.backoff.ms": "1000",
    # The default 128 MiB dedupe buffer is taken from the heap; 16 MiB holds ~500k keys per pass.
    "log.cleaner.dedupe.buffer.size": "16777216",
    # Fewer threads than the defaults (sized for a server): three nodes share 2 cores here.
    "num.network.threads": "2",
    "num.io.threads": "4",
    "background.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
    "num.replica.fetchers": "1",
}


class KafkaCluster(ScramAcls):
    """A KRaft cluster of `nodes` combined broker+controller JVMs under `workdir`.

    A workdir that already holds a cluster (cluster.json) is reused: same cluster id, data and,
    when still free, ports. `start()` formats the storage only the first time."""

    def __init__(self, workdir: Path, nodes: int = 3, *, sasl: bool = False, heap: str = "384m",
                 start_timeout: float = 300.0, properties: dict[str, str] | None = None,
                 tied_to_parent: bool = False) -> None:
        """`properties` are appended to every node's server.properties; `tied_to_parent` makes the
        kernel SIGKILL the JVMs if this process dies first (tests: no orphan brokers after a
        killed pytest; `make kafka` leaves it off so the cluster outlives the command)."""
        self.workdir = Path(workdir).resolve()
        self.tied_to_parent = tied_to_parent
        self.start_timeout = start_timeout
        self.heap = heap
        self.properties = dict(properties or {})
        self.state_file = self.workdir / "cluster.json"
        self._admin: Any = None
        self._version: str | None = None
        if self.state_file.exists():
            self._load_state()
        else:
            self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            self.sasl = sasl
            self.admin_password = secrets.token_hex(16)
            self.kafka_version = pinned_version()
            self.nodes = [Node(i, self.workdir / f"node-{i}", 0, 0) for i in range(1, nodes + 1)]
            self._assign_ports()

    # -- addresses -------------------------------------------------------------------------
    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    @property
    def sasl_bootstrap(self) -> str:
        if not self.sasl:
            raise ClusterError("this cluster runs without SASL (KafkaCluster(sasl=True))")
        return ",".join(f"127.0.0.1:{n.sasl_port}" for n in self.nodes)

    @property
    def version(self) -> str:
        """The Kafka version the brokers run: their own startup log line, else the jar's."""
        if self._version is None:
            self._version = next(filter(None, (logged_version(n.server_log) for n in self.nodes)), None)
        return self._version or jar_version(ensure_jars(self.kafka_version))

    @property
    def pids(self) -> dict[int, int | None]:
        return {n.id: n.pid if n.alive() else None for n in self.nodes}

    def rss(self) -> dict[int, int | None]:
        return {n.id: n.rss() for n in self.nodes}

    def node(self, node_id: int) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise ClusterError(f"no node {node_id} (ids are 1..{len(self.nodes)})")

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> KafkaCluster:
        """Fetch the jars, format on first use, start every node not running, wait until ready."""
        libs = ensure_jars(self.kafka_version)
        if not any(n.alive() for n in self.nodes) and not all(self._ports_free(n) for n in self.nodes):
            self._assign_ports()      # every node is down: the static quorum may move ports
        self._write_configs()
        if not all((n.dir / "data" / "meta.properties").exists() for n in self.nodes):
            self._format(libs)
        try:
            for node in self.nodes:
                if not node.alive():
                    node.spawn(libs, self.heap, self.tied_to_parent)
            self._save_state()
            self.wait_ready()
        except BaseException:
            self.stop(timeout=10)     # no half-started JVMs left behind
            raise
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every node at once (controlled shutdown while the quorum is still whole), then
        SIGKILL whatever is left after `timeout`."""
        self._close_admin()
        for node in self.nodes:
            node.signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            if not node.wait_exit(max(0.0, deadline - time.monotonic())):
                node.signal(signal.SIGKILL)
                node.wait_exit(10)
        self._save_state()

    def stop_node(self, node_id: int, timeout: float = 30.0) -> None:
        self._close_admin()
        node = self.node(node_id)
        node.signal(signal.SIGTERM)
        if not node.wait_exit(timeout):
            node.signal(signal.SIGKILL)
            node.wait_exit(10)

    def kill(self, node_id: int) -> None:
        """SIGKILL one node: no controlled shutdown, the controller fences it after
        broker.session.timeout.ms (9 s by default)."""
        self._close_admin()
        node = self.node(node_id)
        node.signal(signal.SIGKILL)
        node.wait_exit(10)

    def start_node(self, node_id: int, timeout: float | None = None) -> None:
        """Start one node again on its ports and log dir; return once it is an unfenced broker."""
        self._close_admin()
        node = self.node(node_id)
        if not node.alive():
            node.spawn(ensure_jars(self.kafka_version), self.heap, self.tied_to_parent)
            self._save_state()
        self._poll(lambda: node_id in self._brokers(), timeout or self.start_timeout,
                   f"node {node_id} did not rejoin as a broker")

    def rolling_restart(self, timeout: float = 300.0) -> None:
        """Each node in turn: clean stop, start, and no under-replicated partition before the next."""
        for node in self.nodes:
            self.stop_node(node.id)
            self.start_node(node.id, timeout)
            self.wait_in_sync(timeout)

    def __enter__(self) -> KafkaCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- health ----------------------------------------------------------------------------
    def wait_ready(self, timeout: float | None = None) -> None:
        """Until metadata lists every node as an unfenced broker and the quorum has a leader."""
        want = {n.id for n in self.nodes}
        def ready() -> bool:
            return self._brokers() == want and self._controller() >= 0 and self.quorum_leader() is not None
        self._poll(ready, timeout or self.start_timeout,
                   f"the cluster did not answer with {len(want)} brokers")

    def wait_in_sync(self, timeout: float = 300.0) -> None:
        self._poll(lambda: self.under_replicated() == 0, timeout, "partitions still under-replicated")

    def under_replicated(self) -> int:
        """Partitions (internal topics included) whose in-sync replicas are fewer than their
        replicas, or that have no leader."""
        count = 0
        for topic in self.admin().describe_topics():
            for p in topic["partitions"]:
                count += len(p["isr_nodes"]) < len(p["replica_nodes"]) or p["leader_id"] < 0
        return count

    def quorum_leader(self) -> int | None:
        quorum = self.admin().describe_metadata_quorum()
        leader = quorum["topics"][0]["partitions"][0]["leader_id"]
        return leader if leader >= 0 else None

    def describe(self) -> dict[str, Any]:
        """Unfenced and fenced brokers, the active controller (the KRaft quorum's leader: the
        "controller" of metadata answers is just some live broker in KRaft) and the cluster id."""
        cluster = self.admin().describe_cluster()
        return {"brokers": sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced")),
                "fenced": sorted(b["broker_id"] for b in cluster["brokers"] if b.get("is_fenced")),
                "active_controller": self.quorum_leader(), "cluster_id": cluster["cluster_id"]}

    def log_tails(self, lines: int = 30) -> str:
        return "\n".join(n.log_tail(lines) for n in self.nodes)

    # -- admin -----------------------------------------------------------------------------
    def admin(self) -> Any:
        """A kafka-python admin client on the PLAINTEXT listener (a superuser under SASL)."""
        if self._admin is None:
            from kafka.admin import KafkaAdminClient
            # Short timeouts: while nodes start, a failed try is cheaper than a 30 s default wait.
            self._admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="ioc-kafka-cluster",
                                           request_timeout_ms=10_000, bootstrap_timeout_ms=5_000)
        return self._admin

    def create_topic(self, name: str, partitions: int = 3, replication: int | None = None,
                     config: dict[str, str] | None = None) -> None:
        """Create a topic and wait until every partition has a leader."""
        spec = {"num_partitions": partitions, "replication_factor": replication or min(3, len(self.nodes)),
                "configs": config or {}}
        self._admin_call(lambda admin: admin.create_topics({name: spec}, wait_for_metadata=True))

    # -- internals -------------------------------------------------------------------------
    def _poll(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            dead = [n for n in self.nodes if n.crashed()]
            if dead:
                raise ClusterError(f"node {dead[0].id} exited ({dead[0].proc.returncode}) while "  # type: ignore[union-attr]
                                   f"waiting: {what}\n{dead[0].log_tail(60)}")
            try:
                if ready():
                    return
            except Exception as e:  # noqa: BLE001 - not ready yet, whatever the cause
                last = e
                self._close_admin()
            time.sleep(0.5)
        raise ClusterError(f"{what} within {timeout:.0f} s (last error: {last!r})\n{self.log_tails()}")

    def _brokers(self) -> set[int]:
        if not any(listening(n.port) for n in self.nodes):
            return set()   # no broker listener open yet: do not spend an admin client's timeout
        cluster = self.admin().describe_cluster()
        return {b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced")}

    def _controller(self) -> int:
        """The controller id metadata reports (in KRaft an alive broker, not the quorum leader)."""
        return int(self.admin().describe_cluster()["controller_id"])

    def _close_admin(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:  # noqa: BLE001 - closing a client of a stopped cluster
                pass
            self._admin = None


    def _assign_ports(self) -> None:
        ports = iter(free_ports(len(self.nodes) * (3 if self.sasl else 2)))
        for node in self.nodes:
            node.port, node.controller_port = next(ports), next(ports)
            node.sasl_port = next(ports) if self.sasl else None

    def _ports_free(self, node: Node) -> bool:
        return all(port_free(p) for p in (node.port, node.controller_port, node.sasl_port) if p)

    def _write_configs(self) -> None:
        voters = properties.voters(self.nodes)
        extra = {**TEST_SETTINGS, **self.properties}
        for node in self.nodes:
            (node.dir / "logs").mkdir(parents=True, exist_ok=True)
            node.config.write_text(properties.render(node, voters, sasl=self.sasl,
                                                     replication=min(3, len(self.nodes)), extra=extra))

    def _format(self, libs: Path) -> None:
        """kafka-storage format on every node at once (a JVM each, in parallel); a node formatted
        by an interrupted earlier run is skipped, not refused."""
        cmd = [java(), "-Xmx256m", "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format",
               f"--cluster-id={self.cluster_id}", "--ignore-formatted"]   # an id may start with "-"
        if self.sasl:  # the superuser's credential is in the metadata before any broker runs
            cmd += ["--add-scram", f"{SCRAM}=[name={ADMIN_USER},password={self.admin_password}]"]
        procs = [subprocess.Popen(cmd + ["--config", str(n.config)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for n in self.nodes]
        for node, proc in zip(self.nodes, procs):
            out, _ = proc.communicate(timeout=600)   # a JVM each: minutes on a crowded machine
            if proc.returncode != 0:
                raise ClusterError(f"storage format of node {node.id} failed:\n{out.decode()[-3000:]}")


    def _save_state(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        state = {"cluster_id": self.cluster_id, "kafka_version": self.kafka_version, "sasl": self.sasl,
                 "admin_user": ADMIN_USER, "admin_password": self.admin_password,
                 "bootstrap": self.bootstrap, "nodes": [n.state() for n in self.nodes]}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.chmod(0o600)   # it holds the SASL superuser's password
        tmp.replace(self.state_file)

    def _load_state(self) -> None:
        state = json.loads(self.state_file.read_text())
        self.cluster_id, self.sasl = state["cluster_id"], state["sasl"]
        self.admin_password, self.kafka_version = state["admin_password"], state["kafka_version"]
        self.nodes = [Node(dir=self.workdir / f"node-{n['id']}", **n) for n in state["nodes"]]

