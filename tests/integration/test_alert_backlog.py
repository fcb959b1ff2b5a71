"""No alert storm from a backlog: a historic telecom export ingested at once raises only what
holds at its end (README, Alerts: when a rule may fire)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from contract.settings import load_settings
from tests.datasets.telecom_backlog import CUT_AT_END, historic_file
from tests.harness import Pipeline, ndjson

pytestmark = pytest.mark.integration
TZ = load_settings().units.timezone
# Live KPIs (the cut-off) re-evaluated often, so the states on the way show (they do at the
# product's 5 s too, with a file that takes longer to read)
OFTEN = "[workers]\nlive_interval_s = 0.2\n"
EXPECTED = [{"rule": "commune_cut_off", "subject": c, "open": True} for c in sorted(CUT_AT_END)]


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    p = Pipeline(tmp_path, OFTEN)
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


def alerts(p: Pipeline) -> list[dict[str, object]]:
    return p.sql("SELECT rule, subject, cleared_at IS NULL AS open FROM alerts ORDER BY subject")


def raised_exactly_the_four(p: Pipeline, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while alerts(p) != EXPECTED and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)   # anything else would have been raised by now: the sink evaluates every second
    assert alerts(p) == EXPECTED


def test_a_historic_file_raises_only_what_holds_at_its_end(pipeline: Pipeline) -> None:
    records = historic_file(datetime.now(TZ) - timedelta(hours=1))
    code, answer = pipeline.ingest("telecom", ndjson(records))
    assert code == 200 and answer["accepted"] == len(records), answer
    pipeline.wait_idle(timeout_s=300)
    cut = pipeline.sql("SELECT unit FROM kpi_latest WHERE kpi = 'telecom.commune_cut_off' AND value = 1")
    assert sorted(r["unit"] for r in cut) == sorted(CUT_AT_END)   # the data set says what it should
    raised_exactly_the_four(pipeline, timeout_s=30)


def test_a_file_loaded_straight_into_the_broker_too(pipeline: Pipeline, tmp_path: Path) -> None:
    """No gateway, no `--wait-idle`: nobody injects a barrier but the sink itself."""
    path = tmp_path / "telecom.ndjson"
    path.write_bytes(ndjson(historic_file(datetime.now(TZ) - timedelta(hours=1))))
    done = pipeline.cli("ingest", "telecom", str(path), "--broker", pipeline.status()["broker"]["address"])
    assert done.returncode == 0, done.stderr
    raised_exactly_the_four(pipeline, timeout_s=300)
