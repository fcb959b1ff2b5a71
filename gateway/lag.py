"""Consumer lag per group: end offset minus committed offset, per topic.

Approximate on Tansu, whose end offset is too low when the last batch held several records
(so lag can read 0 a moment early); `ioc status --wait-idle` therefore uses barriers instead.
"""
from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from contract.kafka import aiokafka_kwargs
from contract.settings import BrokerSettings
from contract.topology import Topology

ATTEMPTS = 5
RETRY_S = 0.2


class LagUnknown(RuntimeError):
    """The group's coordinator did not answer for its offsets (moved, or still loading them)."""


class LagProbe:
    """Reads end offsets with a group-less consumer and committed offsets with the admin client.

    The group's coordinator is looked up on every read: after a broker fails over, the coordinator
    moves, and a stale one answers an offset fetch with a top-level NOT_COORDINATOR and no
    partitions, which aiokafka's consumer reads as "nothing committed" (its `committed()` returned
    None for ever after, and the lag the whole log). The partitions are always named: Tansu cannot
    answer a fetch of all of a group's offsets. Both brokers name every partition asked for (-1 when
    nothing is committed), so a reply that leaves one out is an error, not an answer.
    """

    def __init__(self, broker: BrokerSettings, topology: Topology) -> None:
        kwargs = aiokafka_kwargs(broker)
        self.partitions, self.groups = topology.partitions, topology.group_topics()
        self.consumer = AIOKafkaConsumer(**kwargs, group_id=None, enable_auto_commit=False)
        self.admin = AIOKafkaAdminClient(**kwargs)

    async def start(self) -> None:
        await self.consumer.start()
        await self.admin.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def lag(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for group, names in self.groups.items():
            tps = [TopicPartition(t, p) for t in names for p in range(self.partitions)]
            ends = await self.consumer.end_offsets(tps)
            done = await self.committed(group, tps)
            per_topic = out.setdefault(group, {})
            for tp in tps:
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends[tp] - done[tp])
        return out

    async def committed(self, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The group's committed offset of each partition (0 where nothing is committed yet)."""
        problem = "a reply without every partition"
        for attempt in range(ATTEMPTS):
            try:
                coordinator = await self.admin.find_coordinator(group)
                answer = await self.admin.list_consumer_group_offsets(group, coordinator, tps)
            except KafkaError as exc:
                if not exc.retriable:
                    raise
                problem = repr(exc)
            else:
                if all(tp in answer for tp in tps):
                    return {tp: max(0, answer[tp].offset) for tp in tps}
            await asyncio.sleep(RETRY_S * (attempt + 1))
        raise LagUnknown(f"group {group}: no offsets from its coordinator in {ATTEMPTS} tries ({problem})")
