"""Follow the KPI topics and ioc.alerts from their current end, outside any consumer group.

No group: every gateway (and every restart) reads on its own without committing offsets or
rebalancing anyone. The KPI partitions start a little before their end, so values the sink
had not written to DuckDB yet when a screen read its snapshot still reach it (the screens keep
the newest value per key, so a replayed older one changes nothing).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from contract.kafka import aiokafka_kwargs
from contract.settings import BrokerSettings
from contract.topology import Topology
from gateway.web.messages import alert_event, kpi_update

log = logging.getLogger(__name__)
REPLAY_PER_PARTITION = 1000   # far more than the sink's lag behind the KPI topics


class TopicTail:
    def __init__(
        self,
        broker: BrokerSettings,
        topology: Topology,
        on_kpi: Callable[[dict[str, Any]], None],
        on_alert: Callable[[dict[str, Any]], None],
    ) -> None:
        self.broker, self.on_kpi, self.on_alert = broker, on_kpi, on_alert
        kpi_topics = {topology.names.kpi(d) for d in topology.kpi_domains}
        wanted = kpi_topics | {topology.names.alerts()}
        self.partitions = [
            TopicPartition(spec.name, p)
            for spec in topology.catalogue()
            if spec.name in wanted
            for p in range(spec.partitions)
        ]
        self.kpi_topics = kpi_topics
        self.positioned = asyncio.Event()
        self.messages = 0
        self.last_message_ms: int | None = None

    async def run(self) -> None:
        """Until cancelled; reconnects when the broker restarts or answers errors."""
        while True:
            consumer = AIOKafkaConsumer(
                **aiokafka_kwargs(self.broker),
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                fetch_max_wait_ms=100,
            )
            try:
                await consumer.start()
                consumer.assign(self.partitions)
                await self._position(consumer)
                self.positioned.set()
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                    for tp, records in batches.items():
                        for r in records:
                            self._dispatch(tp.topic, r.key, r.value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the broker is away: the screens wait, then resume
                log.warning(
                    "ops screens: topic tail interrupted (%s); reconnecting", exc or type(exc).__name__
                )
                await asyncio.sleep(2)
            finally:
                try:
                    await asyncio.wait_for(consumer.stop(), timeout=5)
                except (TimeoutError, Exception):  # noqa: BLE001 - a dead broker cannot say goodbye
                    pass

    async def _position(self, consumer: AIOKafkaConsumer) -> None:
        ends = await consumer.end_offsets(self.partitions)
        for tp in self.partitions:
            back = REPLAY_PER_PARTITION if tp.topic in self.kpi_topics else 0
            consumer.seek(tp, max(0, ends[tp] - back))

    def _dispatch(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        now_ms = int(time.time() * 1000)
        self.messages += 1
        self.last_message_ms = now_ms
        try:
            if topic in self.kpi_topics:
                update = kpi_update(key, value, now_ms)
                if update is not None:
                    self.on_kpi(update)
            elif value is not None:
                self.on_alert(alert_event(value))
        except (ValueError, KeyError, TypeError) as exc:  # one odd message must not stop the screens
            log.warning("ops screens: skipped a message on %s: %s", topic, exc)
