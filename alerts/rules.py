"""Alert rules: their type, and their loading and validation from config/alerts.toml."""
from __future__ import annotations

import tomllib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.settings import PROJECT_ROOT, Settings

GRAINS = ("live", "day", "month", "quarter", "year")
LEVELS = ("province", "agency", "commune")
SEVERITIES = ("critical", "major", "minor", "warning")
PIPELINE_DEAD_LETTERS = "pipeline.dead_letters"
SOURCE_LEVEL = "source"            # the unit_level of a pipeline rule's subject (a source, not a unit)

OPS = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}


@dataclass(frozen=True)
class AlertRule:
    id: str
    kpi: str                       # a KPI name, or "pipeline.dead_letters" (per source, over window_s)
    grain: str                     # live | day | month | quarter | year (the current period)
    op: str                        # < <= > >= or "rise"
    threshold: float
    severity: str
    message_vi: str
    message_en: str
    levels: tuple[str, ...] = ("province", "agency", "commune")
    units: tuple[str, ...] = ()    # only these units (empty: every unit of the levels)
    for_s: float = 0.0
    window_s: float = 300.0

    def holds(self, value: float, history: deque[tuple[float, float]], now: float) -> bool:
        if self.op == "rise":
            while history and history[0][0] < now - self.window_s:
                history.popleft()
            base = min((v for _, v in history), default=value)
            return value - base >= self.threshold
        return OPS[self.op](float(value), float(self.threshold))


def alert_name(rule_id: str) -> str:
    """The `alertname` of a rule, in Prometheus and Alertmanager: commune_cut_off -> IocCommuneCutOff."""
    return "Ioc" + "".join(part.capitalize() for part in rule_id.split("_"))


def alert_rules_of(settings: Settings, known_kpis: set[str], problems: list[str]) -> list[AlertRule]:
    """`[alerts] rules` (a path; the project's config/alerts.toml by default)."""
    a = settings.reader(problems).table("alerts")
    path = settings.resolve(
        a.get("rules", str, "config/alerts.toml"), None if "rules" in a.data else PROJECT_ROOT
    )
    return load_alert_rules(path, known_kpis, problems)


def load_alert_rules(path: Path, known_kpis: set[str], problems: list[str]) -> list[AlertRule]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return []
    rules, seen = [], set()
    for n, r in enumerate(data.get("rule", []), start=1):
        where = f"{path.name} rule {n} ({r.get('id', '?')})"
        bad = _problems(r, known_kpis | {PIPELINE_DEAD_LETTERS})
        if r.get("id") in seen:
            bad.append("duplicate id")
        seen.add(r.get("id"))
        problems += [f"{where}: {p}" for p in bad]
        if not bad:
            rules.append(
                AlertRule(
                    r["id"],
                    r["kpi"],
                    r["grain"],
                    r["op"],
                    float(r["threshold"]),
                    r["severity"],
                    r["message_vi"],
                    r["message_en"],
                    tuple(r.get("levels", LEVELS)),
                    tuple(r.get("units", ())),
                    float(r.get("for_s", 0)),
                    float(r.get("window_s", 300)),
                )
            )
    return rules


def _problems(r: dict[str, Any], kpis: set[str]) -> list[str]:
    out = [
        f"missing {k}"
        for k in ("id", "kpi", "grain", "op", "threshold", "severity", "message_vi", "message_en")
        if k not in r
    ]
    if r.get("kpi") not in kpis:
        out.append(f"unknown kpi {r.get('kpi')!r}")
    if r.get("grain") not in GRAINS:
        out.append(f"grain takes {GRAINS}")
    if r.get("op") not in (*OPS, "rise"):
        out.append(f"op takes {(*OPS, 'rise')}")
    if r.get("severity") not in SEVERITIES:
        out.append(f"severity takes {SEVERITIES}")
    if not set(r.get("levels", LEVELS)) <= set(LEVELS):
        out.append(f"levels take {LEVELS}")
    return out
