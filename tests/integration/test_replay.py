"""`ioc replay`: every KPI recomputed from the DuckDB archive equals what the live pipeline computed,
and rewrites the KPI tables when they are damaged or stale."""
from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.harness import ROOT, Pipeline

pytestmark = pytest.mark.integration
SOURCES = ("dvc", "eoffice", "population", "telecom")
NOT_LIVE = (
    "SELECT kpi, unit, grain, period, value, numerator, denominator FROM kpi_current WHERE grain <> 'live'"
)


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """A pipeline fed 30 simulated hours of every source, then stopped (DuckDB is free)."""
    workdir = Path(tmp_path_factory.mktemp("replay"))
    dump = workdir / "sim"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ioc.cli",
            "simulate",
            "--seed",
            "7",
            "--dump",
            str(dump),
            "--sim-hours",
            "30",
            "--sites",
            "40",
            "--start",
            "2026-03-02T00:00:00+07:00",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    p = Pipeline(workdir)
    p.start()
    try:
        for source in SOURCES:
            result = p.cli("ingest", source, str(dump / f"{source}.ndjson"))
            assert result.returncode == 0, result.stderr
        p.wait_idle(300)
    finally:
        assert p.stop() == 0
    yield p


def db(p: Pipeline) -> Path:
    return p.workdir / "var" / "ioc.duckdb"


def rows(p: Pipeline, query: str = NOT_LIVE) -> set[tuple[Any, ...]]:
    with duckdb.connect(str(db(p))) as con:
        return {
            tuple(round(x, 9) if isinstance(x, float) else x for x in r)
            for r in con.execute(query).fetchall()
        }


def test_the_live_kpis_equal_a_recomputation_from_the_archive(stopped: Pipeline) -> None:
    result = stopped.cli("replay", "--compare")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "equals the recomputation" in result.stdout
    assert all(f"{s} " in result.stdout for s in SOURCES), result.stdout
    assert len(rows(stopped)) > 1000


def test_replay_repairs_damaged_kpi_tables(stopped: Pipeline) -> None:
    before = rows(stopped)
    with duckdb.connect(str(db(stopped))) as con:
        con.execute("DELETE FROM kpi_current WHERE kpi = 'dvc.received' AND grain = 'day'")
        con.execute("UPDATE kpi_current SET value = value + 1 WHERE kpi = 'eoffice.issued'")
        con.execute("""INSERT INTO kpi_current VALUES ('dvc.received', '03388', 'commune', 'year', '1999',
                       5, NULL, NULL, now())""")
        con.execute("DELETE FROM index766_scores")
        con.execute("DELETE FROM dvc_dossiers")
    damaged = stopped.cli("replay", "--compare")
    assert damaged.returncode == 1 and "differ from the recomputation" in damaged.stderr, damaged.stderr
    assert "dvc.received|03388|year|1999" in damaged.stderr

    repaired = stopped.cli("replay")
    assert repaired.returncode == 0, repaired.stderr
    assert "(1 retracted)" in repaired.stdout, repaired.stdout
    assert rows(stopped) == before
    assert stopped.cli("replay", "--compare").returncode == 0
    assert rows(stopped, "SELECT count(*) FROM index766_scores") != {(0,)}
    dossiers = rows(stopped, "SELECT count(DISTINCT key) FROM raw_dvc")
    assert rows(stopped, "SELECT count(*) FROM dvc_dossiers") == dossiers
    history = rows(stopped, "SELECT count(*) FROM kpi_history WHERE period = '1999' AND retracted")
    assert history == {(1,)}


def test_replay_refuses_while_the_pipeline_runs(stopped: Pipeline) -> None:
    stopped.start()
    try:
        result = stopped.cli("replay")
        assert result.returncode == 1 and "stop the pipeline first" in result.stderr, result.stderr
    finally:
        assert stopped.stop() == 0
