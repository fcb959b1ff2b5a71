"""The sink writes each consumed message once: the next offset of every partition it consumed is
stored in the same DuckDB transaction as the rows, and the sink resumes from there (not from the
group's commit, which a crash between the two can leave behind). Offsets count within one broker
epoch (streams/engine/checkpoints.py): a new embedded broker starts its topics at 0 again."""
from __future__ import annotations

import duckdb

Offsets = dict[tuple[str, int], int]   # (topic, partition) -> next offset to write


def create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE TABLE IF NOT EXISTS sink_offsets (
        epoch BIGINT, topic VARCHAR, partition INTEGER, next_offset BIGINT,
        PRIMARY KEY (epoch, topic, partition))""")


def save(con: duckdb.DuckDBPyConnection, epoch: int, offsets: Offsets) -> None:
    """Inside the batch's transaction."""
    if offsets:
        con.executemany("INSERT OR REPLACE INTO sink_offsets VALUES (?, ?, ?, ?)",
                        [(epoch, topic, partition, offset) for (topic, partition), offset in offsets.items()])


def load(con: duckdb.DuckDBPyConnection, epoch: int) -> Offsets:
    rows = con.execute(
        "SELECT topic, partition, next_offset FROM sink_offsets WHERE epoch = ?", [epoch]
    ).fetchall()
    return {(topic, partition): offset for topic, partition, offset in rows}
