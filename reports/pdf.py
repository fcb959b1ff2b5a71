"""The leadership summary as PDF (ReportLab), in Vietnamese with its diacritics by default: the
headline KPIs against the previous period, the 766 ranking with the biggest movers, the communes
that lost points and why, and cut-off hours per commune, with charts.

The font (Be Vietnam Pro, SIL OFL, reports/fonts/) is embedded, so the PDF reads the same on a
machine without it; text is NFC-normalised (one code point per Vietnamese letter, as the font maps it).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from contract.units import AGENCY, COMMUNE
from reports.charts import hours_chart, ranking_chart
from reports.model import Report
from reports.summary import (
    Loser,
    band_confirmed,
    band_name,
    component_name,
    cut_off_hours,
    headline,
    losers,
    movers,
)

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD, ITALIC = "BeVietnamPro", "BeVietnamPro-Bold", "BeVietnamPro-Italic"
WIDTH = A4[0] - 36 * mm
GRID = colors.HexColor("#c8d3de")
HEAD = colors.HexColor("#dce6f1")


@cache
def _fonts() -> None:
    for name, file in ((REGULAR, "Regular"), (BOLD, "Bold"), (ITALIC, "Italic")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / f"BeVietnamPro-{file}.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13)
    return {
        "body": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8, leading=10.5, textColor=colors.HexColor("#555555")
        ),
        "centre": ParagraphStyle("centre", parent=base, fontSize=9, textColor=colors.HexColor("#1f5f99")),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=17, leading=22, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=12,
            leading=16,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=True,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
    }


def _text(value: Any) -> str:
    return escape(unicodedata.normalize("NFC", str(value)))


def summary_pdf(report: Report) -> bytes:
    _fonts()
    s, t = _styles(), report.text
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=unicodedata.normalize("NFC", _title(report)),
        author=t("centre"),
        lang=report.spec.lang,
    )
    communes = report.subject.level != AGENCY   # an agency's summary has no commune sections
    story: list[Any] = _cover(report, s) + _headline(report, s)
    if report.has_index:
        story += _ranking(report, s) + (_losers(report, s) if communes else [])
    story += _cut_offs(report, s) if communes else []

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(18 * mm, 9 * mm, unicodedata.normalize("NFC", f"{t('centre')} · {_title(report)}"))
        canvas.drawRightString(A4[0] - 18 * mm, 9 * mm, t("page", n=document.page))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _title(report: Report) -> str:
    t = report.text
    return f"{t('title')} — {t.period(report.spec.grain, report.spec.period)}"


def _scope(report: Report) -> str:
    t, spec = report.text, report.spec
    if spec.unit:
        return t("scope_unit", name=report.name(spec.unit), code=spec.unit)
    return t("scope_province", name=report.name(report.province.code))


def _cover(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t, spec = report.text, report.spec
    return [
        Paragraph(_text(t("centre")), s["centre"]),
        Paragraph(_text(_title(report)), s["title"]),
        Paragraph(_text(_scope(report)), s["body"]),
        Paragraph(_text(t("compared", previous=t.period(spec.grain, spec.previous))), s["body"]),
        Paragraph(_text(t("generated", at=t.when(spec.now), tz=report.units.timezone.key)), s["small"]),
    ]


def _table(
    rows: list[list[Any]], widths: list[float], numeric_from: int = 1, bold_rows: tuple[int, ...] = ()
) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), REGULAR, 8.5),
        ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("FONT", (0, r), (-1, r), BOLD, 8.5) for r in bold_rows]
    table.setStyle(TableStyle(style))
    return table


def _headline(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t, cat = report.text, report.catalogue
    rows: list[list[Any]] = [[t("col_kpi"), t("col_now"), t("col_before"), t("col_change")]]
    for h in headline(report):
        rows.append(
            [
                Paragraph(_text(cat.name(h.kpi, t.lang)), s["cell"]),
                t.kpi_value(cat, h.kpi, h.now),
                t.kpi_value(cat, h.kpi, h.before),
                t.kpi_change(cat, h.kpi, h.now, h.before),
            ]
        )
    if len(rows) == 1:
        return [Paragraph(_text(t("headline")), s["h2"]), Paragraph(_text(t("no_data")), s["body"])]
    return [
        Paragraph(_text(t("headline")), s["h2"]),
        _table(rows, [WIDTH * 0.46, WIDTH * 0.18, WIDTH * 0.18, WIDTH * 0.18]),
    ]


def _ranking(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t, rules = report.text, report.rules
    assert rules is not None
    subject_level = report.units.level(report.spec.unit) if report.spec.unit else None
    story: list[Any] = [Paragraph(_text(t("ranking")), s["h2"])]
    communes = [sc for sc in report.ranked(COMMUNE) if sc.total is not None]
    if communes:
        story.append(
            ranking_chart(
                [report.name(sc.unit) for sc in communes],
                [sc.total or 0 for sc in communes],
                t("chart_ranking"),
                REGULAR,
                WIDTH,
                report.name(report.spec.unit) if report.spec.unit else None,
            )
        )
    for level in (COMMUNE, AGENCY):
        if subject_level not in (None, level):
            continue
        scored = [sc for sc in report.ranked(level) if sc.total is not None]
        if not scored:
            continue
        rows: list[list[Any]] = [
            [
                t("col_rank"),
                t.level(level),
                t("col_total"),
                t("col_official_short"),
                t("col_official_difference"),
                t("col_band"),
                t("col_previous_total"),
                t("col_change"),
            ]
        ]
        bold: list[int] = []
        for sc in scored:
            star = "" if band_confirmed(report, sc.band) else "*"
            rows.append(
                [
                    str(sc.rank),
                    Paragraph(_text(report.name(sc.unit)), s["cell"]),
                    t.number(sc.total or 0, 1),
                    *_official_cells(report, sc.unit),
                    band_name(report, sc.band) + star,
                    "—" if sc.previous is None else t.number(sc.previous, 1),
                    "—" if sc.change is None else t.signed(sc.change, 1),
                ]
            )
            if sc.unit == report.spec.unit:
                bold.append(len(rows) - 1)
        story += [
            Spacer(1, 4),
            _table(
                rows,
                [WIDTH * w for w in (0.07, 0.27, 0.11, 0.12, 0.11, 0.13, 0.10, 0.09)],
                numeric_from=2,
                bold_rows=tuple(bold),
            ),
        ]
    story.append(Paragraph(_text(t("ranking_note", version=rules.version)), s["small"]))
    if report.comparisons:
        story.append(Paragraph(_text(t("official_note")), s["small"]))
    return story + _movers(report, s)


def _official_cells(report: Report, unit: str) -> list[str]:
    """The official score (or how many groups have one) and the estimate minus it."""
    c = report.comparison(unit)
    if c is None or c.official_groups == 0:
        return ["—", "—"]
    if c.official is None:
        groups = len(report.rules.groups) if report.rules else 0
        return [report.text("official_partial", n=c.official_groups, all=groups), "—"]
    difference = "—" if c.difference is None else report.text.signed(c.difference, 1)
    return [report.text.number(c.official, 1), difference]


def _movers(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t = report.text
    lines = [
        t(
            "mover_line",
            name=report.name(m.unit),
            delta=t.signed(m.change or 0, 1),
            now=t.number(m.total or 0, 1),
            before=t.number(m.previous or 0, 1),
        )
        for m in movers(report)
    ]
    body = [Paragraph(_text(line), s["body"]) for line in lines] or [
        Paragraph(_text(t("movers_none")), s["body"])
    ]
    return [KeepTogether([Paragraph(_text(t("movers")), s["h2"]), *body])]


def _losers(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t = report.text
    found = losers(report)
    story: list[Any] = [Paragraph(_text(t("losers")), s["h2"])]
    if not found:
        return story + [Paragraph(_text(t("losers_none")), s["body"])]
    for lo in found:
        story.append(
            KeepTogether(
                [
                    Spacer(1, 3),
                    Paragraph(
                        f"<b>{_text(report.name(lo.score.unit))}</b>: {_text(_why(report, lo))}", s["body"]
                    ),
                    *[Paragraph("• " + _text(r), s["cell"]) for r in _reasons(report, lo)],
                ]
            )
        )
    return story


def _why(report: Report, lo: Loser) -> str:
    t = report.text
    if lo.fell:
        return t("losers_fell", delta=t.number(-(lo.score.change or 0), 1))
    return t("losers_low", total=t.number(lo.score.total or 0, 1))


def _reasons(report: Report, lo: Loser) -> list[str]:
    t = report.text
    out = []
    for r in lo.reasons:
        c, name = r.component, component_name(report, r.component.code)
        if r.before is not None:
            out.append(
                t(
                    "losers_reason_change",
                    component=name,
                    delta=t.signed((c.points or 0) - (r.before.points or 0), 2),
                    now=t.percent(c.ratio),
                    before=t.percent(r.before.ratio),
                )
            )
        else:
            out.append(
                t(
                    "losers_reason_lost",
                    component=name,
                    lost=t.number(c.lost or 0, 2),
                    max=t.number(c.max, 0),
                    basis=t.basis(c.basis),
                )
            )
    return out


def _cut_offs(report: Report, s: dict[str, ParagraphStyle]) -> list[Any]:
    t = report.text
    rows = cut_off_hours(report)
    story: list[Any] = [
        Paragraph(_text(t("cut_off")), s["h2"]),
        Paragraph(_text(t("cut_off_note")), s["small"]),
    ]
    if not rows:
        return story + [Paragraph(_text(t("cut_off_none")), s["body"])]
    story.append(
        hours_chart(
            [report.name(r.commune) for r in rows],
            [r.hours for r in rows],
            t("chart_cut_off"),
            REGULAR,
            WIDTH,
            lambda v: t.number(v, 2 if max(r.hours for r in rows) < 10 else 0),
        )
    )
    table = [[t.level(COMMUNE), t("col_episodes"), t("col_hours"), t("col_longest")]]
    table += [
        [
            Paragraph(_text(report.name(r.commune)), s["cell"]),
            str(r.episodes),
            t.number(r.hours, 2),
            t.number(r.longest, 2),
        ]
        for r in rows
    ]
    return story + [Spacer(1, 4), _table(table, [WIDTH * w for w in (0.46, 0.18, 0.18, 0.18)])]
