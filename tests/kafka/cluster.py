"""A real Apache Kafka 4.x cluster on loopback, for tests and `make kafka`.

Every node is a KRaft broker and controller at once (the quorum is all the nodes), with a
PLAINTEXT listener on 127.0.0.1 and, with `sasl=True`, a SASL_PLAINTEXT listener where
SCRAM-SHA-512 users are held to their ACLs.

    with KafkaCluster(tmp_path / "kafka") as kafka:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, ...)

    python -m tests.kafka.cluster start|stop|status [--dir DIR]      # default DIR var/kafka-cluster

The jars come from Maven Central through deploy/kafka/pom.xml, once, into
var/kafka/<version>/libs ($IOC_KAFKA_CACHE/<version>/libs when set); the broker settings from
deploy/kafka/server.properties (and sasl.properties). Node ids run 1..nodes; `kill(i)`,
`start_node(i)` and friends take a node id.

Environment: IOC_KAFKA_CACHE (jar cache root), IOC_KAFKA_VERSION (another Kafka than the POM's,
e.g. to try an upgrade), IOC_KAFKA_JVM_OPTS (extra JVM flags, last on the command line), JAVA_HOME.
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "kafka"
POM = DEPLOY / "pom.xml"
DEFAULT_DIR = ROOT / "var" / "kafka-cluster"
ADMIN_USER = "admin"
SCRAM = "SCRAM-SHA-512"

# Kafka's own launcher flags (kafka-run-class.sh) minus the GC log; ExitOnOutOfMemoryError so a
# starved test node dies loudly instead of limping. TieredStopAtLevel=1 (C1 only): three JVMs
# starting on 2 cores are ready in ~10 s instead of ~20 s; steady throughput is lower, which tests
# do not need. $IOC_KAFKA_JVM_OPTS comes last, so "-XX:TieredStopAtLevel=4" brings C2 back.
JVM_FLAGS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
             "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError",
             "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]

T = TypeVar("T")


class ClusterError(RuntimeError):
    """The cluster (or one node) did not do what was asked; the message carries the log tail."""


# ---------------------------------------------------------------------------------------- jars

def pinned_version() -> str:
    """The Kafka version of deploy/kafka/pom.xml, or $IOC_KAFKA_VERSION to try another one."""
    if os.environ.get("IOC_KAFKA_VERSION"):
        return os.environ["IOC_KAFKA_VERSION"]
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:kafka.version", ns)
    version = (node.text or "").strip() if node is not None else ""
    if not version:
        raise ClusterError(f"{POM} has no <kafka.version> property")
    return version


def cache_root() -> Path:
    return Path(os.environ.get("IOC_KAFKA_CACHE") or ROOT / "var" / "kafka")


def ensure_jars(version: str | None = None) -> Path:
    """The folder of the broker's jars, fetched through Maven the first time only (a stamp file
    says the copy finished; a lock keeps two test processes from fetching at once)."""
    version = version or pinned_version()
    libs = cache_root() / version / "libs"
    stamp = libs / ".complete"
    if stamp.exists():
        return libs
    libs.mkdir(parents=True, exist_ok=True)
    with open(libs.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            _maven_copy(version, libs)
            stamp.write_text("\n".join(sorted(p.name for p in libs.glob("*.jar"))) + "\n")
    return libs


def _maven_copy(version: str, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ClusterError("Maven (mvn) is not installed: apt-get install maven")
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
           f"-DoutputDirectory={libs}", f"-Dkafka.version={version}"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not list(libs.glob("kafka_2.13-*.jar")):
        raise ClusterError(f"{' '.join(cmd)} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}{done.stderr[-3000:]}")


def jar_version(libs: Path) -> str:
    """The version kafka-clients says it is (what the broker logs as "Kafka version")."""
    jar = next(libs.glob("kafka-clients-*.jar"))
    with zipfile.ZipFile(jar) as z:
        text = z.read("kafka/kafka-version.properties").decode()
    return re.search(r"^version=(\S+)", text, re.M).group(1)  # type: ignore[union-attr]


def logged_version(server_log: Path) -> str | None:
    """The last "Kafka version: X" a broker logged at start (the file rolls over at 20 MB)."""
    try:
        found = re.findall(rb"Kafka version: (\S+)", server_log.read_bytes())
    except OSError:
        return None
    return found[-1].decode() if found else None


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    exe = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not exe:
        raise ClusterError("no java on PATH (Kafka 4 brokers need Java 17 or newer)")
    return exe


# --------------------------------------------------------------------------------------- nodes

def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports (all sockets held open until every port is chosen)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64 * 1024))
        text = f.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Node:
    id: int
    dir: Path
    port: int
    controller_port: int
    sasl_port: int | None = None
    pid: int | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def config(self) -> Path:
        return self.dir / "server.properties"

    @property
    def server_log(self) -> Path:
        return self.dir / "logs" / "server.log"

    @property
    def console_log(self) -> Path:
        return self.dir / "console.log"

    def alive(self) -> bool:
        """Running, and (for a node started by another process) still that JVM, not a reused pid."""
        if self.proc is not None:
            return self.proc.poll() is None
        if self.pid is None:
            return False
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes()
        except OSError:
            return False
        return str(self.config).encode() in cmdline

    def rss(self) -> int | None:
        """Resident set size in bytes, None when not running."""
        if not self.alive():
            return None
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    def signal(self, sig: int) -> None:
        """To the node's own process group: the JVM and anything it forked."""
        if self.pid is not None and self.alive():
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait_exit(self, timeout: float) -> bool:
        """True once gone; the node then counts as stopped on purpose (no pid)."""
        deadline = time.monotonic() + timeout
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        self.pid, self.proc = None, None
        return True

    def crashed(self) -> bool:
        """Started by this process and gone without being asked to."""
        return self.proc is not None and self.proc.poll() is not None

    def log_tail(self, lines: int = 40) -> str:
        return (f"--- node {self.id} {self.server_log} ---\n{tail(self.server_log, lines)}\n"
                f"--- node {self.id} {self.console_log} ---\n{tail(self.console_log, 10)}")

    def state(self) -> dict[str, Any]:
        return {"id": self.id, "port": self.port, "controller_port": self.controller_port,
                "sasl_port": self.sasl_port, "pid": self.pid}


