"""The 766 index's scores and the components behind them: why a commune lost points."""
from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa


def create_index766(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS index766_scores (
        unit VARCHAR, unit_level VARCHAR, grain VARCHAR, period VARCHAR, version VARCHAR,
        total DOUBLE, band VARCHAR, band_confirmed BOOLEAN, updated_at TIMESTAMPTZ,
        PRIMARY KEY (unit, grain, period))""")
    con.execute("""CREATE TABLE IF NOT EXISTS index766_components (
        unit VARCHAR, grain VARCHAR, period VARCHAR, group_code VARCHAR, component VARCHAR, kpi VARCHAR,
        ratio DOUBLE, points DOUBLE, max_points DOUBLE, lost DOUBLE, basis VARCHAR,
        PRIMARY KEY (unit, grain, period, component))""")
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                        [OFFICIAL_ARCHIVE]).fetchone()
    if found and found[0]:
        con.execute(OFFICIAL_VIEW)


OFFICIAL_ARCHIVE = "raw_official766"
# The latest official figure per unit, period, group and component (component '': the group's
# points as a whole): a re-issued figure replaces the earlier one; the latest by when it was read off
# the portal (`issued_at`) when given, else by arrival (an old answer sent again late does not win).
# `received_at` is when the kept figure arrived, `figures` how many were received for that key.
OFFICIAL_VIEW = f"""CREATE OR REPLACE VIEW index766_official AS
    SELECT unit, period,
           CASE WHEN period LIKE '%-Q%' THEN 'quarter' WHEN length(period) = 7 THEN 'month' ELSE 'year' END
               AS grain,
           group_code, component, points, max_points, issued_at, received_at, figures
    FROM (SELECT record->>'unit' AS unit, record->>'period' AS period, record->>'group' AS group_code,
                 coalesce(record->>'component', '') AS component,
                 CAST(record->>'points' AS DOUBLE) AS points,
                 CAST(record->>'max_points' AS DOUBLE) AS max_points,
                 CAST(record->>'issued_at' AS TIMESTAMPTZ) AS issued_at, received_at,
                 count(*) OVER w AS figures,
                 row_number() OVER (w ORDER BY
                     coalesce(CAST(record->>'issued_at' AS TIMESTAMPTZ), received_at) DESC,
                     received_at DESC, id DESC) AS latest
          FROM {OFFICIAL_ARCHIVE}
          WINDOW w AS (PARTITION BY record->>'unit', record->>'period', record->>'group',
                                    coalesce(record->>'component', '')))
    WHERE latest = 1"""


def write_index766(con: duckdb.DuckDBPyConnection, totals: list[dict[str, Any]]) -> None:
    """One row per unit and period (the latest total), and its components."""
    scores, parts = [], []
    for t in totals:
        d = t["detail"]
        scores.append(
            {
                "unit": t["unit"],
                "unit_level": t["unit_level"],
                "grain": t["grain"],
                "period": t["period"],
                "version": d["version"],
                "total": d["total"],
                "band": d["band"],
                "band_confirmed": d["band_confirmed"],
                "updated_at": t["updated_at"],
            }
        )
        parts += [
            {
                "unit": t["unit"],
                "grain": t["grain"],
                "period": t["period"],
                "group_code": c["group"],
                "component": c["code"],
                "kpi": c["kpi"],
                "ratio": c["ratio"],
                "points": c["points"],
                "max_points": c["max"],
                "lost": c["max"] - c["points"],
                "basis": c["basis"],
            }
            for c in d["components"]
        ]
    for table, rows in (("index766_scores", scores), ("index766_components", parts)):
        con.register("index_rows", pa.Table.from_pylist(rows))
        try:
            cols = ", ".join(rows[0])
            con.execute(f"INSERT OR REPLACE INTO {table} ({cols}) SELECT {cols} FROM index_rows")
        finally:
            con.unregister("index_rows")
