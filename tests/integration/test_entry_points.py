"""The contract's entry points on a running pipeline: HTTP ingest rules, `ioc` commands, clean stop."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import orjson
import pytest

from ioc.client import call
from tests import dvc_dataset as ds
from tests.harness import Pipeline

pytestmark = pytest.mark.integration


def test_ingest_needs_the_sources_own_token(pipeline: Pipeline) -> None:
    record = orjson.dumps(ds.D1[0])
    assert pipeline.ingest("dvc", record, token="")[0] == 401
    assert pipeline.ingest("dvc", record, token="wrong")[0] == 401
    assert call(f"{pipeline.url}/ingest/dvc", "POST", record)[0] == 401
    assert pipeline.ingest("nosuch", record, token="x")[0] == 404
    assert pipeline.ingest("dvc", record, token=pipeline.token("telecom"))[0] == 403  # another source's token


def test_body_size_limit(pipeline: Pipeline) -> None:
    code, _ = pipeline.ingest("dvc", b"[" + b" " * (64 << 20) + b"]")
    assert code == 413


def test_cli_ingest_of_a_json_array_file(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    records = [ds.rec(f"F{i}", ds.B, 2, ds.L("11-21T08:00"), ds.L("11-21T08:00")) for i in range(12)]
    path.write_text(json.dumps(records + [{"MaHoSo": "F-bad"}], ensure_ascii=False))
    result = pipeline.cli("ingest", "dvc", str(path))
    assert result.returncode == 0, result.stderr
    assert "accepted       12" in result.stdout and "missing_field:MaTTHC" in result.stdout
    result = pipeline.cli("ingest", "dvc", str(path))
    assert "duplicate      12" in result.stdout
    assert pipeline.cli("status", "--wait-idle", "--timeout", "60").returncode == 0
    csv_out = pipeline.cli(
        "sql",
        "SELECT value FROM kpi_latest WHERE kpi='dvc.received' AND unit='03408' "
        "AND grain='day' AND period='2026-11-21'",
        "--format",
        "csv",
    )
    assert csv_out.stdout.splitlines() == ["value", "12.0"]
    deadline = time.monotonic() + 30  # the gateway measures a marker's round trip while records flow
    while "ioc_pipeline_latency_seconds_count 0.0" in _metrics(pipeline) and time.monotonic() < deadline:
        time.sleep(0.5)
    text = _metrics(pipeline)
    assert (
        "ioc_pipeline_latency_seconds_count 0.0" not in text
        and "ioc_sink_archive_latency_seconds_count" in text
    )


def _metrics(pipeline: Pipeline) -> str:
    import urllib.request

    return urllib.request.urlopen(f"{pipeline.url}/metrics").read().decode()


def test_status_shows_counts_and_metrics_are_exposed(pipeline: Pipeline) -> None:
    status = pipeline.cli("status")
    assert status.returncode == 0 and "dvc" in status.stdout and "worker worker-0: up" in status.stdout
    code, _ = call(f"{pipeline.url}/status")
    assert code == 200
    import urllib.request

    text = urllib.request.urlopen(f"{pipeline.url}/metrics").read().decode()
    assert 'ioc_ingest_records_total{outcome="accepted",source="dvc"}' in text
    assert "ioc_workers_up 1.0" in text
    # the sink's part: live KPI gauges for every unit, open alerts, DuckDB health
    assert 'ioc_kpi_value{grain="live",kpi="dvc.overdue_open",unit="03388",unit_level="commune"}' in text
    assert "# TYPE ioc_alerts_open gauge" in text and "# TYPE ioc_sink_batch_seconds histogram" in text


def test_sigterm_to_the_group_leaves_nothing_behind(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    p.start()
    assert p.proc is not None
    pgid = p.proc.pid
    assert len(p.group_processes(pgid)) >= 4  # supervisor, broker, sink, worker
    assert p.stop() == 0
    time.sleep(0.5)
    assert p.group_processes(pgid) == []
    assert "drained" in p.log.read_text()


def test_no_process_outlives_a_killed_supervisor(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    p.start()
    assert p.proc is not None
    pgid = p.proc.pid
    os.kill(pgid, signal.SIGKILL)  # the supervisor alone, uncleanly
    p.proc.wait()
    deadline = time.monotonic() + 30
    while p.group_processes(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert p.group_processes(pgid) == []
    p.proc = None


def test_cli_ingest_straight_to_the_broker(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "direct.ndjson"
    records = [ds.rec(f"K{i}", ds.A, 2, ds.L("11-19T08:00"), ds.L("11-19T08:00")) for i in range(5)]
    path.write_text("\n".join(json.dumps(r) for r in records + records[:2]))
    broker = call(f"{pipeline.url}/status")[1]["broker"]["address"]
    result = pipeline.cli("ingest", "dvc", str(path), "--broker", broker)
    assert result.returncode == 0, result.stderr
    assert "accepted       5" in result.stdout and "duplicate      2" in result.stdout
    pipeline.wait_idle()
    rows = pipeline.sql(
        "SELECT value FROM kpi_latest WHERE kpi='dvc.received' AND unit='03388' "
        "AND grain='day' AND period='2026-11-19'"
    )
    assert rows == [{"value": 5.0}]