# ------------------------------------------------------------------------------------- cluster

class KafkaCluster:
    """A KRaft cluster of `nodes` combined broker+controller JVMs under `workdir`.

    A workdir that already holds a cluster (cluster.json) is reused: same cluster id, data and,
    when still free, ports. `start()` formats the storage only the first time."""

    def __init__(self, workdir: Path, nodes: int = 3, *, sasl: bool = False, heap: str = "384m",
                 start_timeout: float = 120.0, properties: dict[str, str] | None = None,
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
                    self._spawn(node, libs)
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
            self._spawn(node, ensure_jars(self.kafka_version))
            self._save_state()
        self._poll(lambda: node_id in self._brokers(), timeout or self.start_timeout,
                   f"node {node_id} did not rejoin as a broker")

    def rolling_restart(self, timeout: float = 120.0) -> None:
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

    def wait_in_sync(self, timeout: float = 120.0) -> None:
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

    def create_scram_user(self, user: str, password: str, mechanism: str = SCRAM) -> None:
        from kafka.admin import UserScramCredentialUpsertion
        result = self._admin_call(lambda admin: admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, mechanism, password)]))
        if result.get(user):
            raise ClusterError(f"SCRAM user {user}: {result[user]}")

    def grant_prefix(self, user: str, prefix: str, *,
                     topic_ops: tuple[str, ...] = ("READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS", "CREATE"),
                     group_ops: tuple[str, ...] = ("READ", "DESCRIBE"),
                     transactional_ops: tuple[str, ...] = ("WRITE", "DESCRIBE")) -> int:
        """Allow `user` these operations on every topic, group and transactional id whose name
        starts with `prefix` (PREFIXED patterns), and nothing else. Returns the ACLs created."""
        from kafka.admin import (
            ACL,
            ACLOperation,
            ACLPermissionType,
            ACLResourcePatternType,
            ResourcePattern,
            ResourceType,
        )
        wanted = [(ResourceType.TOPIC, topic_ops), (ResourceType.GROUP, group_ops),
                  (ResourceType.TRANSACTIONAL_ID, transactional_ops)]
        acls = [ACL(f"User:{user}", "*", ACLOperation[op], ACLPermissionType.ALLOW,
                    ResourcePattern(rtype, prefix, ACLResourcePatternType.PREFIXED))
                for rtype, ops in wanted for op in ops]
        result = self._admin_call(lambda admin: admin.create_acls(acls))
        if result.get("failed"):
            raise ClusterError(f"ACLs for {user} on {prefix}*: {result['failed']}")
        return len(result.get("succeeded", acls))

    def _admin_call(self, call: Callable[[Any], T], tries: int = 3) -> T:
        """`call(admin)`, again with a fresh client when the one kept named a node that has since
        restarted (kafka-python keeps the controller id it found at bootstrap)."""
        from kafka.errors import (
            KafkaConnectionError,
            KafkaTimeoutError,
            NodeNotReadyError,
            NotControllerError,
            UnknownBrokerIdError,
        )
        transient = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, NotControllerError,
                     UnknownBrokerIdError)
        for attempt in range(tries):
            try:
                return call(self.admin())
            except transient:
                if attempt == tries - 1:
                    raise
                self._close_admin()
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def client_config(self, user: str, password: str) -> dict[str, Any]:
        """The SASL keyword arguments shared by aiokafka and kafka-python clients."""
        return {"bootstrap_servers": self.sasl_bootstrap, "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": SCRAM, "sasl_plain_username": user, "sasl_plain_password": password}

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
            except Exception as e:
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
            except Exception:
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
        voters = ",".join(f"{n.id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        base = Template((DEPLOY / "server.properties").read_text())
        extra = Template((DEPLOY / "sasl.properties").read_text()) if self.sasl else None
        for node in self.nodes:
            (node.dir / "logs").mkdir(parents=True, exist_ok=True)
            fields = self._fields(node, voters)
            text = base.substitute(fields)
            if extra is not None:
                text += "\n" + extra.substitute(fields)
            text += "".join(f"{k}={v}\n" for k, v in self.properties.items())
            node.config.write_text(text)

    def _fields(self, node: Node, voters: str) -> dict[str, str]:
        listeners = [f"PLAINTEXT://127.0.0.1:{node.port}", f"CONTROLLER://127.0.0.1:{node.controller_port}"]
        advertised = [listeners[0]]
        protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
        if self.sasl:
            listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{node.sasl_port}")
            advertised.append(listeners[-1])
            protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        replication = min(3, len(self.nodes))
        return {"node_id": str(node.id), "voters": voters, "listeners": ",".join(listeners),
                "advertised": ",".join(advertised), "protocol_map": protocols,
                "log_dir": str(node.dir / "data"), "replication": str(replication),
                "min_isr": str(2 if replication >= 3 else 1), "admin_user": ADMIN_USER}

    def _format(self, libs: Path) -> None:
        """kafka-storage format on every node at once (a JVM each, in parallel); a node formatted
        by an interrupted earlier run is skipped, not refused."""
        cmd = [java(), "-Xmx256m", "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format",
               "--cluster-id", self.cluster_id, "--ignore-formatted"]
        if self.sasl:  # the superuser's credential is in the metadata before any broker runs
            cmd += ["--add-scram", f"{SCRAM}=[name={ADMIN_USER},password={self.admin_password}]"]
        procs = [subprocess.Popen(cmd + ["--config", str(n.config)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT) for n in self.nodes]
        for node, proc in zip(self.nodes, procs):
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise ClusterError(f"storage format of node {node.id} failed:\n{out.decode()[-3000:]}")

    def _spawn(self, node: Node, libs: Path) -> None:
        cmd = [java(), f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS,
               *os.environ.get("IOC_KAFKA_JVM_OPTS", "").split(),
               f"-Dkafka.logs.dir={node.dir / 'logs'}",
               f"-Dlog4j2.configurationFile={DEPLOY / 'log4j2.properties'}",
               "-cp", f"{libs}/*", "kafka.Kafka", str(node.config)]
        with open(node.console_log, "ab") as out:
            node.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=node.dir, start_new_session=True,
                                         preexec_fn=_die_with_parent if self.tied_to_parent else None)
        node.pid = node.proc.pid

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


def _die_with_parent() -> None:
    """In the child before exec: PR_SET_PDEATHSIG, SIGKILL when the starting thread's process ends."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


# ----------------------------------------------------------------------------------------- CLI

def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.0f} MiB"


def _status_lines(cluster: KafkaCluster) -> Iterator[str]:
    for node in cluster.nodes:
        state = f"pid {node.pid}, RSS {_mib(node.rss())}" if node.alive() else "stopped"
        sasl = f", sasl {node.sasl_port}" if node.sasl_port else ""
        yield f"node {node.id}: {state}; port {node.port}, controller {node.controller_port}{sasl}"


def cmd_start(cluster: KafkaCluster) -> int:
    began = time.monotonic()
    cluster.start()
    print(f"Apache Kafka {cluster.version}: {len(cluster.nodes)} nodes ready in "
          f"{time.monotonic() - began:.1f} s ({cluster.workdir})")
    print(*_status_lines(cluster), sep="\n")
    print(f"bootstrap {cluster.bootstrap}")
    if cluster.sasl:
        print(f"sasl bootstrap {cluster.sasl_bootstrap} (SCRAM-SHA-512; superuser "
              f"'{ADMIN_USER}', password in {cluster.state_file})")
    return 0


def cmd_stop(cluster: KafkaCluster) -> int:
    began = time.monotonic()
    cluster.stop()
    print(f"stopped in {time.monotonic() - began:.1f} s")
    return 0


def cmd_status(cluster: KafkaCluster) -> int:
    print(*_status_lines(cluster), sep="\n")
    if not any(n.alive() for n in cluster.nodes):
        return 1
    try:
        info = cluster.describe()
        info["under_replicated"] = cluster.under_replicated()
    except Exception as e:
        print(f"no answer from {cluster.bootstrap}: {e!r}")
        return 1
    finally:
        cluster._close_admin()
    print(f"Apache Kafka {cluster.version}, bootstrap {cluster.bootstrap}")
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    return 0 if info["brokers"] == [n.id for n in cluster.nodes] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kafka.cluster", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"cluster folder (default {DEFAULT_DIR})")
    parser.add_argument("--nodes", type=int, default=3, help="nodes of a new cluster (default 3)")
    parser.add_argument("--sasl", action="store_true", help="a new cluster gets a SCRAM/ACL listener too")
    args = parser.parse_args(argv)
    if args.command != "start" and not (args.dir / "cluster.json").exists():
        print(f"no cluster in {args.dir}")
        return 1 if args.command == "status" else 0
    cluster = KafkaCluster(args.dir, args.nodes, sasl=args.sasl)
    try:
        return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status}[args.command](cluster)
    except ClusterError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
