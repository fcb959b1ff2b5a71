"""What the leadership summary says, from a Report (pure): the headline KPIs against the previous
period, the biggest 766 movers, the communes that lost points and why, and cut-off hours."""

from __future__ import annotations

from dataclasses import dataclass

from contract.units import COMMUNE
from reports.episodes import CommuneCutOff, per_commune
from reports.model import Component, Report, Score

REASONS = 3  # components named per commune
MOVED = 0.05  # points: a smaller change is no change (the screens round to 0.1)


@dataclass(frozen=True)
class Headline:
    kpi: str
    now: float | None
    before: float | None


@dataclass(frozen=True)
class Reason:
    component: Component
    before: Component | None  # the same component in the previous period, when compared


@dataclass(frozen=True)
class Loser:
    score: Score
    fell: bool  # True: lost points since the previous period; False: among the lowest
    reasons: list[Reason]


def headline(report: Report) -> list[Headline]:
    """The configured headline KPIs of the report's subject that have a value in either period."""
    code = report.subject.code
    rows = [
        Headline(k, report.value(k, code), report.value(k, code, previous=True))
        for k in report.settings.headline
    ]
    return [h for h in rows if h.now is not None or h.before is not None]


def movers(report: Report, level: str = COMMUNE) -> list[Score]:
    """The units whose 766 total moved most since the previous period, either way."""
    moved = [s for s in report.ranked(level) if s.change is not None and abs(s.change) >= MOVED]
    return sorted(moved, key=lambda s: (-abs(s.change or 0), s.unit))[: report.settings.movers]


def losers(report: Report) -> list[Loser]:
    """Communes that lost most points since the previous period, with the components that fell; then,
    up to the same number, the lowest totals with the components that lost most of their maximum."""
    scores = [s for s in report.ranked(COMMUNE) if s.total is not None]
    if report.spec.unit:
        scores = [s for s in scores if s.unit == report.spec.unit]
    n = report.settings.movers
    fell = sorted(
        (s for s in scores if s.change is not None and s.change <= -MOVED), key=lambda s: s.change or 0
    )
    out = [Loser(s, True, _fell_reasons(report, s.unit)) for s in fell[:n]]
    named = {lo.score.unit for lo in out}
    lowest = sorted((s for s in scores if s.unit not in named), key=lambda s: (s.total or 0, s.unit))
    out += [Loser(s, False, _lost_reasons(report, s.unit)) for s in lowest[: max(0, n - len(out))]]
    return out


def _fell_reasons(report: Report, unit: str) -> list[Reason]:
    before = {c.code: c for c in report.components_of(unit, previous=True)}
    fell = [
        Reason(c, before.get(c.code))
        for c in report.components_of(unit)
        if c.points is not None
        and c.code in before
        and before[c.code].points is not None
        and c.points < (before[c.code].points or 0) - 1e-9
    ]
    return sorted(
        fell,
        key=lambda r: (
            (r.component.points or 0) - (r.before.points or 0) if r.before else 0,
            r.component.code,
        ),
    )[:REASONS]


def _lost_reasons(report: Report, unit: str) -> list[Reason]:
    lost = [Reason(c, None) for c in report.components_of(unit) if (c.lost or 0) > 1e-9]
    return sorted(lost, key=lambda r: (-(r.component.lost or 0), r.component.code))[:REASONS]


def cut_off_hours(report: Report) -> list[CommuneCutOff]:
    return per_commune(report.cut_offs)


def component_name(report: Report, code: str) -> str:
    if report.rules is not None:
        for c in report.rules.components:
            if c.code == code:
                return (c.name_en if report.spec.lang == "en" else c.name_vi) or code
    return code


def band_name(report: Report, code: str | None) -> str:
    if report.rules is not None and code is not None:
        for b in report.rules.bands:
            if b.code == code:
                return b.name_en if report.spec.lang == "en" else b.name_vi
    return code or "—"


def band_confirmed(report: Report, code: str | None) -> bool:
    if report.rules is not None and code is not None:
        return next((b.confirmed for b in report.rules.bands if b.code == code), True)
    return True
