"""Official 766 figures through the real pipeline: the portal's JSON (qd766 shapes, over HTTP and
`ioc ingest`) and a CSV for the hand-worked dvc data's units, then the view index766_official, the
ranking API and the workbook. Worked by hand (tests/unit/test_index766_official.py): commune A,
2026-11, no supplied figures: live 50 + 6*(2/3)/0.9; official 82.46 (83.46 once TDGQ is re-issued
as 17); estimate 16.46 + 15 + 12 + 3 + 8 + 11 + 6*(2/3)/0.9."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ioc.client import call
from tests import dvc_dataset as ds
from tests.harness import ROOT, Pipeline
from tests.integration.test_reports import pdf_text

pytestmark = pytest.mark.integration
EXAMPLES = ROOT / "examples" / "official"
SAT = 6 * (2 / 3) / 0.9
LIVE = 50 + SAT
ESTIMATE = 16.46 + 15 + 12 + 3 + 8 + 11 + SAT


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("official")))
    p.start()
    assert p.ingest("dvc", ds.PHASE1 + ds.PHASE2)[0] == 200
    code, answer = call(
        f"{p.url}/ingest/portal766?period=2026-11",
        "POST",
        (EXAMPLES / "transparency-2026-11.json").read_bytes(),
        p.token("portal766"),
    )
    assert code == 200, answer
    assert (answer["items"], answer["accepted"], answer["dead_lettered"], answer["ignored"]) == (21, 14, 6, 1)
    tree = p.cli(
        "ingest", "portal766", "--period", "2026-11", str(EXAMPLES / "dvc-progress-tree-2026-11.json")
    )
    assert tree.returncode == 0, tree.stderr
    csv = p.cli("ingest", "portal766", str(EXAMPLES / "figures-2026-11.csv"))
    assert csv.returncode == 0, csv.stderr
    p.wait_idle()
    yield p
    p.stop()


def official(p: Pipeline, unit: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = p.sql(f"SELECT * FROM index766_official WHERE unit = '{unit}' AND period = '2026-11'")
    return {(r["group_code"], r["component"]): r for r in rows}


def ranking(p: Pipeline) -> dict[str, Any]:
    code, answer = call(f"{p.url}/ops/api/ranking?grain=month&period=2026-11")
    assert code == 200, answer
    return answer


def test_figures_are_archived_latest_per_component(pipeline: Pipeline) -> None:
    a = official(pipeline, ds.A)
    assert {k: r["points"] for k, r in a.items()} == {
        ("CKMB", "PUBLISH_ON_TIME"): 4.5,
        ("CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
        ("CKMB", "PUBLIC_CONTENT_FULL"): 1.96,
        ("CKMB", "DOSSIER_SYNC"): 6.0,
        ("TDGQ", "ON_TIME"): 16.0,
        ("CLGQ", "FULL_ONLINE"): 11.0,
        ("TTTT", ""): 7.5,
        ("MDSH", ""): 15.0,
        ("MDHL", "PETITION_PROCESSING_ON_TIME"): 5.0,
        ("MDHL", "PETITION_HANDLING_SATISFACTION"): 6.0,
        ("MDHL", "DOSSIER_RECEIVING_SATISFACTION"): 5.5,
    }
    assert all(r["grain"] == "month" and r["received_at"] is not None for r in a.values())
    letters = pipeline.sql(
        "SELECT reason, count(*) AS n FROM dead_letters WHERE source = 'official766' GROUP BY reason"
    )
    assert {r["reason"]: r["n"] for r in letters} == {
        "unknown_unit:H12.999": 4,
        "bad_enum:score": 2,
        "bad_enum:code": 1,
        "bad_enum:maxScore": 1,
        "bad_type:period": 2,
        "bad_enum:group": 1,
        "bad_enum:component": 1,
        "bad_enum:points": 1,
        "bad_type:points": 1,
        "unknown_unit:99999": 1,
        "missing_field:points": 1,
    }


def test_the_live_index_is_untouched_and_the_ranking_shows_official_and_difference(
    pipeline: Pipeline,
) -> None:
    live = pipeline.sql(
        "SELECT value FROM kpi_latest WHERE kpi = 'index766.total' AND unit = '03388' "
        "AND grain = 'month' AND period = '2026-11'"
    )
    assert live[0]["value"] == pytest.approx(LIVE)  # official points join at read time
    a = ranking(pipeline)["official"][ds.A]
    assert a["live"] == pytest.approx(LIVE) and a["estimate"] == pytest.approx(ESTIMATE)
    assert a["official"] == pytest.approx(82.46) and a["difference"] == pytest.approx(ESTIMATE - 82.46)
    assert a["groups"]["CKMB"] == pytest.approx({"estimate": 16.46, "official": 16.46, "difference": 0.0})
    assert a["groups"]["TTTT"] == pytest.approx({"estimate": 3.0, "official": 7.5, "difference": -4.5})
    assert set(a["official_components"]) == {
        "PUBLISH_ON_TIME",
        "PUBLIC_UPDATE_ON_TIME",
        "PUBLIC_CONTENT_FULL",
        "DOSSIER_SYNC",
        "PETITION_PROCESSING_ON_TIME",
        "PETITION_HANDLING_SATISFACTION",
    }
    b = ranking(pipeline)["official"][ds.B]  # two groups only: no official total
    assert b["official"] is None and b["official_groups"] == 1 and b["difference"] is None


def test_a_reissued_figure_replaces_the_earlier_one(pipeline: Pipeline, tmp_path: Path) -> None:
    again = tmp_path / "reissue.csv"
    again.write_text("unit,period,group,component,points\n03388,2026-11,TDGQ,ON_TIME,17\n")
    assert pipeline.cli("ingest", "portal766", str(again)).returncode == 0
    pipeline.wait_idle()
    on_time = official(pipeline, ds.A)[("TDGQ", "ON_TIME")]
    assert (on_time["points"], on_time["figures"]) == (17.0, 2)
    a = ranking(pipeline)["official"][ds.A]
    assert a["official"] == pytest.approx(83.46) and a["difference"] == pytest.approx(ESTIMATE - 83.46)

    out = tmp_path / "nov.xlsx"
    made = pipeline.cli("report", "--format", "xlsx", "--period", "2026-11", "--out", str(out))
    assert made.returncode == 0, made.stderr
    wb = load_workbook(out)
    keys = [c.value for c in wb["Chỉ số 766"][2]]
    rows = {r[0]: dict(zip(keys, r)) for r in wb["Chỉ số 766"].iter_rows(min_row=3, values_only=True)}
    assert rows[ds.A]["index766.total"] == pytest.approx(ESTIMATE)
    assert rows[ds.A]["official.total"] == pytest.approx(83.46)
    assert rows[ds.A]["official.difference"] == pytest.approx(ESTIMATE - 83.46)
    assert rows[ds.A]["official.groups"] == 6 and rows[ds.A]["index766.group.CKMB"] == pytest.approx(16.46)
    assert rows[ds.B]["official.total"] is None and rows[ds.B]["official.groups"] == 1
    keys = [c.value for c in wb["766 CKMB"][2]]
    ckmb = {r[0]: dict(zip(keys, r)) for r in wb["766 CKMB"].iter_rows(min_row=3, values_only=True)}
    assert (ckmb[ds.A]["PUBLISH_ON_TIME.points"], ckmb[ds.A]["PUBLISH_ON_TIME.basis"]) == (
        4.5,
        "số liệu chính thức",
    )
    assert ckmb[ds.A]["PUBLISH_ON_TIME.ratio"] is None
    assert ckmb[ds.A]["official.CKMB"] == pytest.approx(16.46)
    assert ckmb[ds.A]["official.difference.CKMB"] == pytest.approx(0.0)
    keys = [c.value for c in wb["766 TTTT"][2]]
    tttt = {r[0]: dict(zip(keys, r)) for r in wb["766 TTTT"].iter_rows(min_row=3, values_only=True)}
    assert tttt[ds.A]["official.TTTT"] == 7.5 and tttt[ds.A]["official.difference.TTTT"] == pytest.approx(
        -4.5
    )
    assert tttt[ds.A]["DOSSIERS_PAID_ONLINE.basis"] == "đo được"  # measured: the live estimate stands

    pdf = tmp_path / "nov.pdf"
    made = pipeline.cli("report", "--format", "pdf", "--period", "2026-11", "--out", str(pdf))
    assert made.returncode == 0, made.stderr
    text = pdf_text(pdf)
    line = next(t for t in text.splitlines() if "Đoàn Kết" in t and "Trung bình" in t)
    assert "69,9" in line and "83,5" in line and "−13,6" in line  # estimate, official, difference
    assert "Chính thức" in text and "Chênh lệch" in text
