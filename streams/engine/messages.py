"""A broker message as the stages see it, whichever client delivered it."""
from __future__ import annotations

import zlib
from typing import Any, NamedTuple


class Msg(NamedTuple):
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Any


def from_record(record: Any) -> Msg:
    """From an aiokafka ConsumerRecord or a Faust Message (same attribute names)."""
    return Msg(record.partition, record.offset, record.key, record.value, record.headers)


def stable_partition(text: str, partitions: int) -> int:
    """A partition for an aggregate key that every worker computes alike."""
    return zlib.crc32(text.encode()) % partitions


def unit_period(unit: str, grain: str, period: str) -> str:
    """The partitioning key of KPI messages: every KPI of a unit and period in one partition."""
    return f"{unit}|{grain}|{period}"
