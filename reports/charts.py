"""The summary's charts, drawn with ReportLab's own chart library (vector, in the PDF's font)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

ACCENT = colors.HexColor("#1f5f99")
MUTED = colors.HexColor("#9db7d1")
WARN = colors.HexColor("#c0392b")


def ranking_chart(
    names: Sequence[str],
    totals: Sequence[float],
    title: str,
    font: str,
    width: float,
    highlight: str | None = None,
) -> Drawing:
    """Every unit's 766 total, best first, one bar each (names under the bars, turned)."""
    height = 190.0
    d = Drawing(width, height)
    d.add(String(0, height - 10, title, fontName=font, fontSize=9))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.height = 28, 62, height - 82
    chart.width = min(width - 36, 24.0 * len(names))  # a few units: narrow bars, not slabs
    chart.data = [list(totals)]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = font, 7
    chart.categoryAxis.categoryNames = list(names)
    labels = chart.categoryAxis.labels
    labels.fontName, labels.fontSize, labels.angle = font, 5.5 if len(names) > 25 else 7, 60
    labels.boxAnchor, labels.dx, labels.dy = "ne", 0, -2
    chart.bars[0].fillColor, chart.bars[0].strokeColor = ACCENT, None
    chart.barSpacing = 1
    if highlight is not None and highlight in names:
        chart.bars[(0, list(names).index(highlight))].fillColor = WARN
    d.add(chart)
    return d


def hours_chart(
    names: Sequence[str],
    hours: Sequence[float],
    title: str,
    font: str,
    width: float,
    number: Callable[[float], str],
) -> Drawing:
    """Hours cut off per commune, most first, one horizontal bar each."""
    bar = 13.0
    height = 30 + bar * len(names)
    d = Drawing(width, height)
    d.add(String(0, height - 10, title, fontName=font, fontSize=9))
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 14, width - 130, bar * len(names)
    chart.data = [list(reversed(hours))]
    chart.categoryAxis.categoryNames = list(reversed(names))
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = font, 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = number  # the reader's decimal separator
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = font, 7
    chart.bars[0].fillColor, chart.bars[0].strokeColor = WARN, None
    d.add(chart)
    return d
