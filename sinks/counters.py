"""Telecom counters archived in columns: one row per site and 15 minutes, not a JSON text.

The full network sends ~2,100 sites x 96 periods a day: 74 million counter records a year. As JSON
text with an identity index they would take tens of GB and the memory of the index; as columns
(dictionary-encoded site, delta-encoded times, doubles) a year takes a couple of GB, and the
archive needs no index: the gateway's duplicate index lets each (site, period) through once, and the
sink writes each consumed offset once (sinks/offsets.py). Fields beyond the contract's (such as
`_wire` from an adapter) are kept in `extra`.

The archive is read back as records (`ioc replay`, the restart's republishing) through `relation()`,
which renders the rows as the records' JSON text again, with the same instants and values.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

SOURCE, KIND, TABLE = "telecom", "pm", "telecom_counters"
_NUMBERS = ("availability_pct", "traffic_erl", "data_mb")
_SCHEMA = pa.schema(
    [
        ("site_id", pa.string()),
        ("period_start", pa.timestamp("us", tz="UTC")),
        ("period_s", pa.int32()),
        ("availability_pct", pa.float64()),
        ("traffic_erl", pa.float64()),
        ("data_mb", pa.float64()),
        ("users", pa.int64()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("extra", pa.string()),
    ]
)
_KNOWN = {"kind", "site_id", "period_start", "period_s", "users", *_NUMBERS}
_BIGINT = (-(2**63), 2**63 - 1)


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        site_id VARCHAR NOT NULL, period_start TIMESTAMPTZ NOT NULL, period_s INTEGER,
        availability_pct DOUBLE NOT NULL, traffic_erl DOUBLE, data_mb DOUBLE, users BIGINT,
        received_at TIMESTAMPTZ NOT NULL,
        extra JSON                           -- fields beyond the contract's (e.g. _wire), else NULL
    )""")


def migrate(con: duckdb.DuckDBPyConnection, raw_table: str) -> int:
    """Counters an earlier version archived as JSON text in the raw table move into the columns."""
    found = con.execute(f"SELECT count(*) FROM {raw_table} WHERE record->>'kind' = '{KIND}'").fetchone()
    if not found or not found[0]:
        return 0
    known = "{" + ", ".join(f'"{k}": null' for k in sorted(_KNOWN)) + "}"
    con.execute("BEGIN")
    con.execute(f"""INSERT INTO {TABLE}
        SELECT record->>'site_id', event_time, (record->>'period_s')::INTEGER,
               (record->>'availability_pct')::DOUBLE, (record->>'traffic_erl')::DOUBLE,
               (record->>'data_mb')::DOUBLE,
               (record->>'users')::BIGINT, received_at,
               nullif(json_merge_patch(record, '{known}')::VARCHAR, '{{}}')
        FROM {raw_table} WHERE record->>'kind' = '{KIND}'""")
    con.execute(f"DELETE FROM {raw_table} WHERE record->>'kind' = '{KIND}'")
    con.execute("COMMIT")
    return int(found[0])


def is_counter(source: str, record: dict[str, Any]) -> bool:
    return source == SOURCE and record.get("kind") == KIND


def row(record: dict[str, Any], received_at: datetime, period_start: datetime) -> dict[str, Any]:
    extra = {k: v for k, v in record.items() if k not in _KNOWN}
    users = record.get("users")
    if users is not None and not (isinstance(users, int) and _BIGINT[0] <= users <= _BIGINT[1]):
        # A valid integer beyond a BIGINT (orjson reads it as a double): kept in `extra`, which
        # relation() lays over the columns, so the record reads back as the workers read it.
        extra["users"], users = users, None
    return {
        "site_id": record["site_id"],
        "period_start": period_start,
        "period_s": record.get("period_s"),
        "availability_pct": float(record["availability_pct"]),
        **{name: _float(record.get(name)) for name in _NUMBERS[1:]},
        "users": users,
        "received_at": received_at,
        "extra": orjson.dumps(extra).decode() if extra else None,
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    con.register("counter_rows", pa.Table.from_pylist(rows, _SCHEMA))
    try:
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM counter_rows")
    finally:
        con.unregister("counter_rows")


def relation() -> str:
    """The counters as archive rows (id, key, received_at, event_time, record): the records' text again
    (absent optional fields as nulls, which read the same)."""
    fields = ", ".join(f"'{c}', {c}" for c in ("period_s", "users", *_NUMBERS))
    start = "strftime(period_start AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ')"
    record = (
        f"json_merge_patch(json_object('kind', 'pm', 'site_id', site_id, 'period_start', {start}, "
        f"{fields}), coalesce(extra, '{{}}'))"
    )
    return (
        f"SELECT md5(site_id || '|' || epoch_us(period_start)::VARCHAR) AS id, site_id AS key, received_at, "
        f"period_start AS event_time, {record} AS record FROM {TABLE}"
    )
