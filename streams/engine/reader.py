"""Read one partition from an offset to its current end, outside any consumer group.

Used to bring a stage's state up to date when it takes a partition over. The end is where a fetch
comes back empty: Tansu's reported end offset is too low when the last batch held several records.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from contract.kafka import aiokafka_kwargs
from contract.settings import BrokerSettings
from streams.engine.messages import Msg, from_record


class PartitionReader:
    def __init__(self, broker: BrokerSettings) -> None:
        self._kwargs = aiokafka_kwargs(broker)
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def _get(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            # A short fetch wait: the broker answers at once when it has data, so an empty answer
            # after 20 ms means the end (this is paid per partition at every rebuild).
            self._consumer = AIOKafkaConsumer(**self._kwargs, enable_auto_commit=False, group_id=None,
                                              fetch_max_wait_ms=20, max_partition_fetch_bytes=8 << 20)
            await self._consumer.start()
        return self._consumer

    async def read(self, topic: str, partition: int, start: int = 0) -> AsyncIterator[list[Msg]]:
        async with self._lock:
            consumer = await self._get()
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            if start > 0:
                consumer.seek(tp, start)
            else:
                await consumer.seek_to_beginning(tp)
            reported_end = (await consumer.end_offsets([tp]))[tp]
            empty = 0
            while empty < 2 or await consumer.position(tp) < reported_end:
                batch = (await consumer.getmany(tp, timeout_ms=50, max_records=20_000)).get(tp, [])
                empty = 0 if batch else empty + 1
                if empty > 600:   # 30 s without data below the reported end: the broker is unwell
                    raise RuntimeError(f"cannot read {topic}[{partition}] up to offset {reported_end}")
                if batch:
                    yield [from_record(r) for r in batch]

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
