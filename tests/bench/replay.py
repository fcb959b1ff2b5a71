"""Bench phase: `ioc replay` of a simulated Lai Châu year from its DuckDB archive.

The archive is built untimed the way the pipeline builds it (the gateway's validation, the sink's
rows, Arrow inserts), from `ioc simulate --dump` over a year. The replay runs as the operator runs
it, `ioc replay` in its own process; its baseline is the floor of any replay in the same run:
reading every archived record out of DuckDB and parsing its JSON, nothing else.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from connectors.dedup import IdentityIndex
from connectors.ingest import Validator, build_validators
from connectors.registry import SOURCES, source_names
from contract.settings import Settings, load_settings
from contract.timestamps import parse_ts
from contract.topics import CONTRACT_NAMES as topics
from gateway.tokens import load_pseudonym_key
from sinks.archive import archived, open_exclusive
from sinks.store import Batch, write
from tests.bench.common import SIMULATED
from tests.bench.raw import archive_rows
from tests.harness import ROOT, Pipeline

YEAR_SITES = 10        # base stations whose 15-minute counters join the year (2,100 would add ~75M records)
CHUNK = 20_000         # records archived at a time
GROUP = 500            # records sharing one arrival time
SEED = 20262


@dataclass
class Run:
    """One `ioc replay` over the archive as it stood: records, wall time, peak RSS, its output."""
    records: int
    seconds: float
    rss_mib: float
    output: str


@dataclass
class ReplayFigures:
    days: int
    per_source: dict[str, int]      # the first period's records
    baseline_s: float               # read + parse the first period's archive
    first: Run                      # after the first period
    second: Run                     # after the second period too (the archive holds both)


def _lines(path: Path) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    with path.open("rb") as f:
        for line in f:
            chunk.append(line.rstrip(b"\n"))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def arrived(source: str, lines: list[bytes]) -> datetime:
    """When a group of records arrived, had they come live: a minute after the latest event."""
    spec = SOURCES[source]
    latest = max(parse_ts(r[spec.event_time_field(r)]) or 0 for r in map(orjson.loads, lines))
    return datetime.fromtimestamp(latest / 1e6, UTC) + timedelta(minutes=1)


def build_archive(settings: Settings, validators: dict[str, Validator], dump: Path) -> dict[str, int]:
    """Validate the dumped records as the gateway does and archive them as the sink does, each
    group of GROUP records arriving when it would have live (the horizon works on arrivals)."""
    con = open_exclusive(settings.duckdb_path, source_names(), settings.units.timezone.key)
    counts: dict[str, int] = {}
    try:
        for source in SIMULATED:
            for lines in _lines(dump / f"{source}.ndjson"):
                rows = []
                for i in range(0, len(lines), GROUP):
                    group = lines[i:i + GROUP]
                    messages = validators[source].prepare(b"\n".join(group), arrived(source, group)).messages
                    rows += archive_rows([m for m in messages if m.topic == topics.raw(source)])
                write(con, Batch(raw={source: rows}))
                counts[source] = counts.get(source, 0) + len(rows)
    finally:
        con.close()
    return counts


def split_dump(dump: Path, boundary: datetime) -> tuple[Path, Path]:
    """The simulator's files cut at `boundary` (event time) into two periods."""
    parts = (dump / "first", dump / "second")
    for part in parts:
        part.mkdir()
    cut = int(boundary.timestamp() * 1_000_000)
    for source in SIMULATED:
        spec = SOURCES[source]
        with (dump / f"{source}.ndjson").open("rb") as f, (parts[0] / f"{source}.ndjson").open("wb") as a, \
                (parts[1] / f"{source}.ndjson").open("wb") as b:
            for line in f:
                r = orjson.loads(line)
                (a if (parse_ts(r[spec.event_time_field(r)]) or 0) < cut else b).write(line)
    return parts


def read_and_parse_s(settings: Settings) -> float:
    """The baseline: every archived record out of DuckDB (Arrow batches) and through orjson."""
    con = open_exclusive(settings.duckdb_path, source_names(), settings.units.timezone.key)
    try:
        started = time.perf_counter()
        for source in source_names():
            for batch in archived(con, source, "record::VARCHAR"):
                for text in batch.column(0).to_pylist():
                    orjson.loads(text)
        return time.perf_counter() - started
    finally:
        con.close()


def run_replay(config: Path) -> tuple[float, float, str]:
    """`ioc replay` in its own process: (wall seconds, its peak RSS in MiB, its output)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ioc.cli", "--config", str(config), "replay"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, output
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output.strip()


def measure(tmp: Path, days: int, log: callable[[str], None]) -> ReplayFigures:  # type: ignore[valid-type]
    """Two periods of `days` simulated days, ending yesterday: the first archived and replayed, then
    the second archived behind it and everything replayed again."""
    # only its configuration and state folder (the pipeline is not started), the product's horizon
    p = Pipeline(tmp / "replay", late_after_days=None)
    settings = load_settings(p.config)
    today = datetime.now(settings.units.timezone).replace(hour=0, minute=0, second=0, microsecond=0)
    start, boundary = today - timedelta(days=2 * days + 1), today - timedelta(days=days + 1)
    log(f"ioc simulate --dump: 2 x {days} days from {start.date()} ({YEAR_SITES} base stations)")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ioc.cli",
            "simulate",
            "--dump",
            str(tmp / "sim"),
            "--seed",
            str(SEED),
            "--sim-hours",
            str(2 * days * 24),
            "--sites",
            str(YEAR_SITES),
            "--start",
            start.isoformat(),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    first, second = split_dump(tmp / "sim", boundary)
    secret = load_pseudonym_key(settings.pseudonym_key, settings.state_dir)
    validators = build_validators(settings, IdentityIndex(), secret, topics)
    counts = build_archive(settings, validators, first)
    log(
        f"archive of the first {days} days: {sum(counts.values()):,} records; "
        "read + parse baseline, ioc replay"
    )
    baseline = read_and_parse_s(settings)
    run1 = Run(sum(counts.values()), *run_replay(p.config))
    more = build_archive(settings, validators, second)
    log(f"archive of the second {days} days: {sum(more.values()):,} more records; ioc replay of both")
    run2 = Run(run1.records + sum(more.values()), *run_replay(p.config))
    return ReplayFigures(days, counts, baseline, run1, run2)
