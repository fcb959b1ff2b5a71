"""What the stages send: gathered per topic partition and sent in record batches by one producer.

A backfill makes tens of thousands of KPI messages a second; sent one by one (Faust's producer, then
aiokafka's per-message path) each costs tens of microseconds of Python. Here a stage puts messages in
the outbox as it flushes, and the engine delivers them in batches (aiokafka's batch interface) and
waits for the broker's acknowledgement before a snapshot or the next input batch: what a snapshot
claims was sent has been. One partition's messages go in the order they were put (barrier markers
follow the outputs before them).
"""
from __future__ import annotations

import asyncio
import random
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from contract.kafka import aiokafka_kwargs, producer_guarantees
from contract.settings import BrokerSettings

Headers = list[tuple[str, bytes]]
Message = tuple[bytes | None, bytes | None, Headers]
MAX_BATCH_BYTES = 1 << 20


class Sender(Protocol):
    """What a stage sends through (the Outbox; a list in unit tests)."""

    async def put(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                  headers: Headers) -> None: ...

    async def deliver(self) -> None: ...


class Outbox:
    def __init__(self, broker: BrokerSettings, partitions: int) -> None:
        self._kwargs = {**aiokafka_kwargs(broker), **producer_guarantees(broker)}
        self._producer: AIOKafkaProducer | None = None   # made in the worker's event loop, on first use
        self.partitions = partitions
        self._partitioner = DefaultPartitioner()
        self._pending: dict[tuple[str, int], list[Message]] = {}
        self.sent = 0

    async def put(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                  headers: Headers) -> None:
        """Queue a message (the stages' `send`); a keyed one without a partition goes where Kafka's
        default partitioner puts its key, so a compacted topic keeps one record per key."""
        if partition is None:
            every = list(range(self.partitions))
            partition = self._partitioner(key, every, every) if key else random.randrange(self.partitions)
        self._pending.setdefault((topic, partition), []).append((key, value, headers))

    async def deliver(self) -> None:
        """Send everything queued, in batches per partition, and wait until the broker took it all."""
        if not self._pending:
            return
        if self._producer is None:
            self._producer = AIOKafkaProducer(
                **self._kwargs,
                linger_ms=2,
                max_batch_size=MAX_BATCH_BYTES,
                max_request_size=2 * MAX_BATCH_BYTES,
            )
            await self._producer.start()
        pending, self._pending = self._pending, {}
        futures = []
        for (topic, partition), messages in pending.items():
            futures += await self._send(self._producer, topic, partition, messages)
        await asyncio.gather(*futures)
        self.sent += sum(map(len, pending.values()))

    @staticmethod
    async def _send(
        producer: AIOKafkaProducer, topic: str, partition: int, messages: list[Message]
    ) -> list[asyncio.Future[Any]]:
        futures, batch = [], producer.create_batch()
        for key, value, headers in messages:
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is not None:
                continue
            if batch.record_count():  # full: send it, start the next with this message
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is not None:
                    continue
            # larger than a batch alone (a dead letter of a large record): the per-message path
            futures.append(await producer.send(topic, value, key, partition, None, headers))
        if batch.record_count():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures
