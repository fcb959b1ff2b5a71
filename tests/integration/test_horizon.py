"""The horizon through the real pipeline: a too-late record is a `too_late` dead letter, archived,
moving no KPI, and `ioc replay` decides exactly as the workers did."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.harness import Pipeline

pytestmark = pytest.mark.integration
COMMUNE = "03388"


def verification(event_id: str, age: timedelta) -> dict[str, object]:
    at = (datetime.now(UTC) - age).isoformat(timespec="seconds")
    return {"event_id": event_id, "kind": "verification", "commune": COMMUNE, "event_time": at,
            "result": "ok", "latency_ms": 120}


def test_a_record_older_than_the_horizon_is_a_dead_letter_and_replay_agrees(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, extra_config="[kpi]\nlate_after_days = 2\n")
    p.start()
    try:
        code, answer = p.ingest("population", [verification("fresh", timedelta(hours=1)),
                                               verification("stale", timedelta(days=3))])
        assert code == 200 and answer["accepted"] == 2, (
            answer
        )  # valid records: refused by the KPIs, not at ingest
        p.wait_idle()
        letters = p.sql("SELECT reason, record FROM dead_letters WHERE source = 'population'")
        assert [r["reason"] for r in letters] == ["too_late"] and '"stale"' in letters[0]["record"]
        assert p.sql("SELECT count(*) AS n FROM raw_population")[0]["n"] == 2  # nothing lost
        year = str(datetime.now(timezone(timedelta(hours=7))).year)
        rows = p.sql(
            f"SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'population.verify_success_rate' "
            f"AND unit = '{COMMUNE}' AND grain = 'year' AND period = '{year}'"
        )
        assert rows == [{"numerator": 1.0, "denominator": 1.0}]
    finally:
        assert p.stop() == 0
    result = p.cli("replay", "--compare")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped 1 records that arrived too late" in result.stdout, result.stdout
