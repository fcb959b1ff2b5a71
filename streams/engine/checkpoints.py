"""Checkpointed stage state: a stage partition's state and the input position it covers.

A worker that takes a partition (start, restart, rebalance) loads the partition's latest snapshot
and reads only the records after it, instead of folding the partition from offset 0.

Snapshots are taken at checkpoint barriers: markers the gateway injects into every raw partition
every `[checkpoints] interval_s` and at a clean stop, which every stage forwards like any barrier.
A fold partition snapshots when it meets the marker; a combine partition once the marker came from
every fold partition, holding back what those sent after it (an aligned checkpoint), so the set of
snapshots of one checkpoint is a consistent cut of the whole pipeline: exactly the records the
gateway published before the marker. The sink marks the checkpoint complete once the marker reached
DuckDB through every path (everything before it is then archived too).

Positions. A snapshot records the broker epoch and the next input offset. Offsets only mean
something within one broker incarnation: the embedded broker is memory only, so `ioc run` numbers
each incarnation (`epoch.json`) and, when it starts an empty broker, republishes the archive from
the last complete checkpoint's time on ("seeded_from"). A worker then takes, per partition:
  1. its newest snapshot of the current epoch, and reads the partition after its offset;
  2. else the snapshot of the checkpoint the epoch was seeded from, and reads from offset 0 (the
     republished records are exactly those after it);
  3. else nothing: a fresh state folded from offset 0 (the epoch was seeded from the whole archive).
On Apache Kafka the log survives restarts: one epoch (0) for ever, rule 1.

Format. Snapshots are pickles of the state objects; the configuration they refer to (units, the
KPI definitions, the 766 rules) is not stored but referred to by name and re-attached on load. A
snapshot whose FORMAT, configuration fingerprint or partition count differs from the code's, or that
cannot be read, is ignored: the partition is rebuilt from the log. Bump FORMAT whenever a state
class in streams/kpis or streams/engine changes shape.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

FORMAT = 2   # 2: closed entities packed (streams/kpis/record_set.py)


@dataclass(frozen=True)
class SnapshotHeader:
    format: int
    stage: str
    partition: int
    partitions: int
    checkpoint: int       # the checkpoint barrier's id (the gateway's clock, µs); 0: not at a checkpoint
    epoch: int            # the broker incarnation whose offsets `offset` counts
    offset: int           # the next input offset to apply
    fingerprint: str      # of the configuration the state was computed under
    taken_at: float


@dataclass(frozen=True)
class Epoch:
    """The broker incarnation this worker reads (its start time in µs; 0 on a durable cluster), and the
    checkpoint it was seeded from (None: the whole archive was republished, or the log is durable)."""
    number: int = 0
    seeded_from: int | None = None


class CheckpointStore(Protocol):
    def save(self, header: SnapshotHeader, body: bytes) -> None: ...

    def headers(self, stage: str, partition: int) -> list[SnapshotHeader]:
        """This partition's snapshots, newest first."""

    def body(self, header: SnapshotHeader) -> bytes | None: ...

    def epoch(self) -> Epoch: ...

    def complete(self) -> int | None:
        """The last checkpoint the sink found complete (everything before it in DuckDB and snapshots)."""

    def begin(self, epoch: Epoch) -> None:
        """Record the epoch `ioc run` begins (workers read it when they take partitions)."""

    def prune(self, stage: str, partition: int, keep: set[int]) -> None:
        """Forget this partition's snapshots but the newest and those of the `keep` checkpoints."""


