"""Another province is configuration only: the same pipeline, `province = "dien-bien"`.

Điện Biên (province code 11, 45 communes and wards since 1 July 2025) is config/provinces/dien-bien/.
The hand-worked dvc data set of tests/dvc_dataset.py is sent with its units moved to Điện Biên
units; every hand-worked value must come out for those units, every configured Điện Biên unit gets
its live rows, and Lai Châu's unit codes are `unknown_unit` there.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.units import load_units
from tests import dvc_dataset as ds
from tests.harness import ROOT, Pipeline
from tests.harness import ndjson as body
from tests.kpi_checks import assert_kpis

pytestmark = pytest.mark.integration

PROVINCE = "dien-bien"
# Lai Châu unit of the data set -> Điện Biên unit
UNITS = {ds.A: "03127",      # phường Điện Biên Phủ
         ds.B: "03334",      # phường Mường Thanh
         ds.S: "11.SNV",     # Sở Nội vụ
         ds.P: "11",         # the province
         "03390": "03151"}   # a unit without records: phường Mường Lay


def moved(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(r, MaDonVi=UNITS[r["MaDonVi"]]) for r in records]


def moved_keys(expected: dict[tuple[str, str, str, str], Any]) -> dict[tuple[str, str, str, str], Any]:
    return {(kpi, UNITS[unit], grain, period): v for (kpi, unit, grain, period), v in expected.items()}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("dien-bien")), province=PROVINCE)
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


def test_the_province_folder_is_complete() -> None:
    problems: list[str] = []
    units = load_units(ROOT / "config" / "provinces" / PROVINCE, problems)
    assert not problems and units is not None
    assert units.province.code == "11" and units.province.name_vi == "Điện Biên"
    assert len(units.of_level("commune")) == 45 and len(units.of_level("agency")) == 14
    lai_chau = load_units(ROOT / "config" / "provinces" / "lai-chau", problems)
    assert lai_chau is not None and not set(units.units) & set(lai_chau.units)


def test_its_units_are_accepted_and_counted(pipeline: Pipeline) -> None:
    status = pipeline.status()
    assert status["broker"]["embedded"]
    code, answer = pipeline.ingest("dvc", body(moved(ds.PHASE1)))
    assert code == 200 and (answer["accepted"], answer["duplicate"], answer["dead_lettered"]) == (21, 2, 0), (
        answer
    )
    code, answer = pipeline.ingest("dvc", body(moved(ds.PHASE2)))
    assert code == 200 and answer["accepted"] == len(ds.PHASE2), answer
    pipeline.wait_idle()
    actual = pipeline.kpis()
    assert_kpis(actual, moved_keys(ds.EXPECTED), list(moved_keys(dict.fromkeys(ds.ABSENT))))
    assert not [k for k in actual if k[1] in ("12", ds.A, ds.B, ds.S)], "a Lai Châu unit has KPI rows"


def test_lai_chau_units_are_unknown_here(pipeline: Pipeline) -> None:
    lai_chau = [
        dict(ds.D1[0], MaHoSo="LC-1"),
        dict(ds.D1[0], MaHoSo="LC-2", MaDonVi=ds.S),
        dict(ds.D1[0], MaHoSo="LC-3", MaDonVi="03390"),
    ]
    code, answer = pipeline.ingest("dvc", body(lai_chau))
    assert code == 200 and answer["accepted"] == 0, answer
    assert answer["dead_letter_reasons"] == {
        f"unknown_unit:{ds.A}": 1,
        f"unknown_unit:{ds.S}": 1,
        "unknown_unit:03390": 1,
    }
    pipeline.wait_idle()
    rows = pipeline.sql("SELECT reason, count(*) AS n FROM dead_letters GROUP BY reason")
    assert {r["reason"]: r["n"] for r in rows} == answer["dead_letter_reasons"]


def test_every_dien_bien_unit_has_its_live_rows(pipeline: Pipeline) -> None:
    rows = pipeline.sql(
        "SELECT kpi, unit_level, count(*) AS n, count(DISTINCT unit) AS units FROM kpi_latest "
        "WHERE grain = 'live' GROUP BY ALL"
    )
    counts = {(r["kpi"], r["unit_level"]): (r["n"], r["units"]) for r in rows}
    assert counts == {
        ("dvc.overdue_open", "commune"): (45, 45),
        ("dvc.overdue_open", "agency"): (14, 14),
        ("dvc.overdue_open", "province"): (1, 1),
        ("eoffice.overdue_open", "commune"): (45, 45),
        ("eoffice.overdue_open", "agency"): (14, 14),
        ("eoffice.overdue_open", "province"): (1, 1),
        ("telecom.sites_out", "commune"): (45, 45),
        ("telecom.sites_out", "province"): (1, 1),
        ("telecom.commune_cut_off", "commune"): (45, 45),
    }
    province = pipeline.sql("SELECT DISTINCT unit FROM kpi_latest WHERE unit_level = 'province'")
    assert province == [{"unit": "11"}]
