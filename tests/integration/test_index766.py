"""The 766 index through the real pipeline: points worked out by hand from the dvc data set.

Supplied official figures: PUBLISH_ON_TIME 0.5 for commune A in 2026-11 only; DOSSIER_SYNC 1.0
for every unit and period. Everything else without a source scores by its no_data rule.

Commune A, 2026-11 (on-time 3/4, full-online 2/2, paid online 1/2, e-result 2/4, digitised 1/4,
satisfaction 2/3):
  CKMB  PUBLISH_ON_TIME 6*0.5=3, DOSSIER_SYNC 6, the other two no data 0              = 9
  TDGQ  20*0.75                                                                       = 15
  CLGQ  12*1.0                                                                        = 12
  TTTT  6*0.5 (the two procedure-level items: no data)                                = 3
  MDSH  e-result 6*0.5=3, digitised 4*0.25=1, certified copy no data 0, reuse 0,
        personal store 0, the two population-data items do not apply to a commune: 2+2 = 8
  MDHL  petitions: none, full 6+6; dossier satisfaction 6*(2/3)/0.9=4.444...          = 16.444...
  total 63.444..., band "trung_binh" (50 <= total < 70)
Province, 2026-11 (digitised 2/7, VNeID 3/7): CKMB 6; TDGQ 15; CLGQ 12; TTTT 3; MDSH 3 + 8/7 +
  certified copy n/a 2 + 0 + 0 + VNeID 2*3/7 + formality no data 0 = 7; MDHL 16.444... -> 59.444...
Agency S, 2026-11 (nothing finished, no fee or full-online dossiers, digitised 0/2): CKMB 6;
  TDGQ no data 0; CLGQ 0; TTTT 0; MDSH certified copy n/a 2 + population items n/a 2+2 = 6;
  MDHL 12 (no ratings: 0) -> 24, band "yeu".
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dvc_dataset as ds
from tests.harness import Pipeline

pytestmark = pytest.mark.integration
SUPPLIED = """
[[figure]]
unit = "03388"
period = "2026-11"
component = "PUBLISH_ON_TIME"
ratio = 0.5

[[figure]]
unit = "*"
period = "*"
component = "DOSSIER_SYNC"
ratio = 1.0
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    workdir = Path(tmp_path_factory.mktemp("index"))
    (workdir / "config" / "index766").mkdir(parents=True)
    (workdir / "config" / "index766" / "supplied.toml").write_text(SUPPLIED)
    p = Pipeline(workdir, extra_config='[index766]\nsupplied = "config/index766/supplied.toml"\n')
    p.start()
    code, _ = p.ingest("dvc", ds.PHASE1 + ds.PHASE2)
    assert code == 200
    p.wait_idle()
    yield p
    p.stop()


def total(p: Pipeline, unit: str, period: str = "2026-11") -> float:
    rows = p.sql(f"SELECT value FROM kpi_latest WHERE kpi = 'index766.total' AND unit = '{unit}' "
                 f"AND grain = 'month' AND period = '{period}'")
    return rows[0]["value"]


@pytest.mark.parametrize(
    "unit,expected",
    [
        (ds.A, 9 + 15 + 12 + 3 + 8 + 12 + 6 * (2 / 3) / 0.9),
        (ds.P, 6 + 15 + 12 + 3 + 3 + 8 / 7 + 2 + 6 / 7 + 12 + 6 * (2 / 3) / 0.9),
        (ds.S, 24.0),
    ],
)
def test_totals_worked_by_hand(pipeline: Pipeline, unit: str, expected: float) -> None:
    assert math.isclose(total(pipeline, unit), expected, rel_tol=1e-9)


def test_groups_bands_and_why_points_were_lost(pipeline: Pipeline) -> None:
    groups = {
        r["kpi"]: r["value"]
        for r in pipeline.sql(
            "SELECT kpi, value FROM kpi_latest WHERE kpi LIKE 'index766.group.%' AND unit = '03388' "
            "AND grain = 'month' AND period = '2026-11'"
        )
    }
    assert groups == pytest.approx(
        {
            "index766.group.CKMB": 9,
            "index766.group.TDGQ": 15,
            "index766.group.CLGQ": 12,
            "index766.group.TTTT": 3,
            "index766.group.MDSH": 8,
            "index766.group.MDHL": 12 + 6 * (2 / 3) / 0.9,
        },
        rel=1e-9,
    )
    bands = {
        r["unit"]: r["band"]
        for r in pipeline.sql(
            "SELECT unit, band FROM index766_scores WHERE grain = 'month' AND period = '2026-11'"
        )
    }
    assert (bands[ds.A], bands[ds.P], bands[ds.S]) == ("trung_binh", "trung_binh", "yeu")
    lost = pipeline.sql(
        "SELECT component, basis, ratio, lost FROM index766_components WHERE unit = '03388' "
        "AND grain = 'month' AND period = '2026-11' AND lost > 0 ORDER BY lost DESC, component"
    )
    by = {r["component"]: (r["basis"], r["lost"]) for r in lost}
    assert by["ON_TIME"] == ("measured", pytest.approx(5.0)) and by["PUBLISH_ON_TIME"] == ("supplied", 3.0)
    assert by["PUBLIC_UPDATE_ON_TIME"] == ("no_data", 4.0) and "CITIZEN_DATA_CONNECTED_DOSSIER" not in by
    na = pipeline.sql(
        "SELECT basis FROM index766_components WHERE unit = '03388' AND grain = 'month' "
        "AND period = '2026-11' AND component = 'CITIZEN_DATA_CONNECTED_DOSSIER'"
    )
    assert na == [{"basis": "not_applicable"}]


def test_quarters_and_years_too_and_no_day_grain(pipeline: Pipeline) -> None:
    grains = {
        r["grain"] for r in pipeline.sql("SELECT DISTINCT grain FROM kpi_latest WHERE kpi = 'index766.total'")
    }
    assert grains == {"month", "quarter", "year"}
    assert total(pipeline, ds.S, "2026-09") < total(pipeline, ds.A)  # S's September dossier was late


def test_a_late_record_moves_the_index(pipeline: Pipeline) -> None:
    before = total(pipeline, ds.S)
    late_finish = ds.rec(
        "D9",
        ds.S,
        10,
        ds.L("11-21T08:00"),
        ds.L("11-18T08:00"),
        ds.L("11-19T17:00"),
        NgayKetThucXuLy=ds.L("11-19T16:00"),
        CoKetQuaDienTu=True,
    )
    assert pipeline.ingest("dvc", [late_finish])[1]["accepted"] == 1
    pipeline.wait_idle()
    # D9 finished on time with an e-result: TDGQ 20*1, MDSH e-result 6*1, and no longer overdue
    assert math.isclose(total(pipeline, ds.S), before + 20 + 6, rel_tol=1e-9)
