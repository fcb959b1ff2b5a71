"""`ioc report` and the screens' downloads on the hand-worked data sets, checked against DuckDB.

One pipeline is fed every hand-worked data set (tests/dvc_dataset.py, tests/datasets/: both phases
of each source, the telecom cut-off steps one alarm at a time), with the supplied 766 figures of
tests/integration/test_index766.py. Then:
- the workbook is opened with openpyxl and every KPI, 766 total, group and component cell is
  compared with `kpi_latest` (relative tolerance 1e-9); a value without a row is an empty cell;
  every configured unit has one row with its code and name; the worklists equal the drill-down views;
- cut-off episodes equal the changes of telecom.commune_cut_off in kpi_history, with the operator
  who acknowledged the alert;
- the PDF is rendered to PNG (poppler's pdftoppm) and its text (pdftotext) checked: Vietnamese
  diacritics survive, unit names and the province's values are there, English by option.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from contract.settings import PROJECT_ROOT
from contract.units import load_units
from ioc.client import call
from reports.text import Text
from tests import datasets as sets
from tests import dvc_dataset as dvc
from tests.harness import Pipeline, ndjson
from tests.integration.test_index766 import SUPPLIED

pytestmark = pytest.mark.integration
PERIOD = "2026-11"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = load_units(PROJECT_ROOT / "config" / "provinces" / "lai-chau", [])
OPERATOR = "Trực ban Nguyễn Văn A"


def _send(p: Pipeline, source: str, records: list[Any]) -> None:
    code, answer = p.ingest(source, ndjson(records))
    assert code == 200, answer
    p.wait_idle()


def start_fed_pipeline(workdir: Path) -> Pipeline:
    """A running pipeline holding every hand-worked data set, one cut-off alert acknowledged."""
    (workdir / "config" / "index766").mkdir(parents=True)
    (workdir / "config" / "index766" / "supplied.toml").write_text(SUPPLIED)
    p = Pipeline(workdir, extra_config='[index766]\nsupplied = "config/index766/supplied.toml"\n')
    p.start()
    _send(p, "dvc", dvc.PHASE1 + dvc.PHASE2)
    _send(p, "eoffice", sets.EOFFICE_PHASE1 + sets.EOFFICE_PHASE2)
    _send(p, "population", sets.POP_PHASE1 + sets.POP_PHASE2)
    _send(p, "telecom", sets.TEL_PHASE1)
    _send(p, "telecom", sets.TEL_PHASE2)
    for record, *_ in sets.TEL_STEPS:  # one at a time: commune A is cut off, then no longer
        _send(p, "telecom", [record])
    alert = p.sql(f"SELECT alert_id FROM alerts WHERE rule = 'commune_cut_off' AND subject = '{sets.C}'")
    code, answer = call(
        f"{p.url}/ops/api/alerts/{alert[0]['alert_id']}/ack", "POST", orjson.dumps({"by": OPERATOR})
    )
    assert code == 200, answer
    return p


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = start_fed_pipeline(Path(tmp_path_factory.mktemp("reports")))
    yield p
    if p.proc is not None:
        assert p.stop() == 0


def report(p: Pipeline, tmp: Path, fmt: str, period: str = PERIOD, *options: str) -> Path:
    out = tmp / f"report-{period}-{'-'.join(options) or 'all'}.{fmt}"
    done = p.cli("report", "--format", fmt, "--period", period, "--out", str(out), *options)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    return out


def table(ws: Worksheet) -> tuple[list[str], list[dict[str, Any]]]:
    """Row 2 holds each column's key; rows from 3 are data, as dicts by key."""
    keys = [c.value for c in ws[2]]
    return keys, [dict(zip(keys, (c.value for c in row))) for row in ws.iter_rows(min_row=3)]


