"""JSON for the screens: the configuration they label things with, and history from DuckDB.

Live values do not come from here (see events.py): these handlers run when a screen opens, or
when a live event says the drill-down behind it changed.
"""
from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from contract.periods import check_period, previous_period
from contract.settings import Settings
from contract.topology import Topology
from contract.units import AGENCY, COMMUNE
from gateway.auth import USER_KEY
from gateway.web import queries
from gateway.web.hub import Hub
from gateway.web.sink import SinkClient, SinkUnavailable
from reports import MEDIA_TYPES, assemble, check_format, render, report_spec
from reports import sql as report_sql
from reports.settings import ReportSettings
from reports.text import KpiCatalogue, catalogue_from
from streams.kpis.index766.official import as_dict, compare_rows
from streams.kpis.index766.rules import Index766, Rules

_ALERT_ID = re.compile(r"^[0-9a-f]{32}$")
_DIGIT_RUN_12 = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")   # a personal id number is never stored
TREND_DAYS, TREND_MONTHS = 30, 12

Handler = Callable[[web.Request], Awaitable[web.Response]]
STATIC = Path(__file__).resolve().parent / "static"


def kpi_catalogue() -> KpiCatalogue:
    """The KPI names and formats the screens show, for the reports (one catalogue for both)."""
    return catalogue_from(orjson.loads((STATIC / "i18n.json").read_bytes()),
                          orjson.loads((STATIC / "kpis.json").read_bytes()))


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data, default=str), status=status, content_type="application/json",
                        headers={"Cache-Control": "no-store"})


def _guarded(handler: Handler) -> Handler:
    """Bad parameters answer 400, a sink that is restarting 503 (the screen shows it and retries)."""
    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        except SinkUnavailable as exc:
            return _json({"error": str(exc)}, 503)
    return run


def config_payload(settings: Settings, index766: Index766 | None, sources: list[str]) -> dict[str, Any]:
    """Names in both languages come from the province folder and the 766 rules, not from code."""
    units = settings.units
    rules = index766.rules if index766 else None
    return {
        "province": units.province.code,
        "timezone": units.timezone.key,
        "units": [{"code": u.code, "level": u.level, "name_vi": u.name_vi, "name_en": u.name_en}
                  for u in units.units.values()],
        "sources": sources,
        "index766": None if rules is None else {
            "version": rules.version, "grains": list(rules.grains),
            "groups": [{"code": g.code, "max": g.max} for g in rules.groups],
            "bands": [{"code": b.code, "min": b.min, "name_vi": b.name_vi, "name_en": b.name_en,
                       "confirmed": b.confirmed} for b in rules.bands]},
    }


def _series(rows: list[dict[str, Any]], x: str) -> dict[str, list[list[Any]]]:
    out: dict[str, list[list[Any]]] = {}
    for r in rows:
        out.setdefault(r["kpi"], []).append([r[x], r["value"]])
    return out


