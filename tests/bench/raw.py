"""Raw baselines, measured on the same broker and machine as the pipeline figure beside them."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from kafka import KafkaProducer

from connectors.publisher import Outgoing
from connectors.registry import source_names
from contract.records import H_EVENT, H_ID, H_RECEIVED, header
from sinks.schema import create_schema


def raw_producer_rate(bootstrap: str, lines: list[bytes], topic: str = "bench.raw-baseline") -> float:
    """kafka-python alone, the pipeline publisher's settings, no validation."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=512 * 1024,
                             max_in_flight_requests_per_connection=1)
    started = time.perf_counter()
    for line in lines:
        producer.send(topic, key=line[12:40], value=line)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return len(lines) / elapsed


async def _create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if name not in set(await admin.list_topics()):
            await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    asyncio.run(_create_topic(bootstrap, name, partitions))


async def _publish(bootstrap: str, messages: Sequence[Outgoing], topic: str | None) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1 << 20,
                                max_request_size=16 << 20)
    await producer.start()
    try:
        started = time.time()
        for m in messages:
            await producer.send(topic or m.topic, m.value, key=m.key, headers=list(m.headers))
        await producer.flush()
        return started
    finally:
        await producer.stop()


def publish(bootstrap: str, messages: Sequence[Outgoing], topic: str | None = None) -> float:
    """Put validated messages (headers included) on the broker as fast as aiokafka can, keyed as the
    gateway keys them (same default partitioner); returns the wall-clock time the first was sent."""
    return asyncio.run(_publish(bootstrap, messages, topic))


def archive_rows(messages: Sequence[Outgoing]) -> list[dict[str, Any]]:
    """The raw-archive rows the sink makes of these messages (sinks/service.py `_collect`)."""
    rows = []
    for m in messages:
        received = datetime.fromisoformat((header(m.headers, H_RECEIVED) or b"").decode())
        event_us = int(header(m.headers, H_EVENT) or 0)
        rows.append(
            {
                "id": (header(m.headers, H_ID) or b"").decode(),
                "key": (m.key or b"").decode(),
                "received_at": received,
                "event_time": datetime.fromtimestamp(event_us / 1e6, received.tzinfo),
                "record": m.value.decode(),
            }
        )
    return rows


def duckdb_insert_rate(path: Path, table: str, rows: list[dict[str, Any]], batch: int) -> float:
    """Plain Arrow-batch INSERTs of the same rows into the same schema, one transaction per batch."""
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        create_schema(con, source_names())
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            arrow = pa.Table.from_pylist(rows[i : i + batch])
            con.register("batch_rows", arrow)
            con.execute("BEGIN")
            con.execute(f"INSERT INTO {table} SELECT * FROM batch_rows")
            con.execute("COMMIT")
            con.unregister("batch_rows")
        elapsed = time.perf_counter() - started
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == len(rows)
        return len(rows) / elapsed
    finally:
        con.close()


async def _round_trip(
    bootstrap: str, topic: str, partitions: int, rate: float, n: int, fetch_wait_ms: int
) -> list[float]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=fetch_wait_ms
    )
    await consumer.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        sent: dict[bytes, float] = {}
        latencies: list[float] = []

        async def receive() -> None:
            while len(latencies) < n:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.perf_counter()
                    latencies.extend(now - sent[r.value] for r in records if r.value in sent)

        receiver = asyncio.create_task(receive())
        await asyncio.sleep(0.5)  # the consumer's first fetch is out
        t0 = time.perf_counter()
        for i in range(n):
            await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
            value = f"probe-{i}".encode()
            sent[value] = time.perf_counter()
            await producer.send_and_wait(topic, value, key=value)
        await asyncio.wait_for(receiver, timeout=30)
        return latencies
    finally:
        await producer.stop()
        await consumer.stop()


def round_trip_latencies(
    bootstrap: str, topic: str, partitions: int, rate: float, n: int, fetch_wait_ms: int
) -> list[float]:
    """Producer -> consumer on the same broker at the same steady rate (seconds per record)."""
    create_topic(bootstrap, topic, partitions)
    return asyncio.run(_round_trip(bootstrap, topic, partitions, rate, n, fetch_wait_ms))
