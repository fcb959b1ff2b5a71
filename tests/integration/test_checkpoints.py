"""Checkpointed stage state through the real pipeline: a restart takes every partition from its
snapshot and applies only the records after it; a snapshot the code can no longer read is ignored
and its partition folded from the archive again, with the same KPIs."""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import orjson
import pytest

from contract.settings import load_settings
from ioc.client import PipelineUnavailable
from streams.engine.checkpoints import FORMAT
from streams.kpis.registry import KPIS
from tests import datasets as pop
from tests import dvc_dataset as ds
from tests.bench.records import dossier_records
from tests.harness import Pipeline, without_live
from tests.kpi_checks import assert_kpis
from tests.kpi_compute import fold_and_combine

pytestmark = pytest.mark.integration
T = TypeVar("T")


def worker_log(p: Pipeline) -> str:
    return "".join(f.read_text() for f in sorted((p.workdir / "var" / "logs").glob("worker-*.log")))


def test_a_restart_applies_only_the_records_after_the_last_checkpoint(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, extra_config="[checkpoints]\ninterval_s = 3600\n")   # only those asked for
    p.start()
    try:
        assert p.ingest("dvc", ds.PHASE1)[0] == 200
        p.wait_idle(checkpoint=True)
        checkpoint = p.complete_checkpoint()
        assert p.ingest("dvc", ds.PHASE2)[0] == 200   # after the checkpoint
        p.wait_idle()
        expected = without_live(p.kpis())
        p.kill()   # no clean stop, no checkpoint at the end: what came after the last one must come back
        seen = len(worker_log(p))
        p.start()
        restart = p.status()["restart"]
        assert restart["seeded_from"] == checkpoint, restart
        republished = {source: n for source, n in restart["republished"].items() if n}
        assert republished == {"dvc": len(ds.PHASE2)}, restart   # nothing of the other sources
        p.wait_idle()
        assert without_live(p.kpis()) == expected
        taken = worker_log(p)[seen:]
        assert "from its snapshot" in taken and "fresh" not in taken, taken
    finally:
        if p.proc is not None:
            p.stop()


def test_a_snapshot_of_an_older_format_is_ignored_and_its_partition_rebuilt(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    p.start()
    try:
        assert p.ingest("dvc", ds.PHASE1 + ds.PHASE2)[0] == 200
        p.wait_idle()
        expected = without_live(p.kpis())
        assert p.stop() == 0   # a clean stop takes a checkpoint
        snapshots = list((tmp_path / "var" / "checkpoints" / "fold.dvc").rglob("*.snap"))
        assert snapshots
        for path in snapshots[:1]:   # one partition written by an older version of the code
            header, _, body = path.read_bytes().partition(b"\n")
            old = {**orjson.loads(header), "format": FORMAT - 1}
            path.write_bytes(orjson.dumps(old) + b"\n" + body)
        p.start()
        restart = p.status()["restart"]
        assert restart["seeded_from"] is None, restart   # all or nothing: the whole archive again
        assert sum(restart["republished"].values()) == len(ds.PHASE1) + len(ds.PHASE2) - 2   # 2 duplicates
        p.wait_idle()
        assert without_live(p.kpis()) == expected
        assert f"its format is {FORMAT - 1}" in worker_log(p)
    finally:
        if p.proc is not None:
            p.stop()


def test_a_grown_embedded_broker_is_replaced_and_nothing_changes(tmp_path: Path) -> None:
    """The memory-only broker keeps every record: past [broker] rotate_above_mib a fresh one takes
    over after a checkpoint; KPIs, duplicates and new records carry on as before. (Measured here: the
    broker holds 17 MiB with its topics and nothing in them, 58 MiB after these 8,000 records.)"""
    p = Pipeline(tmp_path, extra_config="[broker]\nrotate_above_mib = 40\n")
    p.start()
    try:
        records = dossier_records(8000)
        for i in range(0, len(records), 2000):
            assert ingest_retrying(p, records[i:i + 2000])[0] == 200
        deadline = time.monotonic() + 300
        while retrying(p.status)["restart"]["broker_rotations"] < 1:
            assert time.monotonic() < deadline, "no rotation"
            time.sleep(1)
        restart = retrying(p.status)["restart"]
        assert restart["seeded_from"] is not None, restart
        p.wait_idle(timeout_s=300)
        assert p.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"] == len(records)
        now_us = time.time_ns() // 1000
        expected = fold_and_combine(KPIS["dvc"], load_settings().units, records, lambda r: 0, 1, now_us)
        assert_kpis(without_live(p.kpis("dvc")), without_live(expected), [])
        answer = ingest_retrying(p, records[:2000])[1]
        assert (answer["accepted"], answer["duplicate"]) == (0, 2000)   # the identities stayed
        assert ingest_retrying(p, ds.PHASE1)[1]["accepted"] == len(ds.PHASE1) - 2
        p.wait_idle()
        assert p.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"] == len(records) + len(ds.PHASE1) - 2
    finally:
        p.stop()


def retrying(read: Callable[[], T], timeout_s: float = 60) -> T:
    """A read that may meet the moment the broker is replaced (the sink restarts)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return read()
        except (AssertionError, PipelineUnavailable):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def ingest_retrying(p: Pipeline, records: list, timeout_s: float = 120) -> tuple[int, dict]:
    """As a source system does: 503 while the broker is replaced, then accepted."""
    deadline = time.monotonic() + timeout_s
    while True:
        code, answer = p.ingest("dvc", records)
        if code == 200 or time.monotonic() > deadline:
            return code, answer
        time.sleep(1)


def test_a_backup_taken_while_running_restores_a_fresh_install_with_the_same_kpis(tmp_path: Path) -> None:
    p = Pipeline(tmp_path / "first")
    p.start()
    try:
        assert p.ingest("dvc", ds.PHASE1)[0] == 200
        assert p.ingest("population", pop.POP_PHASE1)[0] == 200
        p.wait_idle()
        backup = p.cli("backup", str(tmp_path / "backup"))
        assert backup.returncode == 0, backup.stderr
        expected = without_live(p.kpis())
        assert p.ingest("dvc", ds.PHASE2)[0] == 200   # after the backup: not in it
    finally:
        p.stop()
    fresh = Pipeline(tmp_path / "fresh")   # another installation of the same province
    restored = fresh.cli("backup", "--restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr + restored.stdout
    fresh.start()
    try:
        assert fresh.status()["restart"]["seeded_from"] is not None   # from the backup's snapshots
        fresh.wait_idle()
        assert without_live(fresh.kpis()) == expected
        again = fresh.ingest("population", pop.POP_PHASE1)[1]   # the same pseudonym key and identities
        assert again["accepted"] == 0 and again["duplicate"] == len(pop.POP_PHASE1), again
    finally:
        fresh.stop()
