"""The outbox sends a batch the broker refused for a passing reason again, in the partition's order.

The broker's side is a recording producer: aiokafka's refusals (a partition without a known
leader for a whole request timeout) cannot be provoked on demand on a real cluster; the Kafka
fault trials (`make test-kafka`) exercise the same path under real leader moves.
"""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, NotLeaderForPartitionError

from contract.settings import BrokerSettings
from streams.engine.outbox import Outbox

BATCH = 3   # messages per batch of the recording producer


class Batch:
    def __init__(self) -> None:
        self.messages: list[bytes | None] = []

    def append(self, *, key: bytes | None, value: bytes | None, timestamp: None,
               headers: Any) -> object | None:
        if len(self.messages) == BATCH:
            return None
        self.messages.append(value)
        return object()

    def record_count(self) -> int:
        return len(self.messages)


class Broker:
    """What reached each partition, and the batch sends to refuse (counted across producers)."""

    def __init__(self, refuse: dict[int, KafkaError]) -> None:
        self.log: dict[int, list[bytes | None]] = {}
        self.refuse, self.sends, self.producers, self.stopped = refuse, 0, 0, 0

    def producer(self, **_: Any) -> Producer:
        self.producers += 1
        return Producer(self)


class Producer:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def start(self) -> None: ...

    async def stop(self) -> None:
        self.broker.stopped += 1

    def create_batch(self) -> Batch:
        return Batch()

    async def send_batch(self, batch: Batch, topic: str, partition: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.broker.sends += 1
        error = self.broker.refuse.pop(self.broker.sends, None)
        if error is None:
            self.broker.log.setdefault(partition, []).extend(batch.messages)
            future.set_result(None)
        else:
            future.set_exception(error)
        return future


def deliver(broker: Broker, per_partition: dict[int, list[bytes]],
            delays: tuple[float, ...] = (0.0, 0.0)) -> Outbox:
    kafka = BrokerSettings(("127.0.0.1:9092",), "PLAINTEXT", "", "", "", "", embedded=False)
    outbox = Outbox(kafka, 2, make_producer=broker.producer, retry_delays_s=delays)

    async def run() -> None:
        for partition, values in per_partition.items():
            for value in values:
                await outbox.put("kpi", value, value, partition, [])
        await outbox.deliver()

    asyncio.run(run())
    return outbox


def values(prefix: str, n: int) -> list[bytes]:
    return [f"{prefix}{i}".encode() for i in range(n)]


def test_a_refused_batch_goes_again_from_there_on_in_order() -> None:
    zero, one = values("a", 8), values("b", 4)
    broker = Broker({2: NotLeaderForPartitionError()})   # partition 0's second batch (a3..a5)
    outbox = deliver(broker, {0: zero, 1: one})
    # a6, a7 reached the broker before the retry; a3.. follow again in order: the last value wins
    assert broker.log[0] == zero[:3] + zero[6:] + zero[3:]
    assert broker.log[1] == one
    assert (broker.producers, broker.stopped, outbox.sent) == (2, 1, 12)


def test_an_error_sending_cannot_cure_stops_at_once() -> None:
    broker = Broker({1: MessageSizeTooLargeError()})
    with pytest.raises(MessageSizeTooLargeError):
        deliver(broker, {0: values("a", 2)})
    assert broker.producers == 1


def test_a_refusal_that_outlasts_the_retries_stops_the_worker() -> None:
    broker = Broker({n: NotLeaderForPartitionError() for n in range(1, 10)})
    with pytest.raises(NotLeaderForPartitionError):
        deliver(broker, {0: values("a", 2)}, delays=(0.0, 0.0))
    assert (broker.sends, broker.producers) == (3, 3)


def test_a_lasting_error_beside_a_passing_one_stops_at_once() -> None:
    broker = Broker({1: NotLeaderForPartitionError(), 2: MessageSizeTooLargeError()})
    with pytest.raises(MessageSizeTooLargeError):
        deliver(broker, {0: values("a", 2), 1: values("b", 2)})
    assert broker.producers == 1
