"""The workbook for the departments (openpyxl): KPIs per unit, the 766 index and one sheet per 766
group with its components, the late-dossier worklist, dossiers overdue now, and cut-off episodes.

Every table has two header rows: the label in the reader's language, then a key (the KPI name of
the data contract, a component code) that stays the same in both languages, so a formula or a
script can find its column. Every unit row carries the unit's code and name. A value that has no
row in DuckDB is an empty cell, never 0; numbers keep their full precision (the cell's format only
rounds what is shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports.model import Report
from reports.summary import band_name, component_name
from reports.text import Text

NUMBER_FORMATS = {
    "percent": "0.0%",
    "count": "#,##0",
    "flag": "0",
    "days": "0.00",
    "ms": "#,##0",
    "points": "0.0",
    "number": "0.00",
}
DATETIME = "dd/mm/yyyy hh:mm"
BOLD, KEY_FONT = Font(bold=True), Font(size=8, color="808080")
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")


def workbook(report: Report) -> bytes:
    wb = Workbook()
    t = report.text
    about = wb.active
    assert about is not None
    about.title = t("sheet_about")
    _about(report, about)
    _kpis(report, wb.create_sheet(t("sheet_kpis")))
    if report.has_index and report.rules is not None:
        _index(report, wb.create_sheet(t("sheet_index")))
        for group in report.rules.groups:
            _group(report, wb.create_sheet(t("sheet_group", code=group.code)), group.code)
    _late(report, wb.create_sheet(t("sheet_late")))
    _overdue(report, wb.create_sheet(t("sheet_overdue")))
    _cut_offs(report, wb.create_sheet(t("sheet_cut_off")))
    wb.properties.title = f"{t('title')} {report.province.name_vi} {report.spec.period}"
    wb.properties.creator = "IOC pipeline"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _unit_header(ws: Worksheet, t: Text, columns: Sequence[tuple[str, str]]) -> None:
    """A table whose rows start with the unit's code, name and level, then `columns` (label, key)."""
    pairs = [("col_code", "unit"), ("col_name", "name"), ("col_level", "level"), *columns]
    _header(ws, [t(label) for label, _ in pairs], [key for _, key in pairs])


def _header(ws: Worksheet, labels: Sequence[str], keys: Sequence[str]) -> None:
    """Row 1 the labels, row 2 the keys; data from row 3, the first three columns frozen."""
    ws.append(list(labels))
    ws.append(list(keys))
    for col, label in enumerate(labels, start=1):
        ws.cell(1, col).font, ws.cell(1, col).fill = BOLD, HEAD_FILL
        ws.cell(1, col).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(2, col).font = KEY_FONT
        ws.column_dimensions[get_column_letter(col)].width = max(10, min(40, len(str(label)) * 0.9 + 2))
    ws.freeze_panes = "D3"


def _put(
    ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None, fill: str = ""
) -> None:
    cell = ws.cell(row, col)
    if value is not None:
        cell.value = value
        if number_format:
            cell.number_format = number_format
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)


def _unit_cells(report: Report, code: str) -> list[Any]:
    level = report.units.level(code) or ""
    return [code, report.name(code), report.text.level(level) if level else ""]


def _about(report: Report, ws: Worksheet) -> None:
    t, spec = report.text, report.spec
    scope = (
        t("scope_unit", name=report.name(spec.unit), code=spec.unit)
        if spec.unit
        else t("scope_province", name=report.name(report.province.code))
    )
    rows = [
        (t("title"), t("centre")),
        (t("about_period"), t.period(spec.grain, spec.period)),
        (t("about_previous"), t.period(spec.grain, spec.previous)),
        (t("about_scope"), scope),
        (t("about_generated"), t.when(spec.now)),
        ("", t("about_times", tz=report.units.timezone.key)),
        ("", t("about_missing")),
        ("", t("about_late")),
        ("", t("about_overdue")),
        ("", t("about_cut_off")),
        ("", ""),
        (t("about_basis"), ""),
    ]
    for row in rows:
        ws.append(list(row))
    ws.cell(1, 1).font = Font(bold=True, size=14)
    for basis in t.known_bases():
        ws.append([basis, t.basis(basis)])
        _put(ws, ws.max_row, 2, None, fill=t.basis_fill(basis))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 28, 90


def _kpis(report: Report, ws: Worksheet) -> None:
    t, cat = report.text, report.catalogue
    columns = report.kpi_columns()
    _header(
        ws,
        [t("col_code"), t("col_name"), t("col_level")] + [cat.name(k, t.lang) for k in columns],
        ["code", "name", "level"] + columns,
    )
    for unit in report.in_scope():
        ws.append(_unit_cells(report, unit.code))
        for col, kpi in enumerate(columns, start=4):
            _put(ws, ws.max_row, col, report.value(kpi, unit.code), NUMBER_FORMATS.get(cat.format(kpi)[0]))