def fingerprint(*parts: object) -> str:
    """A digest of the configuration a state depends on (reprs of frozen dataclasses and values)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def choose(
    headers: list[SnapshotHeader], epoch: Epoch, usable: Mapping[str, Any]
) -> tuple[SnapshotHeader, int] | None:
    """The snapshot to start from and the offset to read on from (rules 1 and 2 above), or None.
    `usable` holds what a header must match: format, partitions, fingerprint."""
    fitting = [h for h in headers if all(getattr(h, k) == v for k, v in usable.items())]
    same_epoch = [h for h in fitting if h.epoch == epoch.number]
    if same_epoch:
        return same_epoch[0], same_epoch[0].offset
    seed = [h for h in fitting if epoch.seeded_from is not None and h.checkpoint == epoch.seeded_from]
    return (seed[0], 0) if seed else None


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, shared: Mapping[str, object]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._names = {id(obj): name for name, obj in shared.items()}

    def persistent_id(self, obj: object) -> str | None:
        return self._names.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: Mapping[str, object]) -> None:
        super().__init__(file)
        self._shared = shared

    def persistent_load(self, pid: Any) -> object:
        if pid not in self._shared:
            raise pickle.UnpicklingError(f"the snapshot refers to {pid!r}, which this configuration lacks")
        return self._shared[pid]


def dumps(state: object, shared: Mapping[str, object]) -> bytes:
    """The state as bytes; the `shared` configuration objects it refers to go by name."""
    buffer = io.BytesIO()
    _Pickler(buffer, shared).dump(state)
    return buffer.getvalue()


def loads(body: bytes, shared: Mapping[str, object]) -> Any:
    return _Unpickler(io.BytesIO(body), shared).load()


class FileCheckpointStore:
    """Snapshots as files beside DuckDB: <dir>/<stage>/<partition>/<checkpoint>-<epoch>-<offset>.snap,
    a JSON header line, then the pickle. Written to a temporary name and renamed (never half a file)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _dir(self, stage: str, partition: int) -> Path:
        return self.directory / stage / str(partition)

    def save(self, header: SnapshotHeader, body: bytes) -> None:
        folder = self._dir(header.stage, header.partition)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{header.checkpoint:020d}-{header.epoch:06d}-{header.offset:020d}.snap"
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as f:
            f.write(orjson.dumps(asdict(header)) + b"\n")
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        temporary.replace(path)

    def headers(self, stage: str, partition: int) -> list[SnapshotHeader]:
        folder = self._dir(stage, partition)
        found = []
        for path in folder.glob("*.snap") if folder.exists() else []:
            header = _read_header(path)
            if header is not None:
                found.append(header)
        return sorted(found, key=lambda h: (h.epoch, h.offset, h.checkpoint, h.taken_at), reverse=True)

    def body(self, header: SnapshotHeader) -> bytes | None:
        path = self._path(header)
        try:
            with path.open("rb") as f:
                f.readline()
                return f.read()
        except OSError:
            return None

    def _path(self, h: SnapshotHeader) -> Path:
        return self._dir(h.stage, h.partition) / f"{h.checkpoint:020d}-{h.epoch:06d}-{h.offset:020d}.snap"

    def epoch(self) -> Epoch:
        data = read_json(self.directory / "epoch.json")
        return Epoch(int(data.get("epoch", 0)), data.get("seeded_from")) if data else Epoch()

    def complete(self) -> int | None:
        checkpoint = read_json(self.directory / "complete.json").get("checkpoint")
        return int(checkpoint) if checkpoint is not None else None

    def begin(self, epoch: Epoch) -> None:
        write_json(self.directory / "epoch.json", {"epoch": epoch.number, "seeded_from": epoch.seeded_from})

    def mark_complete(self, checkpoint: int, t_us: int) -> None:
        write_json(self.directory / "complete.json", {"checkpoint": checkpoint, "t_us": t_us})

    def prune(self, stage: str, partition: int, keep: set[int]) -> None:
        for stale in self.headers(stage, partition)[1:]:
            if stale.checkpoint not in keep:
                self._path(stale).unlink(missing_ok=True)


def _read_header(path: Path) -> SnapshotHeader | None:
    try:
        with path.open("rb") as f:
            return SnapshotHeader(**orjson.loads(f.readline()))
    except (OSError, ValueError, TypeError):
        return None  # a file of another format or a damaged one: as if absent


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(data))
    with temporary.open("rb") as f:
        os.fsync(f.fileno())
    temporary.replace(path)


def kept(store: CheckpointStore) -> set[int]:
    """Checkpoints whose snapshots must stay: the last complete one, the one the epoch was seeded from."""
    return {c for c in (store.epoch().seeded_from, store.complete()) if c is not None}