def latest(p: Pipeline, period: str = PERIOD) -> dict[tuple[str, str], float | None]:
    rows = p.sql(f"SELECT kpi, unit, value FROM kpi_latest WHERE grain = 'month' AND period = '{period}'")
    return {(r["kpi"], r["unit"]): r["value"] for r in rows}


def same(cell: Any, value: float | None) -> bool:
    if value is None:
        return cell is None
    return isinstance(cell, int | float) and math.isclose(cell, value, rel_tol=1e-9, abs_tol=1e-12)


def test_the_kpi_sheet_equals_kpi_latest(pipeline: Pipeline, tmp_path: Path) -> None:
    wb = load_workbook(report(pipeline, tmp_path, "xlsx"))
    keys, rows = table(wb["Chỉ tiêu"])
    values = latest(pipeline)
    kpis = {k for k, _ in values if not k.startswith("index766.")}
    assert set(keys[3:]) == kpis and keys[:3] == ["code", "name", "level"]
    assert UNITS is not None
    assert [(r["code"], r["name"]) for r in rows] == [
        (u.code, u.name_vi) for level in ("province", "agency", "commune") for u in UNITS.of_level(level)
    ]
    checked = empty = 0
    for row in rows:
        for kpi in keys[3:]:
            value = values.get((kpi, row["code"]))
            assert same(row[kpi], value), (kpi, row["code"], row[kpi], value)
            checked += value is not None
            empty += value is None
    assert checked == sum(1 for (k, _), v in values.items() if k in kpis and v is not None)
    assert checked > 50 and empty > 500  # most units have no records: their cells are empty, not 0
    assert rows[0]["dvc.on_time_rate"] == pytest.approx(values[("dvc.on_time_rate", dvc.P)], rel=1e-9)


def test_the_766_sheets_equal_kpi_latest_and_mark_their_basis(pipeline: Pipeline, tmp_path: Path) -> None:
    wb = load_workbook(report(pipeline, tmp_path, "xlsx"))
    values, before = latest(pipeline), latest(pipeline, "2026-10")
    keys, rows = table(wb["Chỉ số 766"])
    assert rows, "no 766 rows"
    for row in rows:
        for key in [k for k in keys if k.startswith("index766.")]:
            assert same(row[key], values.get((key, row["code"]))), (key, row)
        assert same(row["previous"], before.get(("index766.total", row["code"])))
    assert {r["code"]: r["index766.total"] for r in rows}[dvc.A] == pytest.approx(
        9 + 15 + 12 + 3 + 8 + 12 + 6 * (2 / 3) / 0.9, rel=1e-9
    )  # worked by hand in test_index766.py
    components = {
        (r["unit"], r["component"]): r
        for r in pipeline.sql(
            f"SELECT unit, component, ratio, basis FROM index766_components WHERE grain = 'month' "
            f"AND period = '{PERIOD}'"
        )
    }
    text, bases = Text("vi", TZ), set()
    for name in [s for s in wb.sheetnames if s.startswith("766 ")]:
        keys, rows = table(wb[name])
        for row in rows:
            assert same(row[keys[3]], values.get((keys[3], row["code"])))
            for key in [k for k in keys if k.endswith(".ratio")]:
                code = key.removesuffix(".ratio")
                stored = components[(row["code"], code)]
                assert same(row[f"{code}.ratio"], stored["ratio"]), (code, row["code"])
                assert same(row[f"{code}.points"], values[(f"index766.component.{code}", row["code"])])
                assert row[f"{code}.basis"] == text.basis(stored["basis"])
                bases.add(stored["basis"])
    assert {"measured", "supplied", "no_data", "not_applicable"} <= bases
    keys, rows = table(wb["766 CKMB"])
    a = next(r for r in rows if r["code"] == dvc.A)
    assert (a["PUBLISH_ON_TIME.ratio"], a["PUBLISH_ON_TIME.basis"]) == (0.5, "số liệu cung cấp")
    # no data: the ratio is empty, not 0; the points are what the rule gives (0 here)
    assert a["PUBLIC_CONTENT_FULL.ratio"] is None and a["PUBLIC_CONTENT_FULL.points"] == 0


