"""Checkpointed stage state through the real pipeline: a restart takes every partition from its
snapshot and applies only the records after it; a snapshot the code can no longer read is ignored
and its partition folded from the archive again, with the same KPIs."""
from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.engine.checkpoints import FORMAT
from tests import dvc_dataset as ds
from tests.harness import Pipeline

pytestmark = pytest.mark.integration


def without_live(kpis: dict) -> dict:
    return {k: v for k, v in kpis.items() if k[2] != "live"}


def complete_checkpoint(p: Pipeline) -> int:
    return int(orjson.loads((p.workdir / "var" / "checkpoints" / "complete.json").read_bytes())["checkpoint"])


def worker_log(p: Pipeline) -> str:
    return "".join(f.read_text() for f in sorted((p.workdir / "var" / "logs").glob("worker-*.log")))


def test_a_restart_applies_only_the_records_after_the_last_checkpoint(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, extra_config="[checkpoints]\ninterval_s = 3600\n")   # only those asked for
    p.start()
    try:
        assert p.ingest("dvc", ds.PHASE1)[0] == 200
        p.wait_idle(checkpoint=True)
        checkpoint = complete_checkpoint(p)
        assert p.ingest("dvc", ds.PHASE2)[0] == 200   # after the checkpoint
        p.wait_idle()
        expected = without_live(p.kpis())
        p.kill()   # no clean stop, no checkpoint at the end: what came after the last one must come back
        seen = len(worker_log(p))
        p.start()
        restart = p.status()["restart"]
        assert restart["seeded_from"] == checkpoint, restart
        assert restart["republished"] == {"dvc": len(ds.PHASE2), "eoffice": 0, "population": 0, "telecom": 0}
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
