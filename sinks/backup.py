"""A consistent copy of the store while the pipeline runs (`ioc backup DIR`).

The sink is DuckDB's one writer: it pauses between batches, checkpoints DuckDB (the write-ahead log
goes into the file), copies the file, and resumes. Beside it go the snapshots of the last complete
checkpoint: restored together, the pipeline starts from those snapshots and republishes the archive
received after the checkpoint, which the copy holds (streams/engine/checkpoints.py).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb

from streams.engine.checkpoints import FileCheckpointStore, write_json


def copy_store(
    con: duckdb.DuckDBPyConnection, database: Path, store: FileCheckpointStore, to: Path
) -> dict[str, Any]:
    """Call with the sink's writing paused. Returns what was copied."""
    to.mkdir(parents=True, exist_ok=True)
    con.execute("CHECKPOINT")
    shutil.copyfile(database, to / database.name)
    complete = store.complete()
    copied = 0
    if complete is not None:
        for snapshot in store.directory.rglob(f"{complete:020d}-*.snap"):
            target = to / "checkpoints" / snapshot.relative_to(store.directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(snapshot, target)
            copied += 1
        write_json(to / "checkpoints" / "complete.json", {"checkpoint": complete, "t_us": complete})
    return {
        "database": database.name,
        "bytes": (to / database.name).stat().st_size,
        "checkpoint": complete,
        "snapshots": copied,
    }