def test_the_worklists_equal_the_drill_down_views(pipeline: Pipeline, tmp_path: Path) -> None:
    wb = load_workbook(report(pipeline, tmp_path, "xlsx"))
    _, late = table(wb["Hồ sơ trễ hạn"])
    expected = pipeline.sql(f"SELECT unit, dossier FROM late_dossiers WHERE month = '{PERIOD}'")
    assert sorted((r["unit"], r["dossier"]) for r in late) == sorted(
        (r["unit"], r["dossier"]) for r in expected
    )
    assert ("03388", "D3") in {(r["unit"], r["dossier"]) for r in late}
    d3 = next(r for r in late if r["dossier"] == "D3")
    assert d3["name"] == "Đoàn Kết" and d3["supplement_requests"] == 2
    _, overdue = table(wb["Hồ sơ quá hạn"])
    expected = pipeline.sql("SELECT unit, dossier FROM overdue_dossiers")
    assert sorted((r["unit"], r["dossier"]) for r in overdue) == sorted(
        (r["unit"], r["dossier"]) for r in expected
    )
    _, quarter_late = table(load_workbook(report(pipeline, tmp_path, "xlsx", "2026-Q3"))["Hồ sơ trễ hạn"])
    assert [(r["unit"], r["dossier"]) for r in quarter_late] == [("12.SNV", "D6")]  # back-filled, September


def test_cut_off_episodes_are_the_changes_of_the_kpi(pipeline: Pipeline, tmp_path: Path) -> None:
    month = datetime.now(TZ).strftime("%Y-%m")  # the episodes happened while the test ran
    wb = load_workbook(report(pipeline, tmp_path, "xlsx", month))
    _, rows = table(wb["Mất liên lạc"])
    changes = pipeline.sql(
        "SELECT unit, updated_at, value FROM kpi_history "
        "WHERE kpi = 'telecom.commune_cut_off' AND NOT retracted ORDER BY ALL"
    )
    starts = {(c["unit"], _local(c["updated_at"])) for c in changes if c["value"] == 1}
    ends = {(c["unit"], _local(c["updated_at"])) for c in changes if c["value"] == 0}
    assert sorted(r["unit"] for r in rows) == [sets.A, sets.C]
    for r in rows:
        assert any(u == r["unit"] and abs(at - r["start"]) < timedelta(milliseconds=2) for u, at in starts), r
        if r["unit"] == sets.A:  # cut off at the third alarm, back at the clear
            assert r["ongoing"] is None and r["acknowledged_by"] is None
            assert any(u == sets.A and abs(at - r["end"]) < timedelta(milliseconds=2) for u, at in ends)
            assert r["hours"] == pytest.approx((r["end"] - r["start"]).total_seconds() / 3600, abs=1e-6)
        else:  # Bình Lư: its one site out since phase 1, still
            assert (r["name"], r["end"], r["ongoing"]) == ("Bình Lư", None, "Có")
            assert r["acknowledged_by"] == OPERATOR


def _local(at: Any) -> datetime:
    value = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    return value.astimezone(TZ).replace(tzinfo=None)


def test_one_unit_in_english(pipeline: Pipeline, tmp_path: Path) -> None:
    wb = load_workbook(report(pipeline, tmp_path, "xlsx", PERIOD, "--unit", dvc.A, "--lang", "en"))
    assert wb.sheetnames[:3] == ["About", "KPIs", "766 index"]
    keys, rows = table(wb["KPIs"])
    values = latest(pipeline)
    assert [(r["code"], r["name"], r["level"]) for r in rows] == [(dvc.A, "Đoàn Kết", "Communes and wards")]
    assert all(same(rows[0][k], values.get((k, dvc.A))) for k in keys[3:])
    _, late = table(wb["Late dossiers"])
    assert {r["unit"] for r in late} == {dvc.A}


