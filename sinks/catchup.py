"""The sink's side of "a rule fires once its source caught up" (alerts/catchup.py): it reads every
raw record and every barrier marker, learns which barriers completed, and asks for a barrier of
its own while a backfill record follows the last marker of its partition and no marker came for
a while. So a file loaded straight into the broker (`ioc ingest --broker`), or the archive
republished at a start, is covered as well as what comes through the gateway, which injects
barriers of its own every few seconds while records are on their way (then the sink adds none:
each barrier makes every stage flush)."""
from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime

from aiokafka import AIOKafkaProducer

from alerts.catchup import CatchUp
from contract.records import barrier_headers
from contract.topology import GATEWAY, Topology

ASK_EVERY_S = 1.0
QUIET_S = 5.0        # no marker read for this long: nobody else is asking, the sink asks
GIVE_UP_S = 300.0    # a barrier lost with a restarted broker: ask again after this


def kpi_sources(topology: Topology) -> dict[str, str]:
    """The source behind each KPI domain (the 766 index's is the one its input comes from)."""
    out = {f.kpi_domain: f.source for f in topology.kpi_flows if f.kpi_domain is not None}
    if topology.index_input is not None and topology.index_input in out:
        out[topology.index_domain] = out[topology.index_input]
    return out


class BackfillGate:
    def __init__(self, topology: Topology, backfill_after_s: float) -> None:
        self.tracker = CatchUp(backfill_after_s)
        self.targets = [(topic, p) for topic, p, _ in topology.gateway_targets()]
        self._asked = 0.0
        self._pending: str | None = None   # our barrier on its way: one at a time, not to flood the stages
        self._marker_read = 0.0

    def read(self, source: str, partition: int, received: datetime, event_time: datetime) -> None:
        """A raw record's arrival and event time, as the sink archives it."""
        at = (event_time, received)
        self.tracker.read(source, partition, *(int(t.timestamp() * 1_000_000) for t in at))

    def marker(self, source: str, partition: int, barrier: str) -> None:
        self._marker_read = time.monotonic()
        self.tracker.marker(source, partition, barrier)

    def completed(self, barrier: str) -> None:
        self.tracker.completed(barrier)
        if barrier == self._pending or not self.tracker.behind():
            self._pending = None

    def held(self) -> set[str]:
        return self.tracker.behind()

    async def cover(self, producer: AIOKafkaProducer) -> None:
        """A barrier after the backfill read so far, once the previous one completed."""
        now = time.monotonic()
        waiting = self._pending is not None and now - self._asked < GIVE_UP_S
        others = now - self._marker_read < QUIET_S
        if not self.tracker.uncovered() or waiting or others or now - self._asked < ASK_EVERY_S:
            return
        self._asked = now
        self._pending = uuid.uuid4().hex
        headers = barrier_headers(self._pending, GATEWAY)
        sent = [await producer.send(topic, b"", partition=p, headers=headers) for topic, p in self.targets]
        await asyncio.gather(*sent)
