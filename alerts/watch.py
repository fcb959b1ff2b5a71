"""Alert rules watching the KPI updates and dead letters as the sink writes them: the current
period's value of each rule's KPI per unit, dead-letter counts per source over a window, and
time passing (for-durations elapse, a new period starts without data).

The rules of a source that is `held` (behind with a backfill: alerts/catchup.py) keep their
current values but fire and clear nothing; once it is not held, the next tick evaluates them on
the values that hold then."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from typing import Any

from alerts.evaluator import Evaluator, Transition, render
from alerts.rules import PIPELINE_DEAD_LETTERS, SOURCE_LEVEL, AlertRule
from contract.periods import LIVE, periods_of
from contract.units import UnitRegistry


class Alerting:
    def __init__(self, rules: list[AlertRule], units: UnitRegistry,
                 sources: dict[str, str] | None = None) -> None:
        """`sources`: the source behind each KPI domain (`telecom` -> `telecom`, `index766` -> `dvc`)."""
        self.rules, self.units, self.sources = rules, units, sources or {}
        self.evaluator = Evaluator(rules)
        self.current: dict[
            tuple[str, str], tuple[str, float | None]
        ] = {}  # (rule, subject) -> (period, value)
        self.dead_letters: dict[str, deque[float]] = {}

    def restore(self, open_alerts: list[tuple[str, str]]) -> None:
        """(rule, subject) of the alerts still open in the store: they are not raised again."""
        for rule_id, subject in open_alerts:
            self.evaluator.restore_raised(rule_id, subject)

    def source_of(self, rule: AlertRule) -> str | None:
        """The source whose records move the rule's KPI (None for pipeline rules: never held)."""
        if rule.kpi == PIPELINE_DEAD_LETTERS:
            return None
        domain = rule.kpi.split(".", 1)[0]
        return self.sources.get(domain, domain)

    def observe_batch(
        self, kpis: dict[str, dict[str, Any] | None], dead_letter_sources: list[str],
        held: AbstractSet[str] = frozenset(),
    ) -> list[Transition]:
        now = time.time()
        current = self._current_periods(now)
        out = []
        for update in kpis.values():
            if update is None:
                continue
            for rule in self.rules:
                if self._watches(rule, update, current):
                    self.current[(rule.id, update["unit"])] = (update["period"], update["value"])
                    if self.source_of(rule) not in held:
                        out += self._observe(rule, update["unit"], update["value"], now)
        for source in dead_letter_sources:
            self.dead_letters.setdefault(source, deque()).append(now)
        return out + self.tick(now, evaluate_kpis=False)

    def tick(self, now: float | None = None, evaluate_kpis: bool = True,
             held: AbstractSet[str] = frozenset()) -> list[Transition]:
        """Time passes: for-durations elapse, windows slide, a new period starts without data."""
        now = now or time.time()
        current = self._current_periods(now)
        out = []
        by_id = {r.id: r for r in self.rules}
        if evaluate_kpis:
            for (rule_id, subject), (period, value) in list(self.current.items()):
                rule = by_id[rule_id]
                if rule.grain != LIVE and period != current[rule.grain]:
                    value = None  # last period's value says nothing about this one
                    self.current[(rule_id, subject)] = (current[rule.grain], None)
                if self.source_of(rule) in held:
                    continue
                out += self._observe(rule, subject, value, now, clear_on_none=True)
        for rule in (r for r in self.rules if r.kpi == PIPELINE_DEAD_LETTERS):
            for source, times in self.dead_letters.items():
                while times and times[0] < now - rule.window_s:
                    times.popleft()
                out += self._observe(rule, source, float(len(times)), now)
        return out

    def _observe(
        self, rule: AlertRule, subject: str, value: float | None, now: float, clear_on_none: bool = False
    ) -> list[Transition]:
        if value is None and clear_on_none and self.evaluator.states.get((rule.id, subject)):
            state = self.evaluator.states[(rule.id, subject)]
            if state.raised:
                state.raised, state.since = False, None
                return [Transition(rule, subject, "cleared", float("nan"), now)]
            return []
        t = self.evaluator.observe(rule, subject, value, now)
        return [t] if t else []

    def _watches(self, rule: AlertRule, update: dict[str, Any], current: dict[str, str]) -> bool:
        return (
            rule.kpi == update["kpi"]
            and rule.grain == update["grain"]
            and (rule.grain == LIVE or update["period"] == current[rule.grain])
            and update["unit_level"] in rule.levels
            and (not rule.units or update["unit"] in rule.units)
        )

    def _current_periods(self, now: float) -> dict[str, str]:
        return dict(periods_of(int(now * 1_000_000), self.units.timezone))

    def rows(self, transitions: list[Transition]) -> list[dict[str, Any]]:
        """The events as stored and published (messages in both languages)."""
        events = []
        for t in transitions:
            unit = self.units.units.get(t.subject)
            level = unit.level if unit else SOURCE_LEVEL
            period = LIVE if t.rule.grain == LIVE else self._current_periods(t.at)[t.rule.grain]
            value = None if t.value != t.value else t.value  # NaN: cleared for want of data
            names = {"vi": unit.name_vi if unit else t.subject, "en": unit.name_en if unit else t.subject}
            fill = dict(unit=t.subject, value=value if value is not None else 0.0, threshold=t.rule.threshold)
            events.append(
                {
                    "rule": t.rule.id,
                    "subject": t.subject,
                    "unit_level": level,
                    "kpi": t.rule.kpi,
                    "grain": t.rule.grain,
                    "period": period,
                    "severity": t.rule.severity,
                    "threshold": t.rule.threshold,
                    "state": t.state,
                    "value": value,
                    "at": datetime.fromtimestamp(t.at, UTC),
                    "message_vi": render(t.rule.message_vi, unit_name=names["vi"], **fill),
                    "message_en": render(t.rule.message_en, unit_name=names["en"], **fill),
                }
            )
        return events
