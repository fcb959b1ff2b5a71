"""What the bench phases share: logging, the pipeline's processes and their CPU time, validated
records, the simulator's dumps."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import orjson

from connectors.dedup import IdentityIndex
from connectors.ingest import build_validators
from connectors.publisher import Outgoing
from connectors.registry import SOURCES
from contract.records import iso, now_utc
from contract.settings import Settings
from contract.topics import CONTRACT_NAMES as topics
from gateway.tokens import load_pseudonym_key
from simulator.run import GENERATORS
from tests.harness import ROOT, Pipeline

SIM_SEED = 20261
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The sources the simulator makes (official766, the 766 figures published by the government, has none).
SIMULATED = tuple(GENERATORS)


def wait_idle(p: Pipeline, timeout_s: float = 1800) -> None:
    """`ioc status --wait-idle`, its output kept out of the report."""
    result = p.cli("status", "--wait-idle", "--timeout", str(timeout_s))
    assert result.returncode == 0, result.stdout + result.stderr


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- processes ---------------------------------------------------------------------------------

def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime + stime


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def pipeline_pids(pipeline: Pipeline) -> dict[str, int]:
    """gateway (the supervisor itself), sink, worker-N and the embedded broker."""
    assert pipeline.proc is not None
    status = pipeline.status()
    pids = {"gateway": pipeline.proc.pid, "sink": status["sink"]["pid"]}
    pids.update({w["name"]: w["pid"] for w in status["workers"]})
    for child in children(pipeline.proc.pid):
        if "tansu" in Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"):
            pids["broker"] = child
    return pids


def cpu_snapshot(pids: dict[str, int]) -> dict[str, float]:
    return {name: cpu_s(pid) for name, pid in pids.items()}


def cpu_line(before: dict[str, float], after: dict[str, float], wall: float) -> str:
    parts = [f"{name} {after[name] - before[name]:.1f}" for name in after]
    return f"CPU s: {', '.join(parts)} over {wall:.1f} s wall ({os.cpu_count()} cores)"


# -- records -----------------------------------------------------------------------------------

def validated(settings: Settings, source: str, lines: list[bytes]) -> list[Outgoing]:
    """The messages the gateway would publish for these records (raw and dead letters), validated
    here, untimed, so that a phase can put them on the broker at the broker's pace."""
    secret = load_pseudonym_key(settings.pseudonym_key, settings.state_dir)
    validator = build_validators(settings, IdentityIndex(), secret, topics)[source]
    return validator.prepare(b"\n".join(lines), now_utc()).messages


def raw_only(messages: list[Outgoing]) -> list[Outgoing]:
    return [m for m in messages if m.topic.startswith(topics.raw(""))]


def raw_by_source(messages: list[Outgoing]) -> dict[str, list[bytes]]:
    """The raw records' values, per source (dead letters and markers left out)."""
    out: dict[str, list[bytes]] = {}
    for m in raw_only(messages):
        out.setdefault(m.topic.removeprefix(topics.raw("")), []).append(m.value)
    return out


def fold_rates(settings: Settings, messages: list[Outgoing]) -> dict[str, float]:
    """Each source's KPI fold alone, in this process (no Faust, no broker), over its raw messages:
    what a worker pays per record when it rebuilds a partition from offset 0 (one flush at the end)."""
    from streams.kpis.registry import KPIS
    out: dict[str, float] = {}
    for source, values in raw_by_source(messages).items():
        if len(values) < 1000:
            continue   # too few to time
        fold = KPIS[source].new_fold(settings.units)
        started = time.perf_counter()
        for value in values:
            fold.apply(orjson.loads(value))
        fold.partials.drain()
        fold.samples.drain()
        fold.drain_details(everything=True)
        out[source] = len(values) / (time.perf_counter() - started)
    return out


def distinct_kpi_rows(settings: Settings, messages: list[Outgoing]) -> int:
    """The KPI rows (766 index included) that `ioc replay`'s one pass gives for these records: the
    fewest updates a pipeline that keeps every row of `kpi_latest` current can write for them."""
    from streams.kpis.index766.rules import load_index766
    from streams.replay import Replay
    problems: list[str] = []
    replay = Replay(settings.units, load_index766(settings, problems))
    assert not problems, problems
    for source, values in raw_by_source(messages).items():
        replay.fold(source, values)
    return len(replay.finish(int(time.time() * 1e6), iso(now_utc())).updates)


def simulate(folder: Path, start: str, hours: float) -> dict[str, list[bytes]]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ioc.cli",
            "simulate",
            "--dump",
            str(folder),
            "--sim-hours",
            str(hours),
            "--seed",
            str(SIM_SEED),
            "--start",
            start,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return {s: (folder / f"{s}.ndjson").read_bytes().splitlines() for s in SIMULATED}


def peak_rate(lines: dict[str, list[bytes]], start: datetime, hours: float) -> tuple[float, str]:
    """Records per second in the busiest clock hour (by event time) of the simulated records."""
    per_hour: Counter[int] = Counter()
    lo, hi = start.timestamp(), start.timestamp() + hours * 3600
    for source, records in lines.items():
        spec = SOURCES[source]
        for line in records:
            r = orjson.loads(line)
            t = datetime.fromisoformat(r[spec.event_time_field(r)]).timestamp()
            if lo <= t < hi:
                per_hour[int(t // 3600)] += 1
    hour, n = per_hour.most_common(1)[0]
    return n / 3600, datetime.fromtimestamp(hour * 3600, start.tzinfo).strftime("%H:00")
