"""What the stages send: gathered per topic partition and sent in record batches by one producer.

A backfill makes tens of thousands of KPI messages a second; sent one by one (Faust's producer, then
aiokafka's per-message path) each costs tens of microseconds of Python. Here a stage puts messages in
the outbox as it flushes, and the engine delivers them in batches (aiokafka's batch interface) and
waits for the broker's acknowledgement before a snapshot or the next input batch: what a snapshot
claims was sent has been. One partition's messages go in the order they were put (barrier markers
follow the outputs before them).

A send the broker refuses for a passing reason (a partition's leader moved, a broker restarting:
aiokafka gives up on a batch whose partition had no known leader for its whole request timeout,
idempotence or not) is sent again by a fresh producer, from the partition's first failed batch on, so
the partition keeps its order. Sending again is safe: every stage output is the latest value of its
key, so a message that arrives twice changes nothing. Other errors, or one that outlasts the retries,
still stop the worker (the supervisor restarts it from its snapshots).
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from contract.kafka import aiokafka_kwargs, producer_guarantees
from contract.settings import BrokerSettings

Headers = list[tuple[str, bytes]]
Message = tuple[bytes | None, bytes | None, Headers]
Pending = dict[tuple[str, int], list[Message]]
MAX_BATCH_BYTES = 1 << 20
# Between attempts (each waits up to the producer's request timeout for a leader); then the worker exits.
RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
log = logging.getLogger(__name__)


class Sender(Protocol):
    """What a stage sends through (the Outbox; a list in unit tests)."""

    async def put(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                  headers: Headers) -> None: ...

    async def deliver(self) -> None: ...


class Outbox:
    def __init__(self, broker: BrokerSettings, partitions: int,
                 make_producer: Callable[..., AIOKafkaProducer] = AIOKafkaProducer,
                 retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S) -> None:
        self._kwargs = {**aiokafka_kwargs(broker), **producer_guarantees(broker)}
        self._make_producer, self._retry_delays_s = make_producer, retry_delays_s
        self._producer: AIOKafkaProducer | None = None   # made in the worker's event loop, on first use
        self.partitions = partitions
        self._partitioner = DefaultPartitioner()
        self._pending: Pending = {}
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
        pending, self._pending = self._pending, {}
        sent = sum(map(len, pending.values()))
        for delay in (*self._retry_delays_s, None):
            if not pending:
                break
            pending, errors = await self._send_all(pending)
            if not errors:
                continue
            lasting = [e for e in errors if not _passing(e)]
            if delay is None or lasting:
                raise (lasting or errors)[0]
            log.warning("outbox: %d messages of %d partitions refused (%r); a fresh producer sends them "
                        "again in %.1f s", sum(map(len, pending.values())), len(pending), errors[0], delay)
            await self._close_producer()   # a new producer id: its sequence numbers start clean
            await asyncio.sleep(delay)
        self.sent += sent

    async def _send_all(self, pending: Pending) -> tuple[Pending, list[BaseException]]:
        """Send every partition's messages; return what must go again (each failed partition from its
        first failed batch on) and each failed partition's first error."""
        producer = await self._started()
        sends: dict[tuple[str, int], list[tuple[int, asyncio.Future[Any]]]] = {}
        again: Pending = {}
        errors: list[BaseException] = []
        for (topic, partition), messages in pending.items():
            try:
                sends[topic, partition] = await self._send(producer, topic, partition, messages)
            except KafkaError as exc:   # refused before sending (the producer's buffer timed out)
                again[topic, partition] = messages   # all of it: what went before arrives first
                errors.append(exc)
        for tp, batches in sends.items():
            results = await asyncio.gather(*(f for _, f in batches), return_exceptions=True)
            failed = [(start, r) for (start, _), r in zip(batches, results) if isinstance(r, BaseException)]
            if failed:
                again[tp] = pending[tp][failed[0][0]:]
                errors.append(failed[0][1])
        return again, errors

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = self._make_producer(
                **self._kwargs,
                linger_ms=2,
                max_batch_size=MAX_BATCH_BYTES,
                max_request_size=2 * MAX_BATCH_BYTES,
            )
            await self._producer.start()
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except KafkaError as exc:   # its unsent batches fail: they are sent again by the next one
                log.info("outbox: the old producer stopped with %r", exc)

    @staticmethod
    async def _send(
        producer: AIOKafkaProducer, topic: str, partition: int, messages: list[Message]
    ) -> list[tuple[int, asyncio.Future[Any]]]:
        """The partition's messages in batches; each future with the index of its first message."""
        futures, batch, start = [], producer.create_batch(), 0
        for index, (key, value, headers) in enumerate(messages):
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is not None:
                continue
            if batch.record_count():  # full: send it, start the next with this message
                futures.append((start, await producer.send_batch(batch, topic, partition=partition)))
                batch, start = producer.create_batch(), index
                if batch.append(key=key, value=value, timestamp=None, headers=headers) is not None:
                    continue
            # larger than a batch alone (a dead letter of a large record): the per-message path
            futures.append((index, await producer.send(topic, value, key, partition, None, headers)))
            start = index + 1
        if batch.record_count():
            futures.append((start, await producer.send_batch(batch, topic, partition=partition)))
        return futures


def _passing(error: BaseException) -> bool:
    """A refusal that sending again can cure (no leader yet, a broker restarting, a timeout)."""
    return isinstance(error, KafkaTimeoutError) or (isinstance(error, KafkaError) and error.retriable)
