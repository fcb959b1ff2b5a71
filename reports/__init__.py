"""Reports for the province's leaders and departments: `ioc report` and the screens' downloads.

spec.py      what a report is about (period, previous period, unit, language), checked
sql.py       what it reads from DuckDB (through the sink's read-only SQL, as `ioc sql` does)
model.py     the rows assembled into a Report (pure); summary.py what the summary says of it
episodes.py  cut-off episodes from the changes of telecom.commune_cut_off
xlsx.py      the workbook (openpyxl); pdf.py the leadership summary (ReportLab), charts.py
text.py      words (strings.toml), numbers and periods in Vietnamese or English
"""

from __future__ import annotations

from collections.abc import Callable

from reports.model import Report, Rows, assemble
from reports.spec import FORMATS, MEDIA_TYPES, ReportSpec, check_format, report_spec
from reports.sql import queries

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Report",
    "ReportSpec",
    "Rows",
    "assemble",
    "check_format",
    "collect",
    "queries",
    "render",
    "report_spec",
]


def collect(spec: ReportSpec, run: Callable[[str], Rows]) -> dict[str, Rows]:
    """Every query's rows, run one after the other by `run` (one read-only statement each)."""
    return {name: run(sql) for name, sql in queries(spec).items()}


def render(report: Report, fmt: str) -> bytes:
    if check_format(fmt) == "xlsx":
        from reports.xlsx import workbook

        return workbook(report)
    from reports.pdf import summary_pdf

    return summary_pdf(report)
