"""Start the real pipeline (`ioc run`, embedded Tansu broker) in a temporary state folder, feed it
NDJSON request bodies and read its KPIs back."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import orjson

from ioc.client import PipelineUnavailable, call, post_with_retry
from tests.kpi_checks import Key

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent


def ndjson(records: list[Any]) -> bytes:
    """A request body of one line a record; a str is sent as it is (a deliberately bad line)."""
    return b"\n".join(r.encode() if isinstance(r, str) else orjson.dumps(r) for r in records)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The hand-worked and fault data sets carry fixed dates (from March 2025): with the product's
# horizon (400 days) they would turn into too_late dead letters as the calendar moves on; 400
# years cover every valid timestamp (1900..2199).
# Tests of the horizon itself set their own.
TEST_HORIZON_DAYS = 146_000
PAGE = 50_000   # rows per query of a paged read (the query service answers at most 100,000)


class Pipeline:
    """One pipeline on its own ports and state folder; `stop()` then `start()` is a restart."""

    def __init__(self, workdir: Path, extra_config: str = "", *, workers: int | None = None,
                 province: str = "lai-chau", late_after_days: float | None = TEST_HORIZON_DAYS) -> None:
        """`extra_config` is appended after the [ingest] table, so it should open its own tables;
        `workers` writes a whole `[workers]` table (do not repeat it in `extra_config`); `province`
        is a folder of the project's config/provinces (all of them are copied into the pipeline's
        own config folder); `late_after_days` writes a `[kpi]` table unless `extra_config` has one
        (None: the product's default)."""
        self.workdir = workdir
        self.port, self.query_port = free_port(), free_port()
        config_dir = workdir / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        provinces = config_dir / "provinces"
        if not provinces.exists():
            shutil.copytree(ROOT / "config" / "provinces", provinces)
        tables = f"[workers]\ncount = {workers}\n" if workers is not None else ""
        if late_after_days is not None and "[kpi]" not in extra_config:
            tables += f"[kpi]\nlate_after_days = {late_after_days}\n"
        self.config = config_dir / "pipeline.toml"
        self.config.write_text(f"""province = "{province}"
state_dir = "{workdir / 'var'}"
[http]
port = {self.port}
[sink]
query_port = {self.query_port}
[ingest]
pseudonym_key = "generate"
{extra_config}
{tables}""")
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "run.log"
        self.env: dict[str, str] = {}   # added to the environment of `ioc run` (e.g. a SASL password)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ioc.cli", "--config", str(self.config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                start_new_session=True,
                env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pipeline exited: {self.log.read_text()[-3000:]}")
            try:
                code, status = call(f"{self.url}/status", timeout=5)
                if code == 200 and status.get("ready"):
                    return
            except PipelineUnavailable:
                pass
            time.sleep(0.3)
        raise RuntimeError("pipeline did not start")

    def stop(self, timeout_s: float = 90) -> int:
        """SIGTERM to the process group, as an operator's Ctrl-C; returns the exit code."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        code = self.proc.wait(timeout=timeout_s)
        self.proc = None
        return code

    def kill(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def group_processes(self, pgid: int) -> list[str]:
        out = subprocess.run(["ps", "-ww", "-eo", "pid=,pgid=,args="], capture_output=True, text=True).stdout
        return [line for line in out.splitlines() if line.split()[1] == str(pgid)]

    def token(self, source: str) -> str:
        return orjson.loads((self.workdir / "var" / "tokens.json").read_bytes())[source]

    def ingest(self, source: str, body: bytes | list[Any], token: str | None = None) -> tuple[int, Any]:
        if isinstance(body, list):
            body = b"\n".join(orjson.dumps(r) for r in body)
        return call(
            f"{self.url}/ingest/{source}", "POST", body, token if token is not None else self.token(source)
        )

    def wait_idle(self, timeout_s: float = 120, checkpoint: bool = False) -> None:
        """`ioc status --wait-idle` (with `checkpoint`: through a checkpoint barrier)."""
        flags = ["--checkpoint"] if checkpoint else []
        argv = [sys.executable, "-m", "ioc.cli", "--config", str(self.config), "status", "--wait-idle",
                "--timeout", str(timeout_s), *flags]
        assert subprocess.run(argv, cwd=ROOT).returncode == 0, "pipeline did not become idle"

    def status(self) -> dict[str, Any]:
        """The JSON behind `ioc status` (workers with their pids, sink counters, lag)."""
        code, answer = call(f"{self.url}/status")
        assert code == 200, answer
        return answer

    def sql(self, query: str) -> list[dict[str, Any]]:
        return _rows(f"{self.url}/sql", query)

    def sink_sql(self, query: str) -> list[dict[str, Any]]:
        """The same, asking the sink's own port (when the gateway that proxies `/sql` cannot answer)."""
        return _rows(f"http://127.0.0.1:{self.query_port}/sql", query)

    def complete_checkpoint(self) -> int:
        """The last checkpoint the sink found complete."""
        path = self.workdir / "var" / "checkpoints" / "complete.json"
        return int(orjson.loads(path.read_bytes())["checkpoint"])

    def kpis(self, prefix: str | None = None, where: str = "") -> dict[Key, tuple[Any, Any, Any]]:
        """(value, numerator, denominator) of every row of `kpi_latest`, or of the KPIs named `<prefix>.*`,
        and matching the SQL condition `where`; read in pages (one answer of /sql stops at MAX_ROWS)."""
        conditions = [c for c in (f"kpi LIKE '{prefix}.%'" if prefix is not None else "", where) if c]
        query = "SELECT kpi, unit, grain, period, value, numerator, denominator FROM kpi_latest"
        query += " WHERE " + " AND ".join(conditions) if conditions else ""
        out: dict[Key, tuple[Any, Any, Any]] = {}
        while True:
            rows = self.sql(f"{query} ORDER BY kpi, unit, grain, period LIMIT {PAGE} OFFSET {len(out)}")
            for r in rows:
                key = (r["kpi"], r["unit"], r["grain"], r["period"])
                out[key] = (r["value"], r["numerator"], r["denominator"])
            if len(rows) < PAGE:
                return out

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ioc.cli", "--config", str(self.config), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
        )