class ScreensApi:
    def __init__(self, settings: Settings, index766: Index766 | None, topology: Topology, sink: SinkClient,
                 hub: Hub, reports: ReportSettings | None = None) -> None:
        self.settings, self.index766, self.topology, self.sink, self.hub = (
            settings,
            index766,
            topology,
            sink,
            hub,
        )
        self.province = settings.units.province.code
        self.reports = reports or ReportSettings()

    def routes(self, prefix: str) -> list[web.RouteDef]:
        g = _guarded
        return [
            web.get(f"{prefix}/config", g(self.config)),
            web.get(f"{prefix}/trend", g(self.trend)),
            web.get(f"{prefix}/ranking", g(self.ranking)),
            web.get(f"{prefix}/communes", g(self.communes)),
            web.get(f"{prefix}/communes/{{code}}", g(self.commune)),
            web.get(f"{prefix}/worklist", g(self.worklist)),
            web.get(f"{prefix}/worklist/{{unit}}", g(self.unit_worklist)),
            web.get(f"{prefix}/alerts", g(self.alerts)),
            web.post(f"{prefix}/alerts/{{alert_id}}/ack", g(self.ack)),
            web.get(f"{prefix}/health", g(self.health_history)),
            web.get(f"{prefix}/report.{{fmt}}", g(self.report)),
        ]

    async def config(self, request: web.Request) -> web.Response:
        payload = config_payload(self.settings, self.index766, self.topology.sources)
        return _json({**payload, "periods": self.hub.current_periods()})

    async def trend(self, request: web.Request) -> web.Response:
        periods = self.hub.current_periods()
        today = date.fromisoformat(periods["day"])
        since_day = (today - timedelta(days=TREND_DAYS - 1)).isoformat()
        months = today.year * 12 + today.month - 1 - (TREND_MONTHS - 1)
        since_month = f"{months // 12:04d}-{months % 12 + 1:02d}"
        return _json(
            {
                "since_day": since_day,
                "since_month": since_month,
                "days": _series(await self.sink.rows(queries.trend_days(self.province, since_day)), "period"),
                "months": _series(
                    await self.sink.rows(queries.trend_months(self.province, since_month)), "period"
                ),
                "live": _series(await self.sink.rows(queries.trend_live(self.province)), "t"),
                "cut_off": [[r["t"], r["value"]] for r in await self.sink.rows(queries.trend_cut_off())],
            }
        )

    async def ranking(self, request: web.Request) -> web.Response:
        rules = self.index766.rules if self.index766 else None
        grain = request.query.get("grain", "month")
        if rules is None or grain not in rules.grains:
            raise ValueError(f"grain: one of {list(rules.grains) if rules else []}")
        period = check_period(grain, request.query.get("period") or self.hub.current_periods()[grain])
        previous = previous_period(grain, period)
        return _json(
            {
                "grain": grain,
                "period": period,
                "previous": previous,
                "scores": await self.sink.rows(queries.ranking_scores(grain, [period, previous])),
                "groups": await self.sink.rows(queries.ranking_groups(grain, [period, previous])),
                "official": await self._official(rules, grain, period),
                "official_previous": await self._official(rules, grain, previous),
            }
        )

    async def _official(self, rules: Rules, grain: str, period: str) -> dict[str, Any]:
        """Per unit of the period: the estimate with official points, the official score, the difference."""
        scores = await self.sink.rows(queries.ranking_scores(grain, [period]))
        components = await self.sink.rows(queries.ranking_components(grain, period))
        figures = await self.sink.rows(queries.official_figures(grain, period))
        levels = {code: u.level for code, u in self.settings.units.units.items()}
        compared = compare_rows(rules, levels, scores, components, figures)
        out = {unit: as_dict(c) for (unit, _), c in compared.items()}
        for unit, row in out.items():
            row["received"] = max((f["received"] for f in figures if f["unit"] == unit), default=None)
        return out

    async def communes(self, request: web.Request) -> web.Response:
        return _json(
            {
                "sites": await self.sink.rows(queries.commune_sites()),
                "out": await self.sink.rows(queries.sites_out()),
            }
        )

    async def commune(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if not self.settings.units.is_commune(code):
            raise ValueError(f"not a commune of the province: {code!r}")
        sites = [r for r in await self.sink.rows(queries.commune_sites()) if r["commune"] == code]
        return _json({"sites": sites, "out": await self.sink.rows(queries.sites_out(code))})

    def _month(self, request: web.Request) -> str:
        return check_period(
            "month", request.query.get("month") or self.hub.current_periods()["month"]
        )

    async def worklist(self, request: web.Request) -> web.Response:
        month = self._month(request)
        months = [r["month"] for r in await self.sink.rows(queries.late_months())]
        return _json(
            {
                "month": month,
                "months": sorted(set(months) | {self.hub.current_periods()["month"]}, reverse=True),
                "counts": await self.sink.rows(queries.worklist_counts(month)),
            }
        )

    async def unit_worklist(self, request: web.Request) -> web.Response:
        unit = request.match_info["unit"]
        if self.settings.units.level(unit) not in (COMMUNE, AGENCY):
            raise ValueError(f"not a commune or agency of the province: {unit!r}")
        month = self._month(request)
        return _json(
            {
                "unit": unit,
                "month": month,
                "late": await self.sink.rows(queries.late_dossiers(unit, month)),
                "overdue": await self.sink.rows(queries.overdue_dossiers(unit)),
            }
        )

    async def alerts(self, request: web.Request) -> web.Response:
        return _json({"alerts": await self.sink.rows(queries.alerts())})

    async def ack(self, request: web.Request) -> web.Response:
        """Acknowledge an alert; every open screen hears of it at once."""
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:
            return _json({"error": "acknowledge from the ops screens of this pipeline"}, 403)
        alert_id = request.match_info["alert_id"]
        if not _ALERT_ID.match(alert_id):
            raise ValueError("not an alert id")
        who = request.get(USER_KEY)
        try:
            body = await request.json(loads=orjson.loads)
        except ValueError:
            body = {}
        # logged in: the user acknowledges; open screens (loopback, no users): the name typed
        typed = str(body.get("by", "") if isinstance(body, dict) else "").strip()
        by = who.user if who is not None else typed
        if not by or len(by) > 80 or _DIGIT_RUN_12.search(by):
            raise ValueError("by: the operator's name, 1-80 characters")
        status, answer = await self.sink.acknowledge(alert_id, by)
        if status == 200:
            self.hub.broadcast("ack", answer)
        return _json(answer, status)

    async def health_history(self, request: web.Request) -> web.Response:
        return _json(
            {
                "archive": await self.sink.rows(queries.archive_counts(self.topology.sources)),
                "dead_letters": await self.sink.rows(queries.dead_letter_counts()),
            }
        )

    async def report(self, request: web.Request) -> web.Response:
        """The workbook or the leadership summary of a period, as `ioc report` makes it, as a download."""
        fmt = check_format(request.match_info["fmt"])
        period = request.query.get("period") or self.hub.current_periods()["month"]
        lang = request.query.get("lang") or self.reports.language
        unit = request.query.get("unit") or None
        spec = report_spec(period, unit, lang, self.settings.units, datetime.now(UTC))
        rows = {name: await self.sink.rows(sql) for name, sql in report_sql.queries(spec).items()}
        report = assemble(spec, self.settings.units, self.index766.rules if self.index766 else None,
                          kpi_catalogue(), self.reports, rows)
        body = await asyncio.to_thread(render, report, fmt)   # a PDF takes a moment: not on the event loop
        name = spec.file_name(self.settings.units.province.code, fmt)
        return web.Response(body=body, content_type=MEDIA_TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
