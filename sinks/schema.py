"""DuckDB schema: raw archive per source, dead letters, KPI history and the `kpi_latest` view."""
from __future__ import annotations

import duckdb

from sinks import counters, offsets


def archive_view(source: str) -> str:
    """The source's whole raw archive: one row per record (id, key, received_at, event_time, record)."""
    return f"raw_{source}"


def raw_table(source: str) -> str:
    """The table the sink archives the source's records in as JSON text (telecom: all but the
    counters, which have columns of their own: sinks/counters.py; `raw_telecom` is then a view of both)."""
    return f"raw_{source}_events" if source == counters.SOURCE else archive_view(source)


def archive_relation(source: str) -> str:
    return f"SELECT id, key, received_at, event_time, record FROM {archive_view(source)}"


def create_schema(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    for source in sources:
        if source == counters.SOURCE:
            _split_counters_out(con, source)
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
    if counters.SOURCE in sources:
        counters.create(con)
        counters.migrate(con, raw_table(counters.SOURCE))
        con.execute(f"""CREATE OR REPLACE VIEW {archive_view(counters.SOURCE)} AS
            SELECT id, key, received_at, event_time, record FROM {raw_table(counters.SOURCE)}
            UNION ALL {counters.relation()}""")
    offsets.create(con)
    con.execute("""CREATE TABLE IF NOT EXISTS checkpoints (
        checkpoint BIGINT,                   -- the gateway's arrival clock at its barrier, epoch µs
        completed_at TIMESTAMPTZ             -- when it reached DuckDB through every path
    )""")
    con.execute("""CREATE OR REPLACE VIEW kpi_latest AS
        SELECT kpi, unit, unit_level, grain, period, value, numerator, denominator, updated_at
        FROM kpi_current""")


def _split_counters_out(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """An archive of an earlier version kept every telecom record in the table `raw_telecom`: it
    becomes the events table (its counters then move to columns) and `raw_telecom` a view."""
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                       [archive_view(source)]).fetchone()
    if kind is not None and kind[0] == "BASE TABLE":
        con.execute(f"ALTER TABLE {archive_view(source)} RENAME TO {raw_table(source)}")
