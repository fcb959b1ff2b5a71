"""DuckDB schema: raw archive per source, dead letters, KPI history and the `kpi_latest` view."""
from __future__ import annotations

import duckdb


def raw_table(source: str) -> str:
    return f"raw_{source}"


def create_schema(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    for source in sources:
        con.execute(f"""CREATE TABLE IF NOT EXISTS {raw_table(source)} (
            id VARCHAR PRIMARY KEY,          -- identity digest (contract 2): one row per record
            key VARCHAR NOT NULL,            -- partition key (dossier, document, site...)
            received_at TIMESTAMPTZ NOT NULL,
            event_time TIMESTAMPTZ NOT NULL,
            record JSON NOT NULL             -- the source's record, unchanged
        )""")
    con.execute("""CREATE TABLE IF NOT EXISTS dead_letters (
        id VARCHAR PRIMARY KEY,
        source VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        record VARCHAR NOT NULL              -- whole, personal id numbers masked
    )""")
    con.execute("""CREATE TABLE IF NOT EXISTS kpi_current (
        kpi VARCHAR, unit VARCHAR, unit_level VARCHAR, grain VARCHAR, period VARCHAR,
        value DOUBLE, numerator DOUBLE, denominator DOUBLE, updated_at TIMESTAMPTZ,
        PRIMARY KEY (kpi, unit, grain, period)
    )""")
    con.execute("""CREATE TABLE IF NOT EXISTS kpi_history (
        kpi VARCHAR, unit VARCHAR, unit_level VARCHAR, grain VARCHAR, period VARCHAR,
        value DOUBLE, numerator DOUBLE, denominator DOUBLE, updated_at TIMESTAMPTZ,
        retracted BOOLEAN DEFAULT false      -- the period lost its last record (e.g. moved by a correction)
    )""")
    con.execute("""CREATE TABLE IF NOT EXISTS checkpoints (
        checkpoint BIGINT,                   -- the gateway's arrival clock at its barrier, epoch µs
        completed_at TIMESTAMPTZ             -- when it reached DuckDB through every path
    )""")
    con.execute("""CREATE OR REPLACE VIEW kpi_latest AS
        SELECT kpi, unit, unit_level, grain, period, value, numerator, denominator, updated_at
        FROM kpi_current""")
