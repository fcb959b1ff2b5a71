"""Where a consumer group's coordinator lives on a KafkaCluster, and moving it while every node runs.

A group's coordinator is the leader of the `__consumer_offsets` partition its id hashes to. Kafka's
own automatic leader rebalance moves it back to the preferred replica minutes after a broker failed
over, with every node alive: clients that keep the old coordinator get NOT_COORDINATOR answers.
`move_coordinator` does the same on demand, by putting another replica first and electing it.
"""
from __future__ import annotations

import time
from typing import Any

from kafka import TopicPartition

from tests.kafka.cluster import KafkaCluster

OFFSETS_TOPIC = "__consumer_offsets"
PREFERRED_ELECTION = 0


def java_string_hash(text: str) -> int:
    """Java's String.hashCode (over UTF-16 code units, 32-bit wrap-around), as Kafka places groups."""
    h = 0
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        h = (31 * h + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    return h - 2**32 if h >= 2**31 else h


def _offsets_partitions(cluster: KafkaCluster) -> list[dict[str, Any]]:
    (topic,) = cluster.admin().describe_topics([OFFSETS_TOPIC])
    return sorted(topic["partitions"], key=lambda p: p["partition_index"])


def offsets_partition(cluster: KafkaCluster, group: str) -> dict[str, Any]:
    """The `__consumer_offsets` partition holding `group` (Kafka: abs(hashCode) % partitions)."""
    partitions = _offsets_partitions(cluster)
    return partitions[(java_string_hash(group) & 0x7FFFFFFF) % len(partitions)]


def coordinator(cluster: KafkaCluster, group: str) -> int:
    return int(offsets_partition(cluster, group)["leader_id"])


def move_coordinator(cluster: KafkaCluster, group: str, timeout_s: float = 60) -> tuple[int, int]:
    """Make another in-sync replica lead the group's offsets partition; returns (from, to) node ids."""
    part = offsets_partition(cluster, group)
    was, isr = int(part["leader_id"]), [int(n) for n in part["isr_nodes"]]
    to = next(n for n in isr if n != was)
    replicas = [to] + [int(n) for n in part["replica_nodes"] if n != to]
    tp = TopicPartition(OFFSETS_TOPIC, part["partition_index"])
    admin = cluster.admin()
    admin.alter_partition_reassignments({tp: replicas})
    deadline = time.monotonic() + timeout_s
    while coordinator(cluster, group) != to:
        assert time.monotonic() < deadline, f"{group}: its coordinator stayed on node {was}"
        admin.elect_leaders(PREFERRED_ELECTION, {OFFSETS_TOPIC: [tp.partition]}, raise_errors=False)
        time.sleep(0.5)
    return was, to
