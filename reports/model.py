"""A report's content, assembled from the rows of reports/sql.py's queries (pure: no I/O).

Values are kept as DuckDB has them: a KPI or ratio that has no row stays None (an empty cell, a
dash), never 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contract.units import AGENCY, COMMUNE, PROVINCE, Unit, UnitRegistry
from reports.episodes import Episode, episodes
from reports.settings import ReportSettings
from reports.spec import ReportSpec
from reports.text import KpiCatalogue, Text
from streams.kpis.index766.official import Comparison, compare_rows
from streams.kpis.index766.rules import Rules

Rows = Sequence[Mapping[str, Any]]
LEVELS = (PROVINCE, AGENCY, COMMUNE)


@dataclass(frozen=True)
class Score:
    unit: str
    total: float | None
    band: str | None
    band_confirmed: bool
    previous: float | None
    rank: int | None = None  # among the units of its level, ties sharing a rank

    @property
    def change(self) -> float | None:
        return None if self.total is None or self.previous is None else self.total - self.previous


@dataclass(frozen=True)
class Component:
    unit: str
    group: str
    code: str
    kpi: str | None
    ratio: float | None
    points: float | None
    max: float
    lost: float | None
    basis: str | None


@dataclass(frozen=True)
class LateDossier:
    unit: str
    dossier: str
    procedure: str | None
    received_at: datetime | None
    due_at: datetime | None
    end_at: datetime | None
    supplement_days: float | None
    supplement_requests: int | None
    late_days: float | None


@dataclass(frozen=True)
class OverdueDossier:
    unit: str
    dossier: str
    procedure: str | None
    status: int | None
    received_at: datetime | None
    due_at: datetime | None


@dataclass
class Report:
    spec: ReportSpec
    units: UnitRegistry
    rules: Rules | None
    catalogue: KpiCatalogue
    settings: ReportSettings
    kpis: dict[tuple[str, str, str], float | None] = field(default_factory=dict)  # (kpi, unit, period)
    scores: dict[str, Score] = field(default_factory=dict)  # this period, by unit
    components: dict[tuple[str, str], list[Component]] = field(default_factory=dict)  # (unit, period)
    late: list[LateDossier] = field(default_factory=list)
    overdue: list[OverdueDossier] = field(default_factory=list)
    cut_offs: list[Episode] = field(default_factory=list)
    comparisons: dict[tuple[str, str], Comparison] = field(default_factory=dict)  # (unit, period)

    @property
    def text(self) -> Text:
        return Text(self.spec.lang, self.units.timezone)

    @property
    def province(self) -> Unit:
        return self.units.province

    @property
    def subject(self) -> Unit:
        """The unit the report is about: the province, or the one asked for."""
        return self.units.units[self.spec.unit] if self.spec.unit else self.units.province

    def in_scope(self) -> list[Unit]:
        """The province, its agencies and its communes in the configuration's order; or the one unit."""
        if self.spec.unit:
            return [self.subject]
        return [u for level in LEVELS for u in self.units.of_level(level)]

    def name(self, code: str) -> str:
        unit = self.units.units.get(code)
        if unit is None:
            return code
        return unit.name_en if self.spec.lang == "en" else unit.name_vi

    def value(self, kpi: str, unit: str, previous: bool = False) -> float | None:
        return self.kpis.get((kpi, unit, self.spec.previous if previous else self.spec.period))

    def kpi_columns(self) -> list[str]:
        """The period's KPIs of the units in scope (not the 766 index: its own sheets), catalogue order."""
        scope = {u.code for u in self.in_scope()}
        present = {k for (k, u, p) in self.kpis if p == self.spec.period and u in scope}
        present = {k for k in present if not k.startswith("index766.")}
        order = {k: i for i, k in enumerate(self.catalogue.order)}
        return sorted(present, key=lambda k: (order.get(k, len(order)), k))

    def ranked(self, level: str) -> list[Score]:
        """Every unit of a level, best first; units without a score last."""
        scores = [
            self.scores.get(u.code) or Score(u.code, None, None, True, None)
            for u in self.units.of_level(level)
        ]
        return sorted(scores, key=lambda s: (s.total is None, -(s.total or 0), self.name(s.unit)))

    def comparison(self, unit: str) -> Comparison | None:
        """The unit's estimate beside the official score, this period (None: neither has points)."""
        return self.comparisons.get((unit, self.spec.period))

    def components_of(self, unit: str, previous: bool = False) -> list[Component]:
        return self.components.get((unit, self.spec.previous if previous else self.spec.period), [])

    @property
    def has_index(self) -> bool:
        return self.rules is not None and self.spec.grain in self.rules.grains


