"""What the sink writes for each message it consumes: archive rows (telecom counters in columns),
dead letters, drill-down rows, KPI rows, and the barrier markers it passes on to the tracker."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from contract.records import H_ARCHIVED, H_BARRIER, H_CHECKPOINT, H_EVENT, H_ID, H_RECEIVED, H_SRC, header
from contract.topology import Arrival, Topology
from sinks import counters
from sinks.store import Batch, parse_kpi

log = logging.getLogger(__name__)


class Marker(NamedTuple):
    barrier_id: str
    arrival: Arrival
    checkpoint: int | None


class Collector:
    def __init__(self, topology: Topology) -> None:
        names = topology.names
        self.raw = {names.raw(s): s for s in topology.sources}
        self.dlq = {names.dead_letters(s) for s in topology.sources}
        self.kpi = {names.kpi(d) for d in topology.kpi_domains}
        self.details = {names.details(s): s for s in topology.detail_sources}

    @property
    def topics(self) -> list[str]:
        return [*self.raw, *self.dlq, *self.kpi, *self.details]

    def add(self, batch: Batch, topic: str, partition: int, r: Any) -> Marker | None:
        """Put one consumed message in the batch; a barrier marker is returned instead."""
        batch.offsets[(topic, partition)] = r.offset + 1
        barrier = header(r.headers, H_BARRIER)
        if barrier is not None:
            at = header(r.headers, H_CHECKPOINT)
            arrival = (topic, partition, int(header(r.headers, H_SRC) or 0))
            return Marker(barrier.decode(), arrival, int(at) if at else None)
        if topic in self.raw:
            if header(r.headers, H_ARCHIVED) is None:   # republished from the archive: it is there
                self._archive(batch, self.raw[topic], topic, r)
        elif topic in self.dlq:
            letter = orjson.loads(r.value)
            letter["received_at"] = datetime.fromisoformat(letter["received_at"])
            batch.dead_letters.append(letter)
        elif topic in self.details:
            if r.key is not None and r.value:
                batch.details.setdefault(self.details[topic], {})[r.key.decode()] = orjson.loads(r.value)
        elif r.key is not None:
            update = parse_kpi(r.value) if r.value is not None else None
            batch.kpis[r.key.decode()] = update
            if update is not None and "detail" in update:
                batch.index766[(update["unit"], update["grain"], update["period"])] = update
        return None

    def _archive(self, batch: Batch, source: str, topic: str, r: Any) -> None:
        received, event_time = times(topic, r)
        record = orjson.loads(r.value) if source == counters.SOURCE else None
        if record is not None and counters.is_counter(source, record):
            batch.counters.append(counters.row(record, received, event_time))
            return
        batch.raw.setdefault(source, []).append(
            {"id": (header(r.headers, H_ID) or b"").decode(), "key": (r.key or b"").decode(),
             "received_at": received, "event_time": event_time, "record": r.value.decode()})


def times(topic: str, r: Any) -> tuple[datetime, datetime]:
    """Arrival and event time from the headers. Validation keeps unreadable times out; should one come
    anyway, the record is archived at the sink's clock or its arrival: raising here would re-read the
    same message forever."""
    try:
        received = datetime.fromisoformat((header(r.headers, H_RECEIVED) or b"").decode())
    except (ValueError, UnicodeDecodeError):
        received = datetime.now().astimezone()
    try:
        event_time = datetime.fromtimestamp(int(header(r.headers, H_EVENT) or 0) / 1e6, received.tzinfo)
    except (ValueError, OverflowError, OSError):
        log.warning("%s offset %s: event time header out of range, archived at its arrival", topic, r.offset)
        event_time = received
    return received, event_time
