"""The live estimate beside the portal's official figures (pure; read time).

The index stage scores what the pipeline measures; official figures (the `official766` records,
latest per unit, period, group and component: the sink's view `index766_official`) come in at read
time, for the screens and the reports alike:

- **estimate**: the live score, where each component the pipeline does not measure (basis
  `supplied` or `no_data`) takes the official points when there are some (basis `official`); a
  group with no measured component takes an official figure for the group as a whole.
- **official**: the portal's score: per group its group figure, else the sum of its component
  figures when every component that applies to the unit has one (one that does not apply earns its
  maximum, as the portal scores communes); the total only when every group has official points.
- **difference**: estimate minus official (positive: the live estimate is above the portal).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.kpis.index766.rules import Rules

UNMEASURED = ("supplied", "no_data")
Official = Mapping[tuple[str, str], float]       # (group, component or "") -> points


@dataclass(frozen=True)
class GroupComparison:
    code: str
    max: float
    estimate: float | None
    official: float | None

    @property
    def difference(self) -> float | None:
        return None if self.estimate is None or self.official is None else self.estimate - self.official


@dataclass(frozen=True)
class Comparison:
    """One unit and period: the live estimate (official points where the pipeline cannot measure),
    the official score, and their difference."""
    live: float | None                       # the index stage's total, as in kpi_latest
    estimate: float | None
    official: float | None
    groups: tuple[GroupComparison, ...]
    components: tuple[dict[str, Any], ...] = field(default=())   # code, group, points, basis, ...

    @property
    def difference(self) -> float | None:
        return None if self.estimate is None or self.official is None else self.estimate - self.official

    @property
    def official_groups(self) -> int:
        return sum(g.official is not None for g in self.groups)


def compare(rules: Rules, level: str, live: Mapping[str, Mapping[str, Any]], official: Official,
            live_total: float | None = None) -> Comparison:
    """`live`: component code -> its index766_components row (points, basis); empty when the unit has
    no live score in the period. `official`: the unit's official figures for the period; one the rules
    do not know or beyond its maximum (sent as a contract record, past the portal766 adapter's
    checks) is left out."""
    official = _known(rules, official)
    components = [_component(c.code, c.group, c.max, live.get(c.code), official) for c in rules.components
                  if live]
    groups, shift = [], 0.0
    for g in rules.groups:
        mine = [c for c in components if c["group"] == g.code]
        live_points = sum(c["live_points"] for c in mine)
        whole = official.get((g.code, ""))
        if mine and whole is not None and all(c["basis"] in (*UNMEASURED, "official") for c in mine):
            estimate: float | None = whole
            for c in mine:   # the group's figure stands for its components: marked official
                c["basis"] = "official"
        else:
            estimate = sum(c["points"] for c in mine) if mine else None
        shift += (estimate or 0.0) - live_points
        official_points = _official_group(rules, g.code, level, official)
        groups.append(GroupComparison(g.code, g.max, estimate, official_points))
    # the live total moved by what official points changed (the total as the index stage scored it)
    base = live_total if live_total is not None else sum(c["live_points"] for c in components)
    estimate_total = base + shift if live else None
    officials = [g.official for g in groups]
    complete = all(o is not None for o in officials)
    official_total = sum(o for o in officials if o is not None) if complete else None
    return Comparison(live_total, estimate_total, official_total, tuple(groups), tuple(components))


def _known(rules: Rules, official: Official) -> dict[tuple[str, str], float]:
    limits = {(g.code, ""): g.max for g in rules.groups}
    limits.update({(c.group, c.code): c.max for c in rules.components})
    return {k: v for k, v in official.items() if k in limits and 0 <= v <= limits[k]}


def _component(code: str, group: str, maximum: float, row: Mapping[str, Any] | None,
               official: Official) -> dict[str, Any]:
    points = float(row["points"]) if row and row.get("points") is not None else 0.0
    basis = str(row["basis"]) if row else "no_data"
    figure = official.get((group, code))
    out = {"code": code, "group": group, "max": maximum, "live_points": points, "live_basis": basis,
           "official_points": figure, "points": points, "basis": basis}
    if basis in UNMEASURED and figure is not None:
        out["points"], out["basis"] = figure, "official"
    return out


def _official_group(rules: Rules, group: str, level: str, official: Official) -> float | None:
    whole = official.get((group, ""))
    if whole is not None:
        return whole
    points = 0.0
    for c in rules.components:
        if c.group != group:
            continue
        if level not in c.applies_to:
            points += official.get((group, c.code), c.max)
        elif (group, c.code) in official:
            points += official[(group, c.code)]
        else:
            return None
    return points


def figures_by_unit(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict[tuple[str, str], float]]:
    """index766_official rows -> (unit, period) -> (group, component) -> points."""
    out: dict[tuple[str, str], dict[tuple[str, str], float]] = {}
    for r in rows:
        if r.get("points") is not None:
            key = (str(r["group_code"]), str(r.get("component") or ""))
            out.setdefault((str(r["unit"]), str(r["period"])), {})[key] = float(r["points"])
    return out


def compare_rows(rules: Rules, levels: Mapping[str, str], scores: Sequence[Mapping[str, Any]],
                 components: Sequence[Mapping[str, Any]], figures: Sequence[Mapping[str, Any]]
                 ) -> dict[tuple[str, str], Comparison]:
    """Per (unit, period) with a live score or an official figure: the comparison. `scores` are
    index766_scores rows, `components` index766_components rows, `figures` index766_official rows
    (all of one grain); `levels` the unit levels."""
    live: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for r in components:
        live.setdefault((str(r["unit"]), str(r["period"])), {})[str(r["component"])] = r
    totals = {(str(r["unit"]), str(r["period"])): r.get("total") for r in scores}
    official = figures_by_unit(figures)
    return {
        key: compare(rules, levels.get(key[0], "commune"), live.get(key, {}), official.get(key, {}),
                     totals.get(key))
        for key in sorted(set(live) | set(official))
    }


def as_dict(c: Comparison) -> dict[str, Any]:
    """For JSON: totals, difference, and per group estimate, official and difference."""
    return {
        "live": c.live, "estimate": c.estimate, "official": c.official, "difference": c.difference,
        "official_groups": c.official_groups,
        "groups": {g.code: {"estimate": g.estimate, "official": g.official, "difference": g.difference}
                   for g in c.groups},
        "official_components": [x["code"] for x in c.components if x["basis"] == "official"],
    }
