"""dvc records through the real broker and KPI workers into DuckDB, checked against hand-worked values."""
from __future__ import annotations

from typing import Any

import pytest

from tests import dvc_dataset as ds
from tests.harness import Pipeline, ndjson
from tests.kpi_checks import assert_kpis

pytestmark = pytest.mark.integration

def test_phase1_counts_and_kpis(pipeline: Pipeline) -> None:
    code, answer = pipeline.ingest("dvc", ndjson(ds.PHASE1 + [bad for bad, _ in ds.BAD]))
    assert code == 200, answer
    assert (answer["accepted"], answer["duplicate"]) == (21, 2)
    reasons = {}
    for _, reason in ds.BAD:
        reasons[reason] = reasons.get(reason, 0) + 1
    assert answer["dead_letter_reasons"] == reasons
    pipeline.wait_idle()
    actual = pipeline.kpis()
    assert_kpis(actual, ds.EXPECTED_PHASE1, ds.ABSENT_PHASE1)


def test_phase2_late_records_update_their_periods(pipeline: Pipeline) -> None:
    code, answer = pipeline.ingest("dvc", ndjson(ds.PHASE2))
    assert code == 200 and answer["accepted"] == len(ds.PHASE2), answer
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis(), ds.EXPECTED, ds.ABSENT)


def test_every_unit_has_a_live_row(pipeline: Pipeline) -> None:
    rows = pipeline.sql("SELECT count(*) AS n FROM kpi_latest WHERE kpi = 'dvc.overdue_open'")
    assert rows[0]["n"] == 38 + 14 + 1   # communes, agencies, province


def test_dead_letters_are_queryable_and_masked(pipeline: Pipeline) -> None:
    rows = pipeline.sql("SELECT reason, count(*) AS n FROM dead_letters WHERE source = 'dvc' GROUP BY reason")
    counts = {r["reason"]: r["n"] for r in rows}
    assert (
        counts["personal_id"] == 1
        and counts["missing_field:MaTTHC"] == 2
        and sum(counts.values()) == len(ds.BAD)
    )
    leaked = pipeline.sql("SELECT count(*) AS n FROM dead_letters WHERE record LIKE '%001203004567%'")
    assert leaked[0]["n"] == 0
    big = pipeline.sql("SELECT length(record) AS n FROM dead_letters WHERE reason = 'too_large'")
    assert big[0]["n"] > 1024 * 1024  # kept whole


def test_raw_archive_holds_each_record_once(pipeline: Pipeline) -> None:
    rows = pipeline.sql("SELECT count(*) AS n, count(DISTINCT id) AS ids FROM raw_dvc")
    assert rows[0]["n"] == rows[0]["ids"] == 21 + len(ds.PHASE2)
    first = pipeline.sql(
        "SELECT record->>'KenhThucHien' AS ch FROM raw_dvc "
        "WHERE record->>'MaHoSo' = 'D5' AND record->>'TrangThaiHoSo' = '2'"
    )
    assert first == [{"ch": "2"}]  # the first delivered copy won


def test_kpi_topic_message_shape(pipeline: Pipeline) -> None:
    cols = pipeline.sql("SELECT * FROM kpi_latest LIMIT 1")[0].keys()
    assert list(cols) == [
        "kpi",
        "unit",
        "unit_level",
        "grain",
        "period",
        "value",
        "numerator",
        "denominator",
        "updated_at",
    ]
    levels = pipeline.sql(
        "SELECT DISTINCT unit, unit_level FROM kpi_latest WHERE unit IN ('12', '03388', '12.SNV')"
    )
    assert {(r["unit"], r["unit_level"]) for r in levels} == {
        ("12", "province"),
        ("03388", "commune"),
        ("12.SNV", "agency"),
    }


def test_sql_is_read_only(pipeline: Pipeline) -> None:
    result = pipeline.cli("sql", "DELETE FROM raw_dvc")
    assert result.returncode != 0 and "read-only" in result.stderr
    assert pipeline.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"] > 0


def test_restart_keeps_kpis_and_duplicates(pipeline: Pipeline) -> None:
    def periods() -> dict[Any, Any]:   # live rows follow the clock and a timer: not what a restart keeps
        return {k: v for k, v in pipeline.kpis().items() if k[2] != "live"}

    before = periods()
    assert pipeline.stop() == 0
    pipeline.start()
    pipeline.wait_idle()
    assert periods() == before
    _code, answer = pipeline.ingest("dvc", ndjson(ds.PHASE1))  # everything again: all duplicates
    assert (answer["accepted"], answer["duplicate"]) == (0, len(ds.PHASE1))
    # a new record after the restart updates on top of the restored state
    new = ds.rec("D10", ds.A, 2, ds.L("11-20T08:00"), ds.L("11-20T08:00"), channel=2)
    assert pipeline.ingest("dvc", [new])[1]["accepted"] == 1
    pipeline.wait_idle()
    after = pipeline.kpis()
    assert after[("dvc.received", ds.A, "month", "2026-11")][0] == 5
    assert after[("dvc.received", ds.P, "year", "2026")][0] == 10


def test_drill_down_lists_exactly_the_dossiers_behind_the_rates(pipeline: Pipeline) -> None:
    late = pipeline.sql(
        "SELECT unit, dossier, month, supplement_requests, supplement_days FROM late_dossiers "
        "ORDER BY dossier"
    )
    assert [(r["unit"], r["dossier"], r["month"], r["supplement_requests"]) for r in late] == [
        (
            ds.A,
            "D3",
            "2026-11",
            2,
        ),
        (ds.S, "D6", "2026-09", 0),
    ]
    overdue = pipeline.sql("SELECT unit, dossier FROM overdue_dossiers ORDER BY dossier")
    assert [(r["unit"], r["dossier"]) for r in overdue] == [(ds.B, "D4"), (ds.S, "D9")]
    d2 = pipeline.sql(
        "SELECT supplement_s, on_time, end_at = due_at AS same FROM dvc_dossiers WHERE dossier = 'D2'"
    )
    assert d2[0]["supplement_s"] == 48 * 3600 and d2[0]["on_time"] is True
    # the on-time rate's late count per unit and month equals the worklist's
    rate = pipeline.sql(
        "SELECT numerator, denominator FROM kpi_latest WHERE kpi = 'dvc.on_time_rate' "
        "AND unit = '03388' AND grain = 'month' AND period = '2026-11'"
    )[0]
    worklist = [r for r in late if r["unit"] == ds.A and r["month"] == "2026-11"]
    assert rate["denominator"] - rate["numerator"] == len(worklist)
