"""Consumer lag per group: end offset minus committed offset, per topic.

Approximate on Tansu, whose end offset is too low when the last batch held several records
(so lag can read 0 a moment early); `ioc status --wait-idle` therefore uses barriers instead.
"""
from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from connectors.registry import source_names
from ioc import topics
from ioc.kafka import aiokafka_kwargs
from ioc.settings import BrokerSettings
from ioc.topics import KPI_GROUP, SINK_GROUP
from streams.kpis.registry import KPIS, detail_sources, kpi_domains



def group_topics() -> dict[str, list[str]]:
    sources = source_names()
    kpi_inputs = [t for s in KPIS for t in (topics.raw(s), topics.partials(s))]
    sink_inputs = [t for s in sources for t in (topics.raw(s), topics.dead_letters(s))]
    sink_inputs += [topics.kpi(d) for d in kpi_domains()] + [topics.details(s) for s in detail_sources()]
    return {KPI_GROUP: kpi_inputs, SINK_GROUP: sink_inputs}


class LagProbe:
    """Reads committed offsets through a consumer that names the group but never subscribes
    (so it never joins it); Tansu answers the admin API's offset fetch with a malformed reply."""

    def __init__(self, broker: BrokerSettings, partitions: int) -> None:
        self.kwargs, self.partitions = aiokafka_kwargs(broker), partitions
        self.consumers: dict[str, AIOKafkaConsumer] = {}

    async def start(self) -> None:
        for group in group_topics():
            self.consumers[group] = AIOKafkaConsumer(**self.kwargs, group_id=group, enable_auto_commit=False)
            await self.consumers[group].start()

    async def stop(self) -> None:
        for consumer in self.consumers.values():
            await consumer.stop()

    async def lag(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for group, names in group_topics().items():
            consumer = self.consumers[group]
            tps = [TopicPartition(t, p) for t in names for p in range(self.partitions)]
            ends = await consumer.end_offsets(tps)
            per_topic = out.setdefault(group, {})
            for tp in tps:
                done = await consumer.committed(tp) or 0
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, ends[tp] - done)
        return out
