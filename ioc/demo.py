"""`ioc simulate --with-pipeline` (`make demo`): a demo pipeline beside the simulator.

The demo pipeline is a separate installation: its own folder (default var/demo: config, DuckDB,
tokens, logs), its own ports (the configured ones + 10) and always the embedded, memory-only
broker, so simulated records never reach the data of `make run` or a configured Kafka cluster.
Its state is reset at every start, because a second run would overlap the days of the first.

It runs as a child in the simulator's process group: Ctrl-C in the terminal reaches both (the
pipeline drains and stops on its own), and a SIGTERM to the simulator alone is passed on.
"""
from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from contract.errors import ConfigError
from contract.settings import Settings
from ioc.client import PipelineUnavailable, call
from ioc.config import load_config
from simulator.telecom_sites import OPERATORS

PORT_OFFSET = 10
MARKER = ".ioc-demo"      # only a folder carrying this file is ever reset


def demo_organ_codes(path: Path) -> None:
    """The demo's own copy of organs.csv gets an illustrative organ code `SIM.<unit>` wherever the
    province has none yet, so `ioc simulate --wire` can address every unit in edXML packages. Only the
    demo's copy: the province's file ships no guessed codes (wire-formats 0.8)."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["organ_id", "unit", "names", "verified"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "organ_id": r["organ_id"] or f"SIM.{r['unit']}"} for r in rows)


class DemoPipeline:
    def __init__(self, settings: Settings, folder: Path | None = None) -> None:
        self.settings = settings
        self.folder = (folder or settings.root / "var" / "demo").resolve()
        self.config = self.folder / "config" / "pipeline.toml"
        self.log = self.folder / "pipeline.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def prepare(self) -> Settings:
        """Write the demo configuration over a fresh state folder; return its settings."""
        f = self.folder
        if f.exists() and any(f.iterdir()) and not (f / MARKER).exists():
            raise RuntimeError(f"{f} exists and is not a demo folder; choose another --demo-dir")
        shutil.rmtree(f / "state", ignore_errors=True)
        (f / "config").mkdir(parents=True, exist_ok=True)
        (f / MARKER).write_text("state of `ioc simulate --with-pipeline`; reset at every start\n")
        provinces = f / "config" / "provinces"
        if provinces.is_symlink():
            provinces.unlink()
        shutil.rmtree(provinces, ignore_errors=True)
        shutil.copytree(self.settings.province_dir.parent, provinces)
        demo_organ_codes(provinces / self.settings.province_dir.name / "organs.csv")
        s = self.settings
        self.config.write_text(
            "# Written by `ioc simulate --with-pipeline` at every start: the demo pipeline's settings.\n"
            f"province = {json.dumps(s.province_dir.name)}\nstate_dir = {json.dumps(str(f / 'state'))}\n"
            f"[topics]\npartitions = {s.partitions}\n"
            f"[http]\nport = {s.http_port + PORT_OFFSET}\n"
            f'[ingest]\npseudonym_key = "generate"\n'
            f"[workers]\ncount = {s.worker_count}\n"
            f"[sink]\nquery_port = {s.query_port + PORT_OFFSET}\n"
            # the simulator's four operators (`ioc simulate --wire` sends their counters and alarms)
            + "".join(f"[adapters.telecom.operators.{op}]\n" for op in OPERATORS), encoding="utf-8")
        return load_config(self.config).settings

    def start(self, stop: threading.Event, timeout_s: float = 180) -> Settings | None:
        """Start `ioc run` on the demo configuration and wait until it answers."""
        try:
            demo = self.prepare()
        except (OSError, RuntimeError, ConfigError) as exc:
            print(f"error: cannot prepare the demo pipeline: {exc}", file=sys.stderr)
            return None
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ioc.cli", "--config", str(self.config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.settings.root,
            )
        print(f"starting the demo pipeline on {demo.http_url} (log: {self.log})", flush=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not stop.is_set():
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                print(
                    f"error: the demo pipeline exited with {self.proc.returncode}:\n{tail}", file=sys.stderr
                )
                return None
            try:
                if call(f"{demo.http_url}/status", timeout=5)[0] == 200:
                    self._banner(demo)
                    return load_config(self.config).settings  # again: the tokens exist now
            except PipelineUnavailable:
                pass
            stop.wait(0.5)
        print(
            "error: the demo pipeline did not start in time" if not stop.is_set() else "stopped",
            file=sys.stderr,
        )
        return None

    def _banner(self, demo: Settings) -> None:
        ioc = f"{self.settings.root / '.venv' / 'bin' / 'ioc'} --config {self.config}"
        print(
            f"demo pipeline running: {demo.http_url}  (state {demo.state_dir}; the data of `make run` "
            f"is untouched)\n  ops screens (Vietnamese, English): {demo.http_url}/ops/\n  {ioc} status\n"
            f"  {ioc} sql \"SELECT kpi, unit, value FROM kpi_latest WHERE grain = 'live' AND value > 0\"\n"
            f"Ctrl-C stops the simulator and the demo pipeline.",
            flush=True,
        )

    def stop(self, timeout_s: float = 120) -> None:
        """Ask the pipeline to stop (it drains first) and wait; it may already be stopping."""
        if self.proc is None or self.proc.poll() is not None:
            return
        print("stopping the demo pipeline (it drains into DuckDB first)", flush=True)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
