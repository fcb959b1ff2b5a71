"""Child processes of the supervisor: same process group, stopped in order, never left behind.

`make run` keeps everything in its process group, so a SIGTERM or Ctrl-C to the group reaches
every child at once. Children therefore block SIGINT/SIGTERM and leave the decision to the
supervisor, which drains the pipeline first and then stops them in order (SIGUSR1 for ours,
SIGKILL for the memory-only broker). If the supervisor dies, the kernel signals each child
(PR_SET_PDEATHSIG), so nothing outlives it.
"""
from __future__ import annotations

import ctypes
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _child_setup(death_signal: int) -> Callable[[], None]:
    def setup() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, death_signal)
    return setup


class Child:
    def __init__(self, name: str, argv: list[str], log_path: Path, stop_signal: int = signal.SIGUSR1,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.argv, self.log_path, self.stop_signal = name, argv, log_path, stop_signal
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                preexec_fn=_child_setup(self.stop_signal),
            )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float = 20.0) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(self.stop_signal)
        deadline = time.monotonic() + timeout_s
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            self.proc.kill()
        self.proc.wait()

    def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()


def rss_mib(pid: int | None) -> int | None:
    """A process's resident memory, MiB (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) // 1024
    except (OSError, TypeError):
        return None
    return None
