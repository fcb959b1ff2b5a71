"""Reading a topic whole, outside any consumer group, and a partition's first offset."""
from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from tests.kafka.cluster import KafkaCluster


def read_all(bootstrap: str, topic: str, timeout: float = 60.0, **client: Any) -> list[Any]:
    """Every record of `topic` from its first offset up to the end offsets seen at the start."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, **client)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning()
        end = consumer.end_offsets(parts)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in parts):
            assert time.monotonic() < deadline, f"{topic}: {len(records)} records read, ends {end}"
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def log_starts(kafka: KafkaCluster, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """The partitions' log start offsets, through one fresh client: the cluster's long-lived admin
    client once asked a leader its metadata did not list yet (node 3, back from a kill) and
    kafka-python raised UnknownBrokerIdError instead of refreshing."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, enable_auto_commit=False)
    try:
        return {tp: int(offset) for tp, offset in consumer.beginning_offsets(partitions).items()}
    finally:
        consumer.close()


def earliest(kafka: KafkaCluster, topic: str, partition: int = 0) -> int:
    tp = TopicPartition(topic, partition)
    return log_starts(kafka, [tp])[tp]
