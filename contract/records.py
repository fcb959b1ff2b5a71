"""The records that cross topics, shared by connectors, streams and sinks.

Data payloads stay exactly as their consumers expect them (a raw topic carries the source's own
record; a KPI topic carries the contract's KPI update message); pipeline metadata and control
markers travel in Kafka headers, so an outside consumer can ignore them.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

H_ID = "ioc-id"                  # raw: the record identity digest (hex); dead letter: a unique id
H_RECEIVED = "ioc-received-at"   # raw: arrival time (ISO-8601, UTC)
H_EVENT = "ioc-event-us"         # raw: event time, epoch microseconds
H_BARRIER = "ioc-barrier"        # control: a barrier marker travelling through every stage
H_CHECKPOINT = "ioc-checkpoint"  # control: the barrier is a checkpoint (its id: the gateway's clock, µs)
H_SRC = "ioc-src"                # control and partials: the sending partition
H_ARCHIVED = "ioc-archived"      # raw: republished from the DuckDB archive (the sink need not archive it)
H_READY = "ioc-ready"            # partials: the sending partition finished rebuilding its state

Headers = list[tuple[str, bytes]]


def now_utc() -> datetime:
    return datetime.now(UTC)


class ArrivalClock:
    """The gateway's clock for arrivals and checkpoints: strictly increasing, even when the system
    clock steps back, so "received before checkpoint C" is exactly "published before its marker"."""

    def __init__(self) -> None:
        self._last = datetime.min.replace(tzinfo=UTC)

    def now(self) -> datetime:
        now = now_utc()
        self._last = now if now > self._last else self._last + timedelta(microseconds=1)
        return self._last

    def advance_to(self, at: datetime) -> None:
        """Never hand out a time at or before `at` (the archive's latest arrival, after a restart)."""
        self._last = max(self._last, at)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def header(headers: Any, name: str) -> bytes | None:
    """Look a header up in the list-of-pairs or dict forms that Kafka clients hand out."""
    if not headers:
        return None
    items = headers.items() if isinstance(headers, dict) else headers
    for key, value in items:
        if key == name:
            return bytes(value)
    return None


def fold_sender(partition: int) -> int:
    """The sender id of a fold partition's markers on a dead-letter topic (the gateway's is 0)."""
    return 1 + partition


def marker_key(src: int) -> bytes:
    """The key of a barrier marker from sender `src`. Apache Kafka refuses a record without a key on
    a compacted topic (the KPI and drill-down topics); one key per sender lets compaction drop a
    sender's marker only once a later marker of the same sender follows it."""
    return b"__barrier__%d" % src


def barrier_headers(barrier_id: str, src: int, checkpoint: int | None = None) -> Headers:
    headers = [(H_BARRIER, barrier_id.encode()), (H_SRC, str(src).encode())]
    return headers + [(H_CHECKPOINT, str(checkpoint).encode())] if checkpoint is not None else headers


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record that cannot be used, kept whole (personal ids masked) with the reason."""
    id: str
    source: str
    reason: str
    received_at: datetime
    record: str

    def to_json(self) -> bytes:
        return orjson.dumps({"id": self.id, "source": self.source, "reason": self.reason,
                             "received_at": iso(self.received_at), "record": self.record})


def kpi_key(kpi: str, unit: str, grain: str, period: str) -> str:
    """The key of a KPI update message (contract 5): a compacted topic keeps the latest per key."""
    return f"{kpi}|{unit}|{grain}|{period}"


def split_kpi_key(key: str) -> tuple[str, str, str, str]:
    """(kpi, unit, grain, period) of a KPI key; ValueError for anything else."""
    kpi, unit, grain, period = key.split("|")
    return kpi, unit, grain, period


def unit_period(unit: str, grain: str, period: str) -> str:
    """The partitioning key of KPI messages: every KPI of a unit and period in one partition."""
    return f"{unit}|{grain}|{period}"


def stable_partition(text: str, partitions: int) -> int:
    """The partition of an aggregate or unit-period key, computed alike by every worker."""
    return zlib.crc32(text.encode()) % partitions


@dataclass(frozen=True, slots=True)
class KpiUpdate:
    """The contract's KPI update message (section 5)."""
    kpi: str
    unit: str
    unit_level: str
    grain: str
    period: str
    value: float | int | None
    numerator: float | int | None
    denominator: float | int | None
    updated_at: str
    detail: dict[str, Any] | None = None   # an extension: the 766 index's groups and components

    @property
    def key(self) -> str:
        return kpi_key(self.kpi, self.unit, self.grain, self.period)

    @classmethod
    def from_json(cls, value: bytes) -> KpiUpdate:
        m = orjson.loads(value)
        return cls(m["kpi"], m["unit"], m["unit_level"], m["grain"], m["period"], m["value"], m["numerator"],
                   m["denominator"], m["updated_at"], m.get("detail"))

    def to_json(self) -> bytes:
        message: dict[str, Any] = {
            "kpi": self.kpi,
            "unit": self.unit,
            "unit_level": self.unit_level,
            "grain": self.grain,
            "period": self.period,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "updated_at": self.updated_at,
        }
        if self.detail is not None:
            message["detail"] = self.detail
        return orjson.dumps(message)
