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
