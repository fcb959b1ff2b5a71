"""Cut-off episodes from the changes of `telecom.commune_cut_off` (see reports/sql.py for why these):
when each began and ended, and how many of its hours fall in the report's period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

ALERT_EARLY_MS = 60_000  # an alert is stamped by the sink, a KPI change by the worker: allow for the gap


@dataclass(frozen=True)
class Episode:
    commune: str
    start: datetime
    end: datetime | None  # None: still cut off when the report was made
    hours: float  # of it inside the period (and before the report was made)
    acknowledged_by: str | None  # who acknowledged the alert raised for it, if any


def _at(ms: int | float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def episodes(
    changes: Iterable[Mapping[str, Any]],
    alerts: Iterable[Mapping[str, Any]],
    start_ms: int,
    end_ms: int,
    now_ms: int,
) -> list[Episode]:
    """Rows (unit, at, value) ordered by unit and time -> the episodes that overlap [start, end)."""
    by_unit: dict[str, list[Mapping[str, Any]]] = {}
    for alert in alerts:
        by_unit.setdefault(alert["unit"], []).append(alert)
    out: list[Episode] = []
    for unit, rows in groupby(changes, key=lambda r: r["unit"]):
        for began, ended in _intervals(rows):
            stop = min(ended if ended is not None else now_ms, end_ms, now_ms)
            inside = max(0, stop - max(began, start_ms))
            if inside <= 0 and not start_ms <= began < end_ms:
                continue
            out.append(
                Episode(
                    unit,
                    _at(began),
                    None if ended is None else _at(ended),
                    inside / 3_600_000,
                    _acknowledged(by_unit.get(unit, []), began, ended),
                )
            )
    return sorted(out, key=lambda e: (e.start, e.commune))


def _intervals(rows: Iterable[Mapping[str, Any]]) -> list[tuple[int, int | None]]:
    """(began, ended) in ms for each run of value >= 1; ended None when still running."""
    spans: list[tuple[int, int | None]] = []
    began: int | None = None
    for row in rows:
        cut = (row["value"] or 0) >= 1
        if cut and began is None:
            began = int(row["changed_at"])
        elif not cut and began is not None:
            spans.append((began, int(row["changed_at"])))
            began = None
    if began is not None:
        spans.append((began, None))
    return spans


def _acknowledged(alerts: list[Mapping[str, Any]], began: int, ended: int | None) -> str | None:
    for a in alerts:
        during = began - ALERT_EARLY_MS <= a["raised_at"] and (ended is None or a["raised_at"] <= ended)
        if during and a.get("acknowledged_by"):
            return str(a["acknowledged_by"])
    return None


@dataclass(frozen=True)
class CommuneCutOff:
    commune: str
    episodes: int
    hours: float
    longest: float


def per_commune(items: Iterable[Episode]) -> list[CommuneCutOff]:
    """Hours cut off in the period per commune, most first."""
    grouped: dict[str, list[Episode]] = {}
    for e in items:
        grouped.setdefault(e.commune, []).append(e)
    rows = [
        CommuneCutOff(c, len(es), sum(e.hours for e in es), max(e.hours for e in es))
        for c, es in grouped.items()
    ]
    return sorted(rows, key=lambda r: (-r.hours, r.commune))
