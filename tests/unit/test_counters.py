"""Telecom counters archived as columns read back as the records the workers read."""
from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import orjson

from sinks import counters

START = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 11, 21, 1, 20, tzinfo=UTC)


def archived(records: list[dict[str, object]]) -> list[dict[str, object]]:
    con = duckdb.connect()
    counters.create(con)
    counters.insert(con, [counters.row(r, RECEIVED, START) for r in records])
    rows = con.execute(f"SELECT record FROM ({counters.relation()}) ORDER BY key").fetchall()
    return [orjson.loads(text) for (text,) in rows]


def pm(site: str, **fields: object) -> dict[str, object]:
    return {"kind": "pm", "site_id": site, "period_start": "2026-11-21T01:00:00.000000Z",
            "availability_pct": 99.5, **fields}


def test_a_counter_record_reads_back_with_its_values_and_extra_fields() -> None:
    [back] = archived([pm("LCU0001", period_s=900, users=42, traffic_erl=1.5, _wire={"file": "A.xml"})])
    assert back == {**pm("LCU0001"), "period_s": 900, "users": 42, "traffic_erl": 1.5, "data_mb": None,
                    "_wire": {"file": "A.xml"}}


def test_users_beyond_a_bigint_are_archived_as_the_workers_read_them() -> None:
    """An integer of 92 digits is valid JSON and a valid `users`; orjson (the sink's and the workers'
    parser) reads it as the double 1e91, which a BIGINT column refused: the sink died on the batch
    (found by the pipeline property run). It is kept beside the columns now."""
    huge = orjson.loads(b"1" + b"0" * 91)
    assert huge == 1e91
    records = [pm("LCU0001", users=huge), pm("LCU0002", users=2**63), pm("LCU0003", users=2**63 - 1)]
    assert [r["users"] for r in archived(records)] == [1e91, 2**63, 2**63 - 1]
