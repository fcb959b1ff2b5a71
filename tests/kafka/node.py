"""One node of the loopback cluster: its JVM process, folders, ports and logs."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.kafka.jars import DEPLOY, java

# Kafka's own launcher flags (kafka-run-class.sh) minus the GC log; ExitOnOutOfMemoryError so a
# starved test node dies loudly instead of limping. TieredStopAtLevel=1 (C1 only): three JVMs
# starting on 2 cores are ready in ~10 s instead of ~20 s; steady throughput is lower, which tests
# do not need. $IOC_KAFKA_JVM_OPTS comes last, so "-XX:TieredStopAtLevel=4" brings C2 back.
JVM_FLAGS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
             "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError",
             "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]


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

    def spawn(self, libs: Path, heap: str, tied_to_parent: bool) -> None:
        """Start the node's JVM in a process group of its own, output to console.log."""
        cmd = [java(), f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS,
               *os.environ.get("IOC_KAFKA_JVM_OPTS", "").split(),
               f"-Dkafka.logs.dir={self.dir / 'logs'}",
               f"-Dlog4j2.configurationFile={DEPLOY / 'log4j2.properties'}",
               "-cp", f"{libs}/*", "kafka.Kafka", str(self.config)]
        with open(self.console_log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.dir, start_new_session=True,
                                         preexec_fn=_die_with_parent if tied_to_parent else None)
        self.pid = self.proc.pid


def _die_with_parent() -> None:
    """In the child before exec: PR_SET_PDEATHSIG, SIGKILL when the starting thread's process ends."""
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