def _index(report: Report, ws: Worksheet) -> None:
    t, rules = report.text, report.rules
    assert rules is not None
    groups = [f"index766.group.{g.code}" for g in rules.groups]
    _header(
        ws,
        [
            t("col_code"),
            t("col_name"),
            t("col_level"),
            t("col_rank"),
            t("col_total"),
            t("col_official"),
            t("col_difference"),
            t("col_official_groups"),
            t("col_band"),
            t("col_previous_total"),
            t("col_change_total"),
        ]
        + [report.catalogue.name(g, t.lang) for g in groups],
        ["code", "name", "level", "rank", "index766.total", "official.total", "official.difference",
         "official.groups", "band", "previous", "change"] + groups,
    )
    for unit in report.in_scope():
        score = report.scores.get(unit.code)
        if score is None and report.value("index766.total", unit.code) is None:
            continue
        ws.append(_unit_cells(report, unit.code))
        row = ws.max_row
        _put(ws, row, 4, score.rank if score else None)
        now, before = (report.value("index766.total", unit.code, previous=p) for p in (False, True))
        _put(ws, row, 5, now, "0.0")
        official = report.comparison(unit.code)
        _put(ws, row, 6, official.official if official else None, "0.00")
        _put(ws, row, 7, official.difference if official else None, "+0.00;-0.00;0.00")
        _put(ws, row, 8, official.official_groups if official else None)
        _put(ws, row, 9, band_name(report, score.band) if score and score.band else None)
        _put(ws, row, 10, before, "0.0")
        _put(ws, row, 11, None if now is None or before is None else now - before, "+0.0;-0.0;0.0")
        for col, kpi in enumerate(groups, start=12):
            _put(ws, row, col, report.value(kpi, unit.code), "0.0")


def _group(report: Report, ws: Worksheet, group: str) -> None:
    t, rules = report.text, report.rules
    assert rules is not None
    parts = [c for c in rules.components if c.group == group]
    labels = [t("col_code"), t("col_name"), t("col_level"), t("col_group_points"), t("col_official"),
              t("col_difference")]
    keys = ["code", "name", "level", f"index766.group.{group}", f"official.{group}",
            f"official.difference.{group}"]
    for c in parts:
        name = component_name(report, c.code)
        labels += [
            f"{name} ({t('col_ratio')})",
            f"{name} ({t('col_points')}, /{c.max:g})",
            f"{name} ({t('col_basis')})",
        ]
        keys += [f"{c.code}.ratio", f"{c.code}.points", f"{c.code}.basis"]
    _header(ws, labels, keys)
    for unit in report.in_scope():
        found = {c.code: c for c in report.components_of(unit.code) if c.group == group}
        if not found:
            continue
        ws.append(_unit_cells(report, unit.code))
        row = ws.max_row
        _put(ws, row, 4, report.value(f"index766.group.{group}", unit.code), "0.0")
        official = report.comparison(unit.code)
        mine = next((g for g in official.groups if g.code == group), None) if official else None
        _put(ws, row, 5, mine.official if mine else None, "0.00")
        _put(ws, row, 6, mine.difference if mine else None, "+0.00;-0.00;0.00")
        for i, part in enumerate(parts):
            got = found.get(part.code)
            fill = t.basis_fill(got.basis) if got else ""
            col = 7 + 3 * i
            _put(ws, row, col, got.ratio if got else None, "0.0%", fill)
            _put(ws, row, col + 1, got.points if got else None, "0.00", fill)
            _put(ws, row, col + 2, t.basis(got.basis) if got else None, None, fill)


def _late(report: Report, ws: Worksheet) -> None:
    t = report.text
    _unit_header(ws, t, [("col_dossier", "dossier"), ("col_procedure", "procedure"),
                         ("col_received", "received_at"), ("col_due", "due_at"), ("col_end", "end_at"),
                         ("col_supplement_days", "supplement_days"),
                         ("col_supplement_requests", "supplement_requests"), ("col_late_days", "late_days")])
    for d in report.late:
        ws.append(_unit_cells(report, d.unit) + [d.dossier, d.procedure])
        row = ws.max_row
        for col, at in enumerate((d.received_at, d.due_at, d.end_at), start=6):
            _put(ws, row, col, t.local(at), DATETIME)
        _put(ws, row, 9, d.supplement_days, "0.00")
        _put(ws, row, 10, d.supplement_requests)
        _put(ws, row, 11, d.late_days, "0.00")


def _overdue(report: Report, ws: Worksheet) -> None:
    t = report.text
    _unit_header(ws, t, [("col_dossier", "dossier"), ("col_procedure", "procedure"), ("col_status", "status"),
                         ("col_received", "received_at"), ("col_due", "due_at")])
    for d in report.overdue:
        ws.append(_unit_cells(report, d.unit) + [d.dossier, d.procedure, d.status])
        _put(ws, ws.max_row, 7, t.local(d.received_at), DATETIME)
        _put(ws, ws.max_row, 8, t.local(d.due_at), DATETIME)


def _cut_offs(report: Report, ws: Worksheet) -> None:
    t = report.text
    _unit_header(ws, t, [("col_start", "start"), ("col_stop", "end"), ("col_hours_in_period", "hours"),
                         ("col_ongoing", "ongoing"), ("col_acknowledged_by", "acknowledged_by")])
    for e in report.cut_offs:
        ws.append(_unit_cells(report, e.commune))
        row = ws.max_row
        _put(ws, row, 4, t.local(e.start), DATETIME)
        _put(ws, row, 5, t.local(e.end), DATETIME)
        _put(ws, row, 6, e.hours, "0.00")
        _put(ws, row, 7, t("yes") if e.end is None else None)
        _put(ws, row, 8, e.acknowledged_by)
