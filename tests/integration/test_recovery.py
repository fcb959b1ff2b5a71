"""Faults through the real broker: the embedded broker dies, a worker or the sink is SIGKILLed."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests import dvc_dataset as ds
from tests.harness import Pipeline

pytestmark = pytest.mark.integration


def dossiers(prefix: str, n: int) -> list[dict[str, object]]:
    return [ds.rec(f"{prefix}{i}", ds.A, 2, ds.L("11-21T08:00"), ds.L("11-21T08:00")) for i in range(n)]


def received(pipeline: Pipeline) -> float:
    rows = pipeline.sql("SELECT value FROM kpi_latest WHERE kpi = 'dvc.received' AND unit = '03388' "
                        "AND grain = 'day' AND period = '2026-11-21'")
    return rows[0]["value"] if rows else 0.0


def child_pid(pipeline: Pipeline, needle: str) -> int:
    assert pipeline.proc is not None
    processes = pipeline.group_processes(pipeline.proc.pid)
    line = next((p for p in processes if needle in p), None)
    assert line is not None, processes
    return int(line.split()[0])


def ingest_until_accepted(
    pipeline: Pipeline, records: list[dict[str, object]], timeout_s: float = 90
) -> list[int]:
    """Like a source system: retry on 503 until the pipeline takes the batch."""
    codes, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code, _ = pipeline.ingest("dvc", records)
        codes.append(code)
        if code == 200:
            return codes
        time.sleep(0.5)
    raise AssertionError(f"never accepted: {codes}")


def test_broker_killed_right_after_accepting_loses_nothing(pipeline: Pipeline) -> None:
    assert pipeline.ingest("dvc", dossiers("K", 300))[1]["accepted"] == 300
    os.kill(child_pid(pipeline, "tansu"), signal.SIGKILL)  # before the sink could archive them all
    codes = ingest_until_accepted(pipeline, dossiers("L", 20))
    assert 503 in codes or codes == [200]
    pipeline.wait_idle(timeout_s=180)
    assert pipeline.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"] == 320
    assert received(pipeline) == 320
    code, answer = pipeline.ingest("dvc", dossiers("K", 300))  # identities survived the restart
    assert (code, answer["duplicate"]) == (200, 300)


def test_killed_worker_and_sink_are_restarted_and_count_once(pipeline: Pipeline) -> None:
    before = received(pipeline)
    os.kill(child_pid(pipeline, " worker"), signal.SIGKILL)
    assert pipeline.ingest("dvc", dossiers("W", 50))[1]["accepted"] == 50
    os.kill(child_pid(pipeline, " sink"), signal.SIGKILL)
    assert pipeline.ingest("dvc", dossiers("S", 50))[1]["accepted"] == 50
    pipeline.wait_idle(timeout_s=180)
    assert received(pipeline) == before + 100
    assert pipeline.sql("SELECT count(*) AS n, count(DISTINCT id) AS d FROM raw_dvc")[0] == {
        "n": 420,
        "d": 420,
    }


def test_requests_beyond_the_rate_bound_get_429(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, extra_config="")
    p.config.write_text(p.config.read_text().replace("[http]\n", "[http]\nrequests_per_s = 1\n"))
    p.start()
    try:
        codes = [p.ingest("dvc", b"")[0] for _ in range(4)]
        assert codes[:2] == [200, 200] and 429 in codes[2:]
    finally:
        p.stop()
