"""The 766 scoring rules and the supplied official figures: value types, and their loading from
config/index766/ (versioned configuration: the portal changed its grouping once)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.settings import PROJECT_ROOT, Settings

LEVELS = {"province", "agency", "commune"}


@dataclass(frozen=True)
class Component:
    code: str
    group: str
    max: float
    kpi: str | None            # measured from this ratio KPI; None: supplied
    full_at: float = 1.0
    no_data: str = "zero"      # "zero" | "full"
    applies_to: tuple[str, ...] = ("province", "agency", "commune")
    name_vi: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Group:
    code: str
    max: float
    name_vi: str = ""
    name_en: str = ""


@dataclass(frozen=True)
class Band:
    code: str
    min: float
    name_vi: str = ""
    name_en: str = ""
    confirmed: bool = True


@dataclass(frozen=True)
class Rules:
    version: str
    grains: tuple[str, ...]
    groups: tuple[Group, ...]
    components: tuple[Component, ...]
    bands: tuple[Band, ...]     # highest first

    def band(self, total: float) -> Band:
        return next(b for b in self.bands if total >= b.min)



@dataclass(frozen=True)
class SuppliedFigures:
    figures: tuple[tuple[str, str, str, float], ...]   # unit, period, component, ratio

    def for_unit(self, unit: str, period: str) -> dict[str, float]:
        """Most specific figure per component: exact unit before "*", exact period before "*"."""
        best: dict[str, tuple[int, float]] = {}
        for f_unit, f_period, component, ratio in self.figures:
            if f_unit in (unit, "*") and f_period in (period, "*"):
                rank = (f_unit == unit) * 2 + (f_period == period)
                if component not in best or rank > best[component][0]:
                    best[component] = (rank, ratio)
        return {c: r for c, (_, r) in best.items()}


@dataclass(frozen=True)
class Index766:
    """The scoring rules in force and the official figures supplied for what the pipeline cannot measure."""
    rules: Rules
    supplied: SuppliedFigures


def load_index766(settings: Settings, problems: list[str]) -> Index766 | None:
    """`[index766] rules`, `supplied` (paths; the project's own files by default)."""
    x = settings.reader(problems).table("index766")
    rules_at = settings.resolve(x.get("rules", str, "config/index766/portal-2025.toml"),
                                None if "rules" in x.data else PROJECT_ROOT)
    rules = load_rules(rules_at, problems)
    supplied_at = settings.resolve(x.get("supplied", str, "config/index766/supplied.toml"),
                                   None if "supplied" in x.data else PROJECT_ROOT)
    supplied = load_supplied(supplied_at, rules, problems)
    return Index766(rules, supplied) if rules is not None else None


def _read(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return {}


def load_rules(path: Path, problems: list[str]) -> Rules | None:
    data = _read(path, problems)
    if not data:
        return None
    groups, components = [], []
    for g in data.get("groups", []):
        groups.append(Group(g["code"], float(g["max"]), g.get("name_vi", ""), g.get("name_en", "")))
        for c in g.get("components", []):
            components.append(_component(c, g["code"], path, problems))
        total = sum(c.max for c in components if c.group == g["code"])
        if abs(total - float(g["max"])) > 1e-9:
            problems.append(
                f"{path}: group {g['code']}: components sum to {total}, the group's max is {g['max']}"
            )
    bands = tuple(
        Band(
            b["code"],
            float(b["min"]),
            b.get("name_vi", ""),
            b.get("name_en", ""),
            bool(b.get("confirmed", True)),
        )
        for b in data.get("bands", [])
    )
    if not bands or bands[-1].min > 0 or list(bands) != sorted(bands, key=lambda b: -b.min):
        problems.append(f"{path}: bands must be listed highest first and the last must start at 0")
    return Rules(
        str(data.get("version", path.stem)),
        tuple(data.get("grains", ("month", "quarter", "year"))),
        tuple(groups),
        tuple(components),
        bands,
    )


def _component(c: dict[str, Any], group: str, path: Path, problems: list[str]) -> Component:
    applies = tuple(c.get("applies_to", ("province", "agency", "commune")))
    if not set(applies) <= LEVELS:
        problems.append(f"{path}: component {c.get('code')}: applies_to takes {sorted(LEVELS)}")
    if c.get("no_data", "zero") not in ("zero", "full") or not 0 < float(c.get("full_at", 1.0)) <= 1:
        problems.append(f"{path}: component {c.get('code')}: no_data is zero|full, full_at in (0, 1]")
    return Component(
        c["code"],
        group,
        float(c["max"]),
        c.get("kpi"),
        float(c.get("full_at", 1.0)),
        c.get("no_data", "zero"),
        applies,
        c.get("name_vi", ""),
        c.get("name_en", ""),
    )


def load_supplied(path: Path, rules: Rules | None, problems: list[str]) -> SuppliedFigures:
    known = {c.code for c in rules.components} if rules else set()
    figures = []
    for n, f in enumerate(_read(path, problems).get("figure", []), start=1):
        ratio = f.get("ratio")
        if f.get("component") not in known:
            problems.append(f"{path}: figure {n}: unknown component {f.get('component')!r}")
        elif not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 <= ratio <= 1:
            problems.append(f"{path}: figure {n}: ratio must be a number in [0, 1]")
        else:
            figures.append((str(f.get("unit", "*")), str(f.get("period", "*")), f["component"], float(ratio)))
    return SuppliedFigures(tuple(figures))
