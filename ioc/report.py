"""`ioc report`: the workbook or the leadership summary of a period, read from the running
pipeline's DuckDB through its read-only SQL (as `ioc sql` does), written to a file."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ioc.client import call
from ioc.config import Config
from reports import FORMATS, Report, assemble, collect, render, report_spec
from reports.text import LANGS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, required=True, help="xlsx: the workbook; pdf: the summary")
    p.add_argument(
        "--period",
        required=True,
        help="a day 2026-11-22, month 2026-11, quarter 2026-Q4 or year 2026 (local time)",
    )
    p.add_argument("--unit", help="a commune or agency code (default: the whole province)")
    p.add_argument("--lang", choices=LANGS, help="language (default: [reports] language, vi)")
    p.add_argument("--out", type=Path, required=True, help="the file to write")


class QueryFailed(Exception):
    pass


def main(config: Config, args: argparse.Namespace) -> int:
    settings = config.settings
    try:
        spec = report_spec(
            args.period, args.unit, args.lang or config.reports.language, settings.units, datetime.now(UTC)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def run(query: str) -> list[dict[str, Any]]:
        code, answer = call(f"{settings.http_url}/sql", "POST", orjson.dumps({"query": query}))
        if code != 200:
            raise QueryFailed(answer.get("error", answer) if isinstance(answer, dict) else answer)
        if answer.get("truncated"):
            raise QueryFailed(
                f"more rows than the SQL service returns ({len(answer['rows']):,}): {query[:80]}"
            )
        return [dict(zip(answer["columns"], row)) for row in answer["rows"]]

    try:
        rows = collect(spec, run)
    except QueryFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from gateway.web.api import kpi_catalogue  # the screens' KPI names and formats

    rules = config.index766.rules if config.index766 else None
    report = assemble(spec, settings.units, rules, kpi_catalogue(), config.reports, rows)
    data = render(report, args.format)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes): {_contents(report)}")
    return 0


def _contents(report: Report) -> str:
    spec = report.spec
    scored = sum(1 for u in report.in_scope() if u.code in report.scores)
    return (
        f"{spec.grain} {spec.period} (previous {spec.previous}), {len(report.in_scope())} units, "
        f"{len(report.kpi_columns())} KPIs, 766 index of {scored} units, {len(report.late)} late dossiers, "
        f"{len(report.overdue)} overdue now, {len(report.cut_offs)} cut-off episodes"
    )
