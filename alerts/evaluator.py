"""Alert rules on KPI values and pipeline health (pure): one raise, one clear.

A rule's condition compares a value with its threshold (`<`, `<=`, `>`, `>=`), or, for
`rise`, the increase of the value over the last `window_s` seconds. It raises once the
condition has held for `for_s` seconds, and clears once it no longer holds; each key (rule and
unit, or rule and source) is raised and cleared at most once per episode.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from alerts.rules import AlertRule


@dataclass
class KeyState:
    since: float | None = None     # the condition has held since
    raised: bool = False
    history: deque[tuple[float, float]] = field(default_factory=deque)


@dataclass(frozen=True)
class Transition:
    rule: AlertRule
    subject: str                   # the unit (or the source, for pipeline rules)
    state: str                     # raised | cleared
    value: float
    at: float


class Evaluator:
    def __init__(self, rules: list[AlertRule]) -> None:
        self.rules = rules
        self.states: dict[tuple[str, str], KeyState] = {}

    def restore_raised(self, rule_id: str, subject: str) -> None:
        """An alert still open in the store: do not raise it again."""
        self.states.setdefault((rule_id, subject), KeyState()).raised = True

    def observe(self, rule: AlertRule, subject: str, value: float | None, now: float) -> Transition | None:
        """A new (or current) value for one key; None values (no data) clear nothing and raise nothing."""
        state = self.states.setdefault((rule.id, subject), KeyState())
        if value is None:
            return None
        holds = rule.holds(value, state.history, now)
        state.history.append((now, float(value)))
        if not holds:
            state.since = None
            if state.raised:
                state.raised = False
                return Transition(rule, subject, "cleared", float(value), now)
            return None
        state.since = now if state.since is None else state.since
        if not state.raised and now - state.since >= rule.for_s:
            state.raised = True
            return Transition(rule, subject, "raised", float(value), now)
        return None


def render(template: str, **values: Any) -> str:
    """Fill {unit}, {unit_name}, {value}, {threshold}; unknown names stay as written."""
    class Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"
    return template.format_map(Keep(values))
