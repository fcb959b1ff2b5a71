"""The national service index of Decision 766 per unit and period (pure scoring).

Points per component = max × min(1, ratio / full_at): linear when `full_at` is 1, full points
from a threshold otherwise (the portal's 80 / 50 / 90 % rules). Components come from the
pipeline's own KPIs (`measured`) or from official figures in configuration (`supplied`); one
with neither scores as its `no_data` rule says (petitions: full points when there were none);
one that does not apply to the unit's level earns its maximum (the portal's rule for communes).
The rules are versioned configuration (config/index766/): the portal changed its grouping once.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.kpis.index766.rules import Component, Rules

KpiValues = Mapping[str, tuple[Any, Any, Any]]   # kpi -> (value, numerator, denominator)


def _points(c: Component, ratio: float) -> float:
    return c.max * min(1.0, ratio / c.full_at)


def score_component(
    c: Component, level: str, kpis: KpiValues, supplied: Mapping[str, float]
) -> dict[str, Any]:
    if level not in c.applies_to:
        ratio, points, basis = None, c.max, "not_applicable"
    elif c.kpi is not None and c.kpi in kpis and kpis[c.kpi][0] is not None:
        ratio = float(kpis[c.kpi][0])
        points, basis = _points(c, ratio), "measured"
    elif c.code in supplied:
        ratio = supplied[c.code]
        points, basis = _points(c, ratio), "supplied"
    else:
        ratio, points, basis = None, (c.max if c.no_data == "full" else 0.0), "no_data"
    return {
        "code": c.code,
        "group": c.group,
        "kpi": c.kpi,
        "ratio": ratio,
        "points": points,
        "max": c.max,
        "basis": basis,
    }


def score(rules: Rules, level: str, kpis: KpiValues, supplied: Mapping[str, float]) -> dict[str, Any]:
    """Total, band, groups and components for one unit and period."""
    components = [score_component(c, level, kpis, supplied) for c in rules.components]
    groups = [
        {"code": g.code, "max": g.max, "points": sum(c["points"] for c in components if c["group"] == g.code)}
        for g in rules.groups
    ]
    total = sum(g["points"] for g in groups)
    band = rules.band(total)
    return {
        "version": rules.version,
        "total": total,
        "band": band.code,
        "band_confirmed": band.confirmed,
        "groups": groups,
        "components": components,
    }


def index_rows(rules: Rules, level: str, kpis: KpiValues, supplied: Mapping[str, float]) -> dict[str, Any]:
    """The index's KPI rows of one unit and period: name -> (points, detail); the total carries the
    whole scoring as its detail. Empty when the unit has no dvc KPI in the period."""
    if not kpis:
        return {}
    result = score(rules, level, kpis, supplied)
    rows: dict[str, Any] = {"index766.total": (result["total"], result)}
    rows.update({f"index766.group.{g['code']}": (g["points"], None) for g in result["groups"]})
    rows.update({f"index766.component.{c['code']}": (c["points"], None) for c in result["components"]})
    return rows
