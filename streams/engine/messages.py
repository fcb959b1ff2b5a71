"""A broker message as the stages see it, whichever client delivered it."""
from __future__ import annotations

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
