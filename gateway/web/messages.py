"""What the screens receive from the KPI and alert topics: small JSON objects, times in epoch ms.

Pure functions, so the shapes the browser relies on are unit-tested without a broker.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from contract.records import KpiUpdate, split_kpi_key

# The 766 components are the ranking's drill-down, not live screen values: 20 per unit and
# period would triple the stream for nothing shown.
_NOT_STREAMED = "index766.component."


def epoch_ms(iso: str | None) -> int | None:
    return None if not iso else int(datetime.fromisoformat(iso).timestamp() * 1000)


def kpi_update(key: bytes | None, value: bytes | None, received_ms: int) -> dict[str, Any] | None:
    """A KPI update message (or a tombstone: the period was retracted) for the screens;
    None for messages the screens do not show. A tombstone has no update time of its own: it
    takes the moment the tail read it, so it outranks what DuckDB held before."""
    if key is None:
        return None
    try:
        kpi, unit, grain, period = split_kpi_key(key.decode())
    except ValueError:
        return None
    if kpi.startswith(_NOT_STREAMED):
        return None
    if value is None:
        return {"kpi": kpi, "unit": unit, "grain": grain, "period": period, "retracted": True,
                "t": received_ms}
    m = KpiUpdate.from_json(value)
    out = {"kpi": kpi, "unit": unit, "grain": grain, "period": period, "value": m.value,
           "num": m.numerator, "den": m.denominator, "t": epoch_ms(m.updated_at)}
    detail = m.detail
    if isinstance(detail, dict) and "band" in detail:
        out["band"] = detail["band"]   # the ranking shows the rating band beside the total
    return out


def kpi_row(row: dict[str, Any]) -> dict[str, Any]:
    """A kpi_latest row (selected by queries.snapshot) in the same shape as a live update."""
    return {"kpi": row["kpi"], "unit": row["unit"], "grain": row["grain"], "period": row["period"],
            "value": row["value"], "num": row["numerator"], "den": row["denominator"], "t": row["t"]}


def alert_event(value: bytes) -> dict[str, Any]:
    """An ioc.alerts raise or clear, as the alerts feed merges it (by alert_id)."""
    m = orjson.loads(value)
    return {"alert_id": m.get("alert_id"), "rule": m.get("rule"), "subject": m.get("subject"),
            "unit_level": m.get("unit_level"), "severity": m.get("severity"), "state": m.get("state"),
            "value": m.get("value"), "threshold": m.get("threshold"), "at": epoch_ms(m.get("at")),
            "message_vi": m.get("message_vi"), "message_en": m.get("message_en")}


def newest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per KPI key, the latest by update time (a snapshot from DuckDB merged with what the
    live tail saw that the sink may not have written yet)."""
    best: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["kpi"], row["unit"], row["grain"], row["period"])
        old = best.get(key)
        if old is None or (row.get("t") or 0) >= (old.get("t") or 0):
            best[key] = row
    return [r for r in best.values() if not r.get("retracted")]
