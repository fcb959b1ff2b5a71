"""The view index766_official (sinks/index766.py) on an in-memory DuckDB: the latest figure per unit,
period, group and component; by issued_at when given, else by arrival."""
from __future__ import annotations

import duckdb
import orjson

from sinks.index766 import create_index766
from sinks.schema import create_schema


def test_latest_figure_per_component() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    create_schema(con, ["official766"])
    create_index766(con)
    base = {"unit": "03388", "period": "2026-11"}
    rows = [   # id, arrival, record
        ("a", "2026-12-01 01:00:00+00", {**base, "group": "TDGQ", "component": "ON_TIME", "points": 16,
                                          "issued_at": "2026-12-05T00:00:00Z"}),
        ("b", "2026-12-02 01:00:00+00", {**base, "group": "TDGQ", "component": "ON_TIME", "points": 15,
                                          "issued_at": "2026-12-01T00:00:00Z"}),   # older issue, late
        ("c", "2026-12-01 01:00:00+00", {**base, "group": "TTTT", "component": "", "points": 7}),
        ("d", "2026-12-03 01:00:00+00", {**base, "group": "TTTT", "component": "", "points": 8}),
        ("e", "2026-12-03 01:00:00+00", {**base, "period": "2026-Q4", "group": "TTTT", "points": 6}),
    ]
    for row_id, arrival, record in rows:
        con.execute("INSERT INTO raw_official766 VALUES (?, '03388', ?, '2026-10-31 17:00:00+00', ?)",
                    [row_id, arrival, orjson.dumps(record).decode()])
    got = con.execute("SELECT period, grain, group_code, component, points, figures FROM index766_official "
                      "ORDER BY period, group_code").fetchall()
    assert got == [("2026-11", "month", "TDGQ", "ON_TIME", 16.0, 2), ("2026-11", "month", "TTTT", "", 8.0, 2),
                   ("2026-Q4", "quarter", "TTTT", "", 6.0, 1)]
