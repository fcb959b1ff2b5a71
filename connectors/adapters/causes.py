"""Probable causes of VES faults (`config/telecom/alarm-causes.toml`, wire-formats 4.3): the
`alarmCondition` looked up among the causes' conditions, then `specificProblem` tried against their
patterns in order; the first match wins, none gives `other` (an open list in the contract)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from contract.settings import ConfigReader

OTHER = "other"
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(frozen=True)
class Cause:
    name: str
    conditions: frozenset[str]
    problems: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class CauseTable:
    causes: tuple[Cause, ...] = ()
    per_operator: dict[str, tuple[Cause, ...]] = field(default_factory=dict)

    def cause(self, operator: str, condition: str, problem: Any) -> str:
        causes = self.per_operator.get(operator, self.causes)
        key = _NOT_ALNUM.sub("", condition.lower())
        for c in causes:
            if key in c.conditions:
                return c.name
        if isinstance(problem, str):
            for c in causes:
                if any(p.search(problem) for p in c.problems):
                    return c.name
        return OTHER


def read_causes(data: dict[str, Any], where: str, problems: list[str]) -> CauseTable:
    """`[cause.<name>]` tables (in order), and `[operator.<name>.cause.<name>]` overriding one
    cause (or adding one after the defaults) for that operator."""
    top = ConfigReader(data, where, problems)
    defaults = _causes(top.table("cause"), problems)
    if not defaults:
        problems.append(f"{where}: no [cause.<name>] table")
    per_operator = {}
    for operator in top.table("operator").data:
        own = {c.name: c for c in _causes(top.table("operator").table(operator).table("cause"), problems)}
        merged = [own.pop(c.name, c) for c in defaults] + list(own.values())
        per_operator[operator] = tuple(merged)
    return CauseTable(tuple(defaults), per_operator)


def _causes(table: ConfigReader, problems: list[str]) -> list[Cause]:
    out = []
    for name in table.data:
        r = table.table(name)
        conditions = r.get(
            "conditions", list, [], lambda v: all(isinstance(x, str) for x in v), "a list of strings"
        )
        patterns = r.get(
            "problems", list, [], lambda v: all(isinstance(x, str) for x in v), "a list of strings"
        )
        compiled = []
        for p in patterns:
            try:
                compiled.append(re.compile(p, re.IGNORECASE))
            except re.error as exc:
                problems.append(f"{r.where}: problems {p!r}: {exc}")
        bad = [c for c in conditions if _NOT_ALNUM.sub("", c.lower()) != c]
        if bad:
            problems.append(f"{r.where}: conditions {bad}: lower case letters and digits only")
        out.append(Cause(name, frozenset(conditions), tuple(compiled)))
    return out
