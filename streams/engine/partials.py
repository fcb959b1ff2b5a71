"""The internal messages from the fold stage to the combine stage (ioc.internal.partials.<source>).

A fold partition reports the current partial vector of each aggregate key that changed (and new
sample values from an index on), tagged with the order of its state: (broker epoch, next input
offset, time). The combine keeps the latest report per key and fold partition, so a repeated or
re-ordered report never counts twice. Keys go to the combine partition of their unit and period:
all KPIs of a unit and period meet there (the 766 index needs them together).

No message grows with history: reports are cut into messages of at most MAX_BYTES (estimated),
and a key's sample values into runs of SAMPLE_RUN, each with its index.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson

from contract.records import H_READY, H_SRC, Headers, header, stable_partition, unit_period
from streams.kpis.base import AggKey

H_ORDER = "ioc-order"
H_BEHIND = "ioc-behind"   # the fold partition had more input waiting: the combine may coalesce too
MAX_BYTES = 128 << 10
SAMPLE_RUN = 2048
_VECTOR_BYTES, _VALUE_BYTES, _KEY_BYTES = 24, 12, 64   # generous estimates of the encoded sizes

Order = tuple[int, int, int]   # (broker epoch, next input offset of the reporting state, emission time µs)
Item = list[Any]               # [family, unit, grain, period, payload]


def target(key: AggKey, partitions: int) -> int:
    """The combine (and KPI topic) partition of an aggregate key: that of its unit and period."""
    return stable_partition(unit_period(key[1], key[2], key[3]), partitions)


def order_headers(sender: int, epoch: int, watermark: int, behind: bool = False) -> Headers:
    headers = [
        (H_SRC, str(sender).encode()),
        (H_ORDER, f"{epoch}:{watermark}:{time.time_ns() // 1000}".encode()),
    ]
    return headers + [(H_BEHIND, b"1")] if behind else headers


def is_behind(headers: object) -> bool:
    return header(headers, H_BEHIND) is not None


def ready_headers(sender: int) -> Headers:
    """The fold partition has taken its partition: the combine may trust its reports as complete."""
    return [(H_READY, b"1"), (H_SRC, str(sender).encode())]


def order_of(headers: object) -> Order:
    epoch, watermark, emitted = (int(x) for x in (header(headers, H_ORDER) or b"0:0:0").split(b":"))
    return epoch, watermark, emitted


def is_ready(headers: object) -> bool:
    return header(headers, H_READY) is not None


def items_of(
    vectors: dict[AggKey, list[int]], samples: dict[AggKey, tuple[int, list[float]]]
) -> Iterator[Item]:
    """Report items: a vector per changed key, and each key's new samples in runs."""
    for key, vec in vectors.items():
        yield [*key, vec]
    for key, (start, values) in samples.items():
        for i in range(0, len(values), SAMPLE_RUN):
            yield [*key, {"start": start + i, "values": values[i : i + SAMPLE_RUN]}]


def messages(items: Iterator[Item], partitions: int) -> Iterator[tuple[int, bytes]]:
    """(combine partition, message value) with every message under MAX_BYTES."""
    pending: dict[int, tuple[list[Item], int]] = {}
    for item in items:
        q = target((item[0], item[1], item[2], item[3]), partitions)
        batch, size = pending.get(q, ([], 0))
        payload = item[4]
        cost = _KEY_BYTES + (
            _VALUE_BYTES * len(payload["values"])
            if isinstance(payload, dict)
            else _VECTOR_BYTES * len(payload)
        )
        if batch and size + cost > MAX_BYTES:
            yield q, orjson.dumps(batch)
            batch, size = [], 0
        batch.append(item)
        pending[q] = (batch, size + cost)
    for q, (batch, _) in pending.items():
        if batch:
            yield q, orjson.dumps(batch)


def decode(value: bytes | None) -> list[Item]:
    items: list[Item] = orjson.loads(value or b"[]")
    return items