def pdf_text(path: Path) -> str:
    assert path.read_bytes()[:5] == b"%PDF-"
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_summary_pdf_renders_in_vietnamese(pipeline: Pipeline, tmp_path: Path) -> None:
    path = report(pipeline, tmp_path, "pdf")
    text = pdf_text(path)
    values = latest(pipeline)
    t = Text("vi", TZ)
    for phrase in (
        "Báo cáo điều hành",
        "Tháng 11/2026",
        "So với Tháng 10/2026",
        "Toàn tỉnh Lai Châu",
        "Tỷ lệ giải quyết đúng hạn",
        "Tỷ lệ hồ sơ số hóa",
        "Xếp hạng Chỉ số 766",
        "Đoàn Kết",
        "Tân Phong",
        "Xã, phường mất điểm và nguyên nhân",
        "Hồ sơ xử lý trước hạn, đúng hạn: mất 5,00/20 điểm (đo được)",
        "Mất liên lạc di động theo xã",
        "Không có xã nào mất liên lạc trong kỳ",
    ):
        assert phrase in text, phrase
    on_time = t.kpi_value(_catalogue(), "dvc.on_time_rate", values[("dvc.on_time_rate", dvc.P)])
    total_a = t.number(values[("index766.total", dvc.A)], 1)
    assert on_time in text and total_a in text, (on_time, total_a)
    pages = sorted(_png(path, tmp_path))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)


def test_the_summary_in_english_with_cut_off_hours(pipeline: Pipeline, tmp_path: Path) -> None:
    month = datetime.now(TZ).strftime("%Y-%m")
    text = pdf_text(report(pipeline, tmp_path, "pdf", month, "--lang", "en"))
    for phrase in (
        "Operations report",
        "Province of Lai Chau",
        "Mobile cut-off per commune",
        "Đoàn Kết",
        "Bình Lư",
        "Hours cut off",
    ):
        assert phrase in text, phrase


def test_the_screens_download_the_same_workbook(pipeline: Pipeline, tmp_path: Path) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{pipeline.url}/ops/api/report.xlsx?period={PERIOD}") as resp:
        assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert f'filename="ioc-report-12-{PERIOD}-vi.xlsx"' in resp.headers["Content-Disposition"]
        downloaded = load_workbook(BytesIO(resp.read()))
    cli = load_workbook(report(pipeline, tmp_path, "xlsx"))
    for sheet in ("Chỉ tiêu", "Chỉ số 766", "766 TDGQ", "Hồ sơ trễ hạn"):
        assert table(downloaded[sheet]) == table(cli[sheet]), sheet
    with urllib.request.urlopen(f"{pipeline.url}/ops/api/report.pdf?period={PERIOD}&lang=en") as resp:
        assert resp.headers["Content-Type"] == "application/pdf" and resp.read()[:5] == b"%PDF-"
    for query in ("period=2026-13", "period=2026-11&unit=99999", "period=2026-11&lang=fr"):
        code, answer = call(f"{pipeline.url}/ops/api/report.xlsx?{query}")
        assert code == 400 and answer["error"], query
    assert call(f"{pipeline.url}/ops/api/report.docx?period=2026-11")[0] == 400


def test_bad_arguments_are_refused_before_anything_is_read(pipeline: Pipeline, tmp_path: Path) -> None:
    for args, message in (
        (["--period", "2026-13"], "not a month period"),
        (["--period", "2026-11", "--unit", "12.XYZ"], "not a unit of"),
    ):
        done = pipeline.cli("report", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"), *args)
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "x.xlsx").exists()


def _catalogue() -> Any:
    from gateway.web.api import kpi_catalogue

    return kpi_catalogue()


def _png(pdf: Path, tmp: Path) -> list[Path]:
    assert shutil.which("pdftoppm"), "poppler-utils: `make poppler`"
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp / "page")], check=True)
    return list(tmp.glob("page*.png"))
