"""Consumer lag per group: end offset minus committed offset, per topic.

Approximate on Tansu, whose end offset is too low when the last batch held several records
(so lag can read 0 a moment early); `ioc status --wait-idle` therefore uses barriers instead.
"""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from contract.kafka import aiokafka_kwargs
from contract.settings import BrokerSettings
from contract.topology import Topology


class LagProbe:
    """Reads committed offsets through a consumer that names the group but never subscribes
    (so it never joins it); Tansu answers the admin API's offset fetch with a malformed reply."""

    def __init__(self, broker: BrokerSettings, topology: Topology) -> None:
        self.kwargs, self.partitions = aiokafka_kwargs(broker), topology.partitions
        self.groups = topology.group_topics()
        self.consumers: dict[str, AIOKafkaConsumer] = {}

    async def start(self) -> None:
        for group in self.groups:
            self.consumers[group] = AIOKafkaConsumer(**self.kwargs, group_id=group, enable_auto_commit=False)
            await self.consumers[group].start()

    async def stop(self) -> None:
        for consumer in self.consumers.values():
            await consumer.stop()

    async def lag(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for group, names in self.groups.items():
            consumer = self.consumers[group]
            tps = [TopicPartition(t, p) for t in names for p in range(self.partitions)]
            ends = await consumer.end_offsets(tps)
            per_topic = out.setdefault(group, {})
            for tp in tps:
                done = await consumer.committed(tp) or 0
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends[tp] - done)
        return out
