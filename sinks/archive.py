"""Reading the DuckDB archive back, in arrival order: `ioc replay` folds it, the restart at
`ioc run` republishes it. Both open the store exclusively (DuckDB has one writer), so the
pipeline's sink must not be running on the same file."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from sinks.schema import archive_relation
from sinks.store import open_store

ARROW_BATCH = 100_000


def open_exclusive(path: Path, sources: list[str], timezone: str) -> duckdb.DuckDBPyConnection:
    try:
        return open_store(path, sources, timezone)
    except duckdb.IOException as exc:
        raise RuntimeError(
            f"cannot open {path}: is a pipeline running on it? stop the pipeline first ({exc})"
        ) from exc


def archived(con: duckdb.DuckDBPyConnection, source: str, columns: str, rows: int = ARROW_BATCH,
             where: str = "true") -> Iterator[pa.RecordBatch]:
    """`columns` (SQL over the raw table) of the archived records of `source` (`where` holds), in the
    order the raw topic had them (arrival, then identity), in Arrow batches."""
    query = f"SELECT {columns} FROM ({archive_relation(source)}) WHERE {where} ORDER BY received_at, id"
    with con.cursor() as reading:  # its own cursor: the caller may write meanwhile
        yield from reading.sql(query).to_arrow_reader(rows)
