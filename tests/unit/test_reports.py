"""The reports' pure parts: periods, the spec's checks, cut-off episodes, numbers in both languages,
the assembled report and what the summary says of it, and the workbook of a small made-up store
(an absent value is an empty cell, never 0)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from contract.periods import check_period, grain_of, period_bounds, previous_period
from contract.settings import PROJECT_ROOT
from contract.units import load_units
from gateway.web.api import kpi_catalogue
from ioc.config import load_config
from reports import assemble, queries, render, report_spec
from reports.episodes import episodes, per_commune
from reports.settings import ReportSettings
from reports.summary import headline, losers, movers
from reports.text import Text

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UNITS = load_units(PROJECT_ROOT / "config" / "provinces" / "lai-chau", [])
RULES = load_config().index766.rules  # type: ignore[union-attr]
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
H = 3_600_000


@pytest.mark.parametrize(
    "period,grain,previous",
    [
        ("2026-11-22", "day", "2026-11-21"),
        ("2026-03-01", "day", "2026-02-28"),
        ("2026-01", "month", "2025-12"),
        ("2026-Q1", "quarter", "2025-Q4"),
        ("2026-Q3", "quarter", "2026-Q2"),
        ("2026", "year", "2025"),
    ],
)
def test_a_period_has_a_grain_and_a_previous_one(period: str, grain: str, previous: str) -> None:
    assert grain_of(period) == grain and previous_period(grain, period) == previous


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-02-30", "2026-Q5", "26", "2026-11' OR 1=1", "", "2026-W01"]
)
def test_what_is_not_a_period(period: str) -> None:
    with pytest.raises(ValueError):
        grain_of(period)


def test_a_month_ends_where_the_next_begins_in_local_time() -> None:
    start, end = period_bounds("month", "2026-12", TZ)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00")
    assert period_bounds("quarter", "2026-Q4", TZ)[1] == period_bounds("year", "2026", TZ)[1]
    assert check_period("day", "2028-02-29") == "2028-02-29"


def test_the_spec_refuses_what_is_not_this_province() -> None:
    assert UNITS is not None
    spec = report_spec("2026-11", "12", "vi", UNITS, NOW)
    assert (
        spec.unit is None
        and spec.previous == "2026-10"
        and spec.file_name("12", "pdf") == ("ioc-report-12-2026-11-vi.pdf")
    )
    for period, unit, lang in (
        ("2026-11", "11.SNV", "vi"),
        ("2026-11", "03388' --", "vi"),
        ("2026-11", None, "fr"),
        ("November", None, "vi"),
    ):
        with pytest.raises(ValueError):
            report_spec(period, unit, lang, UNITS, NOW)
    sql = queries(report_spec("2026-Q4", "03388", "en", UNITS, NOW))
    assert "period IN ('2026-Q4', '2026-Q3')" in sql["kpis"] and "unit = '03388'" in sql["late"]


def test_episodes_are_clipped_to_the_period_and_to_now() -> None:
    start, end, now = 100 * H, 200 * H, 150 * H
    changes = [
        {"unit": "A", "changed_at": 90 * H, "value": 1},  # began before the period
        {"unit": "A", "changed_at": 110 * H, "value": 0},
        {"unit": "A", "changed_at": 120 * H, "value": 1},
        {"unit": "A", "changed_at": 125 * H, "value": 0},
        {"unit": "B", "changed_at": 140 * H, "value": 1},  # still cut off now
        {"unit": "C", "changed_at": 50 * H, "value": 0},  # nothing in the period
    ]
    alerts = [{"unit": "A", "raised_at": 120 * H + 5, "cleared_at": 125 * H, "acknowledged_by": "Lò Văn B"}]
    got = episodes(changes, alerts, start, end, now)
    assert [(e.commune, e.hours, e.end is None, e.acknowledged_by) for e in got] == [
        ("A", 10.0, False, None),
        ("A", 5.0, False, "Lò Văn B"),
        ("B", 10.0, True, None),
    ]
    assert got[0].start == datetime.fromtimestamp(90 * 3600, UTC)
    summary = per_commune(got)
    assert [(c.commune, c.episodes, c.hours, c.longest) for c in summary] == [
        ("A", 2, 15.0, 10.0),
        ("B", 1, 10.0, 10.0),
    ]
    past = episodes(
        changes[4:5] + [{"unit": "B", "changed_at": 260 * H, "value": 0}], [], start, end, 300 * H
    )
    assert [(e.hours, e.end is None) for e in past] == [(60.0, False)]  # ran past the period's end


def test_numbers_read_as_each_language_writes_them() -> None:
    vi, en, cat = Text("vi", TZ), Text("en", TZ), kpi_catalogue()
    assert (vi.number(1234.5, 1), en.number(1234.5, 1), vi.number(-0.04, 1)) == ("1.234,5", "1,234.5", "0,0")
    assert vi.kpi_value(cat, "dvc.on_time_rate", 0.75) == "75,0%"
    assert en.kpi_value(cat, "dvc.avg_processing_days", 2.802083) == "2.80 days"
    assert vi.kpi_change(cat, "dvc.on_time_rate", 0.75, 0.8) == "−5,0 điểm %"
    assert (
        en.kpi_change(cat, "dvc.received", 12, 7) == "+5" and vi.kpi_value(cat, "dvc.received", None) == "—"
    )
    assert (vi.period("quarter", "2026-Q4"), en.period("month", "2026-11")) == ("Quý 4/2026", "November 2026")
    assert (vi.basis("supplied"), en.basis("official"), en.basis("estimated")) == (
        "số liệu cung cấp",
        "official",
        "estimated",
    )  # a basis the strings do not know reads as written


def _rows() -> dict[str, list[dict[str, Any]]]:
    """A made-up store: two communes, one falling since October, the province."""
    kpi = [
        {
            "kpi": k,
            "unit": u,
            "unit_level": "commune",
            "period": p,
            "value": v,
            "numerator": None,
            "denominator": None,
        }
        for k, u, p, v in (
            ("dvc.received", "03388", "2026-11", 4.0),
            ("dvc.on_time_rate", "03388", "2026-11", 0.5),
            ("dvc.on_time_rate", "03388", "2026-10", 1.0),
            ("dvc.received", "12", "2026-11", 4.0),
            ("index766.total", "03388", "2026-11", 60.0),
            ("index766.total", "03388", "2026-10", 70.0),
            ("index766.total", "03408", "2026-11", 80.0),
        )
    ]
    scores = [
        {
            "unit": u,
            "unit_level": "commune",
            "period": p,
            "version": "portal-2025",
            "total": t,
            "band": "kha",
            "band_confirmed": False,
        }
        for u, p, t in (("03388", "2026-11", 60.0), ("03388", "2026-10", 70.0), ("03408", "2026-11", 80.0))
    ]
    comps = [
        {
            "unit": "03388",
            "period": p,
            "group_code": "TDGQ",
            "component": "ON_TIME",
            "kpi": "dvc.on_time_rate",
            "ratio": r,
            "points": 20 * r,
            "max_points": 20.0,
            "lost": 20 - 20 * r,
            "basis": "measured",
        }
        for p, r in (("2026-11", 0.5), ("2026-10", 1.0))
    ]
    comps.append(
        {
            "unit": "03408",
            "period": "2026-11",
            "group_code": "CKMB",
            "component": "PUBLISH_ON_TIME",
            "kpi": None,
            "ratio": None,
            "points": 0.0,
            "max_points": 6.0,
            "lost": 6.0,
            "basis": "no_data",
        }
    )
    return {
        "kpis": kpi,
        "scores": scores,
        "components": comps,
        "late": [],
        "overdue": [],
        "cut_off": [],
        "cut_off_alerts": [],
    }


def test_the_summary_names_the_fallen_commune_and_why() -> None:
    assert UNITS is not None
    report = assemble(
        report_spec("2026-11", None, "vi", UNITS, NOW),
        UNITS,
        RULES,
        kpi_catalogue(),
        ReportSettings(movers=2),
        _rows(),
    )
    assert [(h.kpi, h.now, h.before) for h in headline(report)] == [("dvc.received", 4.0, None)]
    assert [(m.unit, m.change) for m in movers(report)] == [("03388", -10.0)]
    found = losers(report)
    assert [(lo.score.unit, lo.fell) for lo in found] == [("03388", True), ("03408", False)]
    assert [(r.component.code, r.before.points if r.before else None) for r in found[0].reasons] == [
        ("ON_TIME", 20.0)
    ]
    assert [r.component.code for r in found[1].reasons] == ["PUBLISH_ON_TIME"]
    assert report.scores["03408"].rank == 1 and report.scores["03388"].rank == 2


def test_the_workbook_leaves_absent_values_empty() -> None:
    assert UNITS is not None
    report = assemble(
        report_spec("2026-11", None, "en", UNITS, NOW),
        UNITS,
        RULES,
        kpi_catalogue(),
        ReportSettings(),
        _rows(),
    )
    wb = load_workbook(BytesIO(render(report, "xlsx")))
    ws = wb["KPIs"]
    keys = [c.value for c in ws[2]]
    rows = {r[0]: dict(zip(keys, r)) for r in ws.iter_rows(min_row=3, values_only=True)}
    assert len(rows) == 1 + 14 + 38 and keys[3:] == ["dvc.received", "dvc.on_time_rate"]
    assert rows["03388"]["dvc.on_time_rate"] == 0.5 and rows["12"]["dvc.on_time_rate"] is None
    assert rows["03408"]["dvc.received"] is None and rows["03408"]["name"] == "Tân Phong"
    ws = wb["766 CKMB"]
    keys = [c.value for c in ws[2]]
    tan_phong = dict(zip(keys, next(ws.iter_rows(min_row=3, values_only=True))))
    assert (
        tan_phong["code"],
        tan_phong["PUBLISH_ON_TIME.ratio"],
        tan_phong["PUBLISH_ON_TIME.points"],
        tan_phong["PUBLISH_ON_TIME.basis"],
    ) == ("03408", None, 0, "no data")
    assert render(report, "pdf")[:5] == b"%PDF-"
