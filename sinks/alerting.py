"""Alerts, evaluated where every KPI update and dead letter arrives: the sink.

Raise and clear events go to DuckDB (`alerts`, one row per episode) before ioc.alerts, so an
alert still open after a restart is known and never raised twice.
"""
from __future__ import annotations

import time
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any

import duckdb
import orjson

from ioc.alert_rules import PIPELINE_DEAD_LETTERS
from ioc.periods import LIVE, periods_of
from ioc.units import UnitRegistry
from streams.alerts import AlertRule, Evaluator, Transition, render


def create_alerts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS alerts (
        alert_id VARCHAR PRIMARY KEY, rule VARCHAR, subject VARCHAR, unit_level VARCHAR, kpi VARCHAR,
        grain VARCHAR, period VARCHAR, severity VARCHAR, threshold DOUBLE,
        raised_value DOUBLE, raised_at TIMESTAMPTZ, cleared_value DOUBLE, cleared_at TIMESTAMPTZ,
        message_vi VARCHAR, message_en VARCHAR, acknowledged_at TIMESTAMPTZ, acknowledged_by VARCHAR)""")


class Alerting:
    def __init__(self, rules: list[AlertRule], units: UnitRegistry) -> None:
        self.rules, self.units = rules, units
        self.evaluator = Evaluator(rules)
        self.current: dict[tuple[str, str], tuple[str, float | None]] = {}   # (rule, subject) -> (period, value)
        self.dead_letters: dict[str, deque[float]] = {}

    def restore(self, con: duckdb.DuckDBPyConnection) -> None:
        for rule_id, subject in con.execute("SELECT rule, subject FROM alerts WHERE cleared_at IS NULL").fetchall():
            self.evaluator.restore_raised(rule_id, subject)

    def observe_batch(self, kpis: dict[str, dict[str, Any] | None], dead_letter_sources: list[str]) -> list[Transition]:
        now = time.time()
        current = self._current_periods(now)
        out = []
        for update in kpis.values():
            if update is None:
                continue
            for rule in self.rules:
                if self._watches(rule, update, current):
                    self.current[(rule.id, update["unit"])] = (update["period"], update["value"])
                    out += self._observe(rule, update["unit"], update["value"], now)
        for source in dead_letter_sources:
            self.dead_letters.setdefault(source, deque()).append(now)
        return out + self.tick(now, evaluate_kpis=False)

    def tick(self, now: float | None = None, evaluate_kpis: bool = True) -> list[Transition]:
        """Time passes: for-durations elapse, windows slide, a new period starts without data."""
        now = now or time.time()
        current = self._current_periods(now)
        out = []
        by_id = {r.id: r for r in self.rules}
        if evaluate_kpis:
            for (rule_id, subject), (period, value) in list(self.current.items()):
                rule = by_id[rule_id]
                if rule.grain != LIVE and period != current[rule.grain]:
                    value = None   # last period's value says nothing about this one
                    self.current[(rule_id, subject)] = (current[rule.grain], None)
                out += self._observe(rule, subject, value, now, clear_on_none=True)
        for rule in (r for r in self.rules if r.kpi == PIPELINE_DEAD_LETTERS):
            for source, times in self.dead_letters.items():
                while times and times[0] < now - rule.window_s:
                    times.popleft()
                out += self._observe(rule, source, float(len(times)), now)
        return out

    def _observe(self, rule: AlertRule, subject: str, value: float | None, now: float,
                 clear_on_none: bool = False) -> list[Transition]:
        if value is None and clear_on_none and self.evaluator.states.get((rule.id, subject)):
            state = self.evaluator.states[(rule.id, subject)]
            if state.raised:
                state.raised, state.since = False, None
                return [Transition(rule, subject, "cleared", float("nan"), now)]
            return []
        t = self.evaluator.observe(rule, subject, value, now)
        return [t] if t else []

    def _watches(self, rule: AlertRule, update: dict[str, Any], current: dict[str, str]) -> bool:
        return (rule.kpi == update["kpi"] and rule.grain == update["grain"]
                and (rule.grain == LIVE or update["period"] == current[rule.grain])
                and update["unit_level"] in rule.levels and (not rule.units or update["unit"] in rule.units))

    def _current_periods(self, now: float) -> dict[str, str]:
        return dict(periods_of(int(now * 1_000_000), self.units.timezone))

    def rows(self, transitions: list[Transition]) -> list[dict[str, Any]]:
        """The events as stored and published (messages in both languages)."""
        events = []
        for t in transitions:
            unit = self.units.units.get(t.subject)
            level = unit.level if unit else "source"
            period = LIVE if t.rule.grain == LIVE else self._current_periods(t.at)[t.rule.grain]
            value = None if t.value != t.value else t.value   # NaN: cleared for want of data
            names = {"vi": unit.name_vi if unit else t.subject, "en": unit.name_en if unit else t.subject}
            fill = dict(unit=t.subject, value=value if value is not None else 0.0, threshold=t.rule.threshold)
            events.append({"rule": t.rule.id, "subject": t.subject, "unit_level": level, "kpi": t.rule.kpi,
                           "grain": t.rule.grain, "period": period, "severity": t.rule.severity,
                           "threshold": t.rule.threshold, "state": t.state, "value": value,
                           "at": datetime.fromtimestamp(t.at, timezone.utc),
                           "message_vi": render(t.rule.message_vi, unit_name=names["vi"], **fill),
                           "message_en": render(t.rule.message_en, unit_name=names["en"], **fill)})
        return events


def store(con: duckdb.DuckDBPyConnection, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert raises, close episodes on clears; returns the events with their alert ids."""
    for e in events:
        if e["state"] == "raised":
            e["alert_id"] = uuid.uuid4().hex
            con.execute("""INSERT INTO alerts (alert_id, rule, subject, unit_level, kpi, grain, period, severity,
                           threshold, raised_value, raised_at, message_vi, message_en)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        [e["alert_id"], e["rule"], e["subject"], e["unit_level"], e["kpi"], e["grain"], e["period"],
                         e["severity"], e["threshold"], e["value"], e["at"], e["message_vi"], e["message_en"]])
        else:
            row = con.execute("""UPDATE alerts SET cleared_value = ?, cleared_at = ?
                                 WHERE rule = ? AND subject = ? AND cleared_at IS NULL RETURNING alert_id""",
                              [e["value"], e["at"], e["rule"], e["subject"]]).fetchone()
            e["alert_id"] = row[0] if row else None
    return events


def message(event: dict[str, Any]) -> tuple[bytes, bytes]:
    """Key and value of an ioc.alerts message."""
    body = {**event, "at": event["at"].isoformat()}
    return f"{event['rule']}|{event['subject']}".encode(), orjson.dumps(body)
