"""eoffice, population and telecom records through the real broker and KPI workers into DuckDB,
checked against the hand-worked values of tests/datasets/ (relative tolerance 1e-9).

The tests run in order on one pipeline (module-scoped fixture): each source's phase 1 (with its
duplicates and bad records), its phase 2 (late and corrected records), then the telecom cut-off
sequence one alarm at a time, then checks over the whole DuckDB store.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests import datasets as ds
from tests.harness import Pipeline, ndjson
from tests.kpi_checks import assert_kpis

pytestmark = pytest.mark.integration

Key = tuple[str, str, str, str]


def ingest(pipeline: Pipeline, source: str, records: list[Any], accepted: int, duplicate: int,
           bad: list[tuple[Any, str]] | None = None) -> None:
    code, answer = pipeline.ingest(source, ndjson(records + [b for b, _ in (bad or [])]))
    assert code == 200, answer
    assert (answer["accepted"], answer["duplicate"]) == (accepted, duplicate), answer
    assert answer["dead_letter_reasons"] == ds.reasons(bad or []), answer


# --- e-office -------------------------------------------------------------------------------------

def test_eoffice_phase1(pipeline: Pipeline) -> None:
    ingest(pipeline, "eoffice", ds.EOFFICE_PHASE1, ds.EOFFICE_ACCEPTED_PHASE1, ds.EOFFICE_DUPLICATES_PHASE1,
           ds.EOFFICE_BAD)
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("eoffice"), ds.EOFFICE_EXPECTED_PHASE1, ds.EOFFICE_ABSENT_PHASE1)


def test_eoffice_phase2_late_and_changed_records(pipeline: Pipeline) -> None:
    ingest(pipeline, "eoffice", ds.EOFFICE_PHASE2, ds.EOFFICE_ACCEPTED_PHASE2, 0)
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("eoffice"), ds.EOFFICE_EXPECTED, ds.EOFFICE_ABSENT)


# --- population -----------------------------------------------------------------------------------

def test_population_phase1(pipeline: Pipeline) -> None:
    ingest(
        pipeline, "population", ds.POP_PHASE1, ds.POP_ACCEPTED_PHASE1, ds.POP_DUPLICATES_PHASE1, ds.POP_BAD
    )
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("population"), ds.POP_EXPECTED_PHASE1, ds.POP_ABSENT_PHASE1)


def test_population_phase2_late_records(pipeline: Pipeline) -> None:
    ingest(pipeline, "population", ds.POP_PHASE2, ds.POP_ACCEPTED_PHASE2, 0)
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("population"), ds.POP_EXPECTED, ds.POP_ABSENT)


def test_population_raw_ids_are_archived_only_as_their_pseudonym(pipeline: Pipeline) -> None:
    refs = pipeline.sql(
        "SELECT DISTINCT record->>'citizen_ref' AS ref FROM raw_population "
        "WHERE record->>'event_id' IN ('pa07', 'pa08')"
    )
    assert len(refs) == 1 and re.fullmatch(r"pid-[0-9a-f]{32}", refs[0]["ref"])
    ids = pipeline.sql(
        "SELECT record->>'event_id' AS id, key FROM raw_population WHERE record->>'event_id' LIKE 'pid-%'"
    )
    assert len(ids) == 1 and re.fullmatch(r"pid-[0-9a-f]{32}", ids[0]["id"])


# --- telecom --------------------------------------------------------------------------------------


def test_telecom_phase1(pipeline: Pipeline) -> None:
    ingest(pipeline, "telecom", ds.TEL_PHASE1, ds.TEL_ACCEPTED_PHASE1, ds.TEL_DUPLICATES_PHASE1, ds.TEL_BAD)
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("telecom"), ds.TEL_EXPECTED_PHASE1, ds.TEL_ABSENT_PHASE1)


def test_telecom_inventory_after_alarm(pipeline: Pipeline) -> None:
    ingest(pipeline, "telecom", ds.TEL_PHASE2, ds.TEL_ACCEPTED_PHASE2, 0)
    pipeline.wait_idle()
    assert_kpis(pipeline.kpis("telecom"), ds.TEL_EXPECTED_PHASE2, [])


def test_telecom_commune_cut_off_step_by_step(pipeline: Pipeline) -> None:
    def live() -> tuple[Any, Any, Any]:
        got = pipeline.kpis("telecom")
        return (
            got[("telecom.sites_out", ds.A, "live", "live")][0],
            got[("telecom.commune_cut_off", ds.A, "live", "live")][0],
            got[("telecom.sites_out", ds.P, "live", "live")][0],
        )

    assert live() == (0, 0, 2)
    for record, a_out, a_cut, p_out in ds.TEL_STEPS:
        ingest(pipeline, "telecom", [record], 1, 0)
        pipeline.wait_idle()
        assert live() == (a_out, a_cut, p_out), record


def test_telecom_final_values(pipeline: Pipeline) -> None:
    assert_kpis(pipeline.kpis("telecom"), ds.TEL_EXPECTED, ds.TEL_ABSENT)


# --- the whole store ------------------------------------------------------------------------------


def test_every_configured_unit_has_its_live_rows(pipeline: Pipeline) -> None:
    rows = pipeline.sql(
        "SELECT kpi, unit_level, count(*) AS n FROM kpi_latest WHERE grain = 'live' "
        "AND kpi NOT LIKE 'dvc.%' GROUP BY ALL"
    )
    counts = {(r["kpi"], r["unit_level"]): r["n"] for r in rows}
    assert counts == {
        ("eoffice.overdue_open", "commune"): 38,
        ("eoffice.overdue_open", "agency"): 14,
        ("eoffice.overdue_open", "province"): 1,
        ("telecom.sites_out", "commune"): 38,
        ("telecom.sites_out", "province"): 1,
        ("telecom.commune_cut_off", "commune"): 38,
    }


def test_dead_letters_by_source_and_reason(pipeline: Pipeline) -> None:
    rows = pipeline.sql("SELECT source, reason, count(*) AS n FROM dead_letters GROUP BY ALL")
    got: dict[str, dict[str, int]] = {}
    for r in rows:
        got.setdefault(r["source"], {})[r["reason"]] = r["n"]
    assert got == {
        "eoffice": ds.reasons(ds.EOFFICE_BAD),
        "population": ds.reasons(ds.POP_BAD),
        "telecom": ds.reasons(ds.TEL_BAD),
    }


def test_raw_archives_hold_each_accepted_record_once(pipeline: Pipeline) -> None:
    want = {
        "eoffice": ds.EOFFICE_ACCEPTED_PHASE1 + ds.EOFFICE_ACCEPTED_PHASE2,
        "population": ds.POP_ACCEPTED_PHASE1 + ds.POP_ACCEPTED_PHASE2,
        "telecom": ds.TEL_ACCEPTED_PHASE1 + ds.TEL_ACCEPTED_PHASE2 + len(ds.TEL_STEPS),
    }
    for source, n in want.items():
        row = pipeline.sql(f"SELECT count(*) AS n, count(DISTINCT id) AS ids FROM raw_{source}")[0]
        assert row["n"] == row["ids"] == n, source
    # the first delivered copy of a duplicate won
    signed = pipeline.sql(
        "SELECT record->>'digitally_signed' AS s FROM raw_eoffice "
        "WHERE record->>'doc_id' = 'E1' AND record->>'status' = 'issued'"
    )
    assert signed == [{"s": "true"}]
    t2 = pipeline.sql(
        "SELECT record->>'commune' AS c FROM raw_telecom "
        "WHERE record->>'kind' = 'site' AND record->>'site_id' = 'T2'"
    )
    assert t2 == [{"c": ds.A}]


HEX = set("0123456789abcdefABCDEF")
RUN_OF_12 = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
RAW_IDS = ds.RAW_IDS_POPULATION + ["001203004567", "791203004567", "045123000777", "123456789012"]


def _twelve_digit_runs(text: str) -> list[str]:
    """Runs of exactly 12 digits, except inside a 32-hex token (identity digests, uuids, pid- hashes)
    or in the fraction of a decimal number."""
    found = []
    for m in RUN_OF_12.finditer(text):
        start, end = m.span()
        a, b = start, end
        while a > 0 and text[a - 1] in HEX:
            a -= 1
        while b < len(text) and text[b] in HEX:
            b += 1
        if b - a == 32:
            continue
        if (
            start >= 2
            and text[start - 1] == "."
            and text[start - 2].isdigit()
            and re.fullmatch(r"[0-9.e+-]*", text)
        ):
            continue  # a DOUBLE column's fraction, e.g. 0.123456789012
        found.append(text[max(0, start - 40) : end + 40])
    return found


def test_no_raw_personal_id_anywhere_in_duckdb(pipeline: Pipeline) -> None:
    tables = [r["table_name"] for r in pipeline.sql("SELECT table_name FROM information_schema.tables")]
    assert {"raw_population", "dead_letters", "kpi_current", "kpi_history"} <= set(tables)
    leaks: list[str] = []
    for table in tables:
        for row in pipeline.sql(f'SELECT CAST(COLUMNS(*) AS VARCHAR) FROM "{table}"'):
            for column, text in row.items():
                if text is None:
                    continue
                leaks += [f"{table}.{column}: raw id {raw}" for raw in RAW_IDS if raw in text]
                leaks += [f"{table}.{column}: {snippet!r}" for snippet in _twelve_digit_runs(text)]
    assert not leaks, "\n".join(leaks[:20])
    # the raw ids did arrive: as pseudonyms in the archive and masked in the dead letters
    masked = pipeline.sql(
        "SELECT count(*) AS n FROM dead_letters WHERE source = 'population' "
        "AND reason = 'personal_id' AND record LIKE '%************%'"
    )
    assert masked[0]["n"] == ds.reasons(ds.POP_BAD)["personal_id"]


def test_drill_down_views_agree_with_the_live_kpis(pipeline: Pipeline) -> None:
    """Every overdue document and every site out is listed, and nothing else."""

    def live(kpi: str) -> dict[str, float]:
        rows = pipeline.sql(f"SELECT unit, value FROM kpi_latest WHERE kpi = '{kpi}' AND value > 0")
        return {r["unit"]: r["value"] for r in rows if r["unit"] != "12"}

    docs = pipeline.sql("SELECT unit, count(*) AS n FROM overdue_documents GROUP BY unit")
    assert {r["unit"]: r["n"] for r in docs} == live("eoffice.overdue_open") and docs
    sites = pipeline.sql("SELECT commune, count(*) AS n FROM sites_out GROUP BY commune")
    assert {r["commune"]: r["n"] for r in sites} == live("telecom.sites_out")
    since = pipeline.sql("SELECT count(*) AS n FROM sites_out WHERE out_since IS NULL")
    assert since[0]["n"] == 0