def assemble(
    spec: ReportSpec,
    units: UnitRegistry,
    rules: Rules | None,
    catalogue: KpiCatalogue,
    settings: ReportSettings,
    rows: Mapping[str, Rows],
) -> Report:
    """The report from the rows of every query of reports.sql.queries(spec), by the same names."""
    report = Report(spec, units, rules, catalogue, settings)
    report.kpis = {(r["kpi"], r["unit"], r["period"]): r["value"] for r in rows["kpis"]}
    score_rows, component_rows = rows["scores"], rows["components"]
    if rules is not None:
        levels = {code: u.level for code, u in units.units.items()}
        report.comparisons = compare_rows(rules, levels, score_rows, component_rows, rows.get("official", []))
        score_rows, component_rows = _with_official(report, rules, score_rows, component_rows)
    report.scores = _scores(spec, units, score_rows)
    for r in component_rows:
        report.components.setdefault((r["unit"], r["period"]), []).append(_component(r))
    report.late = [_late(r) for r in rows["late"]]
    report.overdue = [_overdue(r) for r in rows["overdue"]]
    report.cut_offs = episodes(
        rows["cut_off"], rows["cut_off_alerts"], spec.start_ms, spec.end_ms, spec.now_ms
    )
    return report


def _with_official(report: Report, rules: Rules, scores: Rows, components: Rows) -> tuple[Rows, Rows]:
    """The estimate everywhere a report shows the index: components the pipeline cannot measure take
    the official points (basis `official`), totals, bands and groups follow (official.py)."""
    new_scores: list[Mapping[str, Any]] = []
    for r in scores:
        c = report.comparisons.get((r["unit"], r["period"]))
        if c is None or c.estimate is None or not any(x["basis"] == "official" for x in c.components):
            new_scores.append(r)   # nothing official changed it: the index stage's score as it is
            continue
        band = rules.band(c.estimate)
        new_scores.append({**r, "total": c.estimate, "band": band.code, "band_confirmed": band.confirmed})
        report.kpis[("index766.total", r["unit"], r["period"])] = c.estimate
        for g in c.groups:
            if g.estimate is not None:
                report.kpis[(f"index766.group.{g.code}", r["unit"], r["period"])] = g.estimate
    new_components: list[Mapping[str, Any]] = []
    for r in components:
        c = report.comparisons.get((r["unit"], r["period"]))
        mine = next((x for x in c.components if x["code"] == r["component"]), None) if c else None
        if mine is not None and mine["basis"] == "official" and r["basis"] != "official":
            whole = mine["official_points"] is None   # the group's figure stands for it: no points of its own
            points = None if whole else mine["points"]
            lost = None if points is None else r["max_points"] - points
            new_components.append({**r, "ratio": None, "points": points, "lost": lost, "basis": "official"})
        else:
            new_components.append(r)
    return new_scores, new_components


def _scores(spec: ReportSpec, units: UnitRegistry, rows: Rows) -> dict[str, Score]:
    now = {r["unit"]: r for r in rows if r["period"] == spec.period}
    before = {r["unit"]: r["total"] for r in rows if r["period"] == spec.previous}
    out: dict[str, Score] = {}
    for code, r in now.items():
        level = units.level(code)
        if level is None:
            continue  # a unit no longer configured
        peers = [now[u.code]["total"] for u in units.of_level(level) if u.code in now]
        rank = 1 + sum(1 for t in peers if t is not None and r["total"] is not None and t > r["total"])
        out[code] = Score(
            code,
            r["total"],
            r["band"],
            bool(r["band_confirmed"]),
            before.get(code),
            rank if r["total"] is not None else None,
        )
    return out


def _component(r: Mapping[str, Any]) -> Component:
    return Component(
        r["unit"],
        r["group_code"],
        r["component"],
        r["kpi"],
        r["ratio"],
        r["points"],
        r["max_points"],
        r["lost"],
        r["basis"],
    )


def _ms(value: int | float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


def _late(r: Mapping[str, Any]) -> LateDossier:
    return LateDossier(
        r["unit"],
        r["dossier"],
        r["procedure"],
        _ms(r["received_at"]),
        _ms(r["due_at"]),
        _ms(r["end_at"]),
        r["supplement_days"],
        r["supplement_requests"],
        r["late_days"] if (r["late_days"] or 0) > 0 else None,  # else late by its supplement requests
    )


def _overdue(r: Mapping[str, Any]) -> OverdueDossier:
    return OverdueDossier(
        r["unit"], r["dossier"], r["procedure"], r["status"], _ms(r["received_at"]), _ms(r["due_at"])
    )
