"""Drill-down: the records behind a KPI, as tables of per-entity facts and views over them.

The facts come from the KPI folds themselves (ioc.internal.details.<source>), so a list of late
dossiers holds exactly the dossiers the on-time rate counted late.
"""
from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

STR, INT, BOOL, TS, FLOAT = pa.string(), pa.int64(), pa.bool_(), pa.timestamp("us", tz="UTC"), pa.float64()
# source -> (table, columns); the first column is the entity key
TABLES: dict[str, tuple[str, tuple[tuple[str, pa.DataType], ...]]] = {
    "dvc": (
        "dvc_dossiers",
        (
            ("dossier", STR),
            ("unit", STR),
            ("procedure", STR),
            ("channel", INT),
            ("status", INT),
            ("received_at", TS),
            ("due_at", TS),
            ("finished_at", TS),
            ("end_at", TS),
            ("supplement_s", FLOAT),
            ("supplement_requests", INT),
            ("on_time", BOOL),
        ),
    ),
    "eoffice": (
        "eoffice_documents",
        (
            ("doc_id", STR),
            ("unit", STR),
            ("direction", STR),
            ("status", STR),
            ("first_seen", TS),
            ("issued_at", TS),
            ("deadline", TS),
            ("closed", BOOL),
            ("electronic", BOOL),
            ("signed", BOOL),
        ),
    ),
    "telecom": (
        "telecom_sites",
        (
            ("site_id", STR),
            ("commune", STR),
            ("operator", STR),
            ("known", BOOL),
            ("out", BOOL),
            ("out_since", TS),
        ),
    ),
}
_DUCK = {STR: "VARCHAR", INT: "BIGINT", BOOL: "BOOLEAN", TS: "TIMESTAMPTZ", FLOAT: "DOUBLE"}


def create_drilldown(con: duckdb.DuckDBPyConnection, timezone: str) -> None:
    for table, columns in TABLES.values():
        cols = ", ".join(f"{name} {_DUCK[kind]}" for name, kind in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols}, PRIMARY KEY ({columns[0][0]}))")
    local = f"AT TIME ZONE '{timezone}'"

    def periods(col: str) -> str:
        return (
            f"strftime({col} {local}, '%Y-%m') AS month, "
            f"strftime({col} {local}, '%Y') || '-Q' || quarter({col} {local}) AS quarter, "
            f"strftime({col} {local}, '%Y') AS year"
        )

    con.execute(f"""CREATE OR REPLACE VIEW late_dossiers AS
        SELECT unit, dossier, procedure, received_at, due_at, end_at,
               supplement_s / 86400.0 AS supplement_days,
               supplement_requests, finished_at, {periods("finished_at")}
        FROM dvc_dossiers WHERE on_time = false""")
    con.execute("""CREATE OR REPLACE VIEW overdue_dossiers AS
        SELECT unit, dossier, procedure, status, received_at, due_at, now() - due_at AS overdue_by
        FROM dvc_dossiers WHERE status NOT IN (3, 7, 8, 9, 10) AND due_at < now()""")
    con.execute("""CREATE OR REPLACE VIEW overdue_documents AS
        SELECT unit, doc_id, status, first_seen, deadline, now() - deadline AS overdue_by
        FROM eoffice_documents WHERE direction = 'incoming' AND NOT closed AND deadline < now()""")
    con.execute("""CREATE OR REPLACE VIEW sites_out AS
        SELECT commune, site_id, operator, out_since, now() - out_since AS out_for
        FROM telecom_sites WHERE known AND out""")


def upsert_details(con: duckdb.DuckDBPyConnection, source: str, rows: dict[str, dict[str, Any]]) -> None:
    """Rows keyed by entity, the last of a batch winning (one key twice in one upsert is wrong)."""
    table, columns = TABLES[source]
    schema = pa.schema(list(columns))
    arrow = pa.Table.from_pylist(
        [{name: row.get(name) for name, _ in columns} for row in rows.values()], schema
    )
    con.register("detail_rows", arrow)
    try:
        con.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM detail_rows")
    finally:
        con.unregister("detail_rows")