def _rows(url: str, query: str) -> list[dict[str, Any]]:
    """A query's rows. A 503 (the sink restarting: `ioc run` stops every part while it rotates the
    embedded broker) is asked again for up to 300 s, as `ioc sql` does for a minute."""
    code, answer = post_with_retry(url, orjson.dumps({"query": query}), None, attempts=150)
    assert code == 200, answer
    assert not answer["truncated"], f"more rows than one answer holds: page the query ({query})"
    return [dict(zip(answer["columns"], row)) for row in answer["rows"]]


def without_live(kpis: dict[Key, Any]) -> dict[Key, Any]:
    """KPI rows of every grain but `live` (those move with the clock)."""
    return {k: v for k, v in kpis.items() if k[2] != "live"}


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run` in a thread of its own: the main thread may already run an event loop (a session
    fixture of another suite, e.g. Playwright's sync API, keeps one running)."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append((True, asyncio.run(make())))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box.append((False, exc))

    thread = threading.Thread(target=target, name="run_async")
    thread.start()
    thread.join()
    ok, value = box[0]
    if not ok:
        raise value
    return value


def group_members(pipeline: Pipeline, group: str = "ioc-kpi") -> int:
    """Members of the KPI workers' consumer group (Faust app id)."""
    from aiokafka.admin import AIOKafkaAdminClient

    async def count() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=pipeline.status()["broker"]["address"])
        await admin.start()
        try:
            described = await admin.describe_consumer_groups([group])
            return sum(len(g[5]) for response in described for g in response.groups if g[1] == group)
        finally:
            await admin.close()

    return run_async(count)
