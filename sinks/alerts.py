"""The `alerts` table (one row per episode, with acknowledgement columns for the screens) and
the ioc.alerts message. Raise and clear events go to DuckDB before the topic, so an alert still
open after a restart is known and never raised twice. `alert_deliveries` says which clears
Alertmanager has accepted (alerts/alertmanager.py), so a restart resumes the delivery; it is a
table of its own so the deliverer never writes a row the sink is closing."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import duckdb
import orjson


def create_alerts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS alerts (
        alert_id VARCHAR PRIMARY KEY, rule VARCHAR, subject VARCHAR, unit_level VARCHAR, kpi VARCHAR,
        grain VARCHAR, period VARCHAR, severity VARCHAR, threshold DOUBLE,
        raised_value DOUBLE, raised_at TIMESTAMPTZ, cleared_value DOUBLE, cleared_at TIMESTAMPTZ,
        message_vi VARCHAR, message_en VARCHAR, acknowledged_at TIMESTAMPTZ, acknowledged_by VARCHAR)""")
    con.execute("""CREATE TABLE IF NOT EXISTS alert_deliveries (
        alert_id VARCHAR PRIMARY KEY, resolved_delivered_at TIMESTAMPTZ)""")


def open_alerts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(rule, subject) of every alert raised and not cleared."""
    return [
        (r, s) for r, s in con.execute("SELECT rule, subject FROM alerts WHERE cleared_at IS NULL").fetchall()
    ]


def store(con: duckdb.DuckDBPyConnection, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert raises, close episodes on clears; returns the events with their alert ids."""
    for e in events:
        if e["state"] == "raised":
            e["alert_id"] = uuid.uuid4().hex
            con.execute(
                """INSERT INTO alerts (alert_id, rule, subject, unit_level, kpi, grain, period, severity,
                           threshold, raised_value, raised_at, message_vi, message_en)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    e["alert_id"],
                    e["rule"],
                    e["subject"],
                    e["unit_level"],
                    e["kpi"],
                    e["grain"],
                    e["period"],
                    e["severity"],
                    e["threshold"],
                    e["value"],
                    e["at"],
                    e["message_vi"],
                    e["message_en"],
                ],
            )
        else:
            row = con.execute(
                """UPDATE alerts SET cleared_value = ?, cleared_at = ?
                                 WHERE rule = ? AND subject = ? AND cleared_at IS NULL RETURNING alert_id""",
                [e["value"], e["at"], e["rule"], e["subject"]],
            ).fetchone()
            e["alert_id"] = row[0] if row else None
    return events


def message(event: dict[str, Any]) -> tuple[bytes, bytes]:
    """Key and value of an ioc.alerts message."""
    body = {**event, "at": event["at"].isoformat()}
    return f"{event['rule']}|{event['subject']}".encode(), orjson.dumps(body)


# A clear older than this is not delivered any more: Alertmanager resolved it by its endsAt long ago.
DELIVER_CLEARS_WITHIN = "INTERVAL 1 DAY"


def pending_deliveries(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Open alerts, and recent clears Alertmanager has not accepted yet (DeliveryStore.pending)."""
    cursor = con.cursor()
    try:
        result = cursor.execute(f"""SELECT a.alert_id, rule, subject, unit_level, severity, raised_at,
                   cleared_at, message_vi, message_en, kpi, grain, period, raised_value
            FROM alerts a LEFT JOIN alert_deliveries d USING (alert_id)
            WHERE cleared_at IS NULL
               OR (d.resolved_delivered_at IS NULL AND cleared_at > now() - {DELIVER_CLEARS_WITHIN})
            ORDER BY raised_at""")
        columns = [c[0] for c in result.description or []]
        return [dict(zip(columns, row)) for row in result.fetchall()]
    finally:
        cursor.close()


def mark_delivered(con: duckdb.DuckDBPyConnection, resolved_ids: list[str]) -> None:
    cursor = con.cursor()
    try:
        cursor.executemany("INSERT OR REPLACE INTO alert_deliveries VALUES (?, now())",
                           [[i] for i in resolved_ids])
    finally:
        cursor.close()


class AlertDeliveries:
    """The alerts table as alerts/alertmanager.py's DeliveryStore (off the sink's event loop)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    async def pending(self) -> list[dict[str, Any]]:
        return await asyncio.to_thread(pending_deliveries, self.con)

    async def delivered(self, resolved_ids: list[str]) -> None:
        await asyncio.to_thread(mark_delivered, self.con, resolved_ids)
