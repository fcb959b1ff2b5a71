"""Build the Faust app of the KPI workers: one fold agent and one combine agent per source."""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from contract.kafka import aiokafka_kwargs, bootstrap, producer_guarantees
from contract.settings import Settings
from contract.topics import MAX_MESSAGE_BYTES
from contract.topology import Topology
from streams.engine.combine_stage import CombineStage
from streams.engine.fold_stage import FoldStage
from streams.engine.index_stage import IndexStage
from streams.engine.messages import from_record
from streams.engine.reader import PartitionReader
from streams.engine.stage import PartitionedStage
from streams.heap import HeapSettler
from streams.kpis.index766.rules import Index766
from streams.kpis.registry import KPIS

log = logging.getLogger(__name__)


def _patch_fetch_wait(ms: int) -> None:
    """Faust hard-codes its stream consumer's fetch wait at 1,500 ms (not a setting); on Tansu
    that is ~1.3 s of latency per record. Lower it on the consumer Faust creates."""
    cls = faust_aiokafka.AIOKafkaConsumerThread
    original = getattr(cls, "_ioc_original_create", cls._create_worker_consumer)

    def create(self: Any, transport: Any) -> Any:
        consumer = original(self, transport)
        consumer._fetch_max_wait_ms = ms
        return consumer

    # Faust offers no setting for it: replacing the factory method is the narrowest change.
    cls._ioc_original_create = original  # type: ignore[attr-defined]
    cls._create_worker_consumer = create  # type: ignore[method-assign]


def _patch_producer(extra: dict[str, Any]) -> None:
    """Faust makes its producer idempotent only inside transactions (exactly-once mode, which the
    stages do not need: their state is a fold of the log); add acks=all and idempotence to the
    producer it creates (contract.kafka.producer_guarantees: not on the embedded broker)."""
    cls = faust_aiokafka.Producer
    original = getattr(cls, "_ioc_original_extra", cls._settings_extra)

    def settings_extra(self: Any) -> Any:
        return {**extra, **original(self)}

    cls._ioc_original_extra = original  # type: ignore[attr-defined]
    cls._settings_extra = settings_extra  # type: ignore[method-assign]


def _fatal_if_failed(delivery: asyncio.Future[Any]) -> None:
    """Faust's send returns before the broker answers, and a failed delivery would only be logged
    as "Future exception was never retrieved" while the stage goes on without that output. Exit
    instead: the supervisor restarts the worker, whose rebuild sends every output again."""
    if not delivery.cancelled() and delivery.exception() is not None:
        log.error("a KPI worker's send failed: %r; exiting for a clean restart", delivery.exception())
        os._exit(70)


def _credentials(settings: Settings) -> Any:
    kw = aiokafka_kwargs(settings.broker)
    if settings.broker.sasl_mechanism:
        return faust.SASLCredentials(username=kw["sasl_plain_username"], password=kw["sasl_plain_password"],
                                     mechanism=kw["sasl_mechanism"], ssl_context=kw.get("ssl_context"))
    if "ssl_context" in kw:
        return faust.SSLCredentials(kw["ssl_context"])
    return None


def create_app(settings: Settings, topology: Topology, index766: Index766 | None) -> faust.App:
    _patch_fetch_wait(settings.fetch_max_wait_ms)
    _patch_producer(producer_guarantees(settings.broker))
    servers = ";".join(bootstrap(settings.broker).split(","))
    app = faust.App(
        topology.names.kpi_group, broker=f"kafka://{servers}", broker_credentials=_credentials(settings),
        store="memory://", topic_partitions=settings.partitions, topic_allow_declare=False,
        broker_session_timeout=6, broker_heartbeat_interval=1, broker_request_timeout=30,
        consumer_auto_offset_reset="earliest", table_standby_replicas=0, web_enabled=False,
        producer_linger_ms=2, producer_max_request_size=MAX_MESSAGE_BYTES, logging_config=None,
        datadir=str(settings.state_dir / "faust"),
    )
    _wire(app, settings, topology, index766)
    return app


def _wire(app: faust.App, settings: Settings, topology: Topology, index766: Index766 | None) -> None:
    reader = PartitionReader(settings.broker)
    stages: list[PartitionedStage[Any]] = []

    async def send(topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                   headers: list[tuple[str, bytes]]) -> None:
        delivery = await app.producer.send(topic, key, value, partition, None, headers)
        delivery.add_done_callback(_fatal_if_failed)  # type: ignore[attr-defined]

    def assigned_of(topic: str) -> Callable[[], set[int]]:
        return lambda: {tp.partition for tp in app.consumer.assignment() if tp.topic == topic}

    for flow in topology.kpi_flows:
        kpis = KPIS[flow.source]
        raw = topology.names.raw(kpis.source)
        fold = FoldStage(kpis, settings.units, topology, reader, assigned_of(raw), send,
                         settings.live_interval_s, settings.late_us)
        combine = CombineStage(kpis, settings.units, topology, reader, assigned_of(fold.out), send)
        for stage in (fold, combine):
            _agent(app, stage, settings)
            stages.append(stage)

    if index766 is not None and topology.index_input is not None:
        index = IndexStage(
            index766, settings.units, topology, reader, assigned_of(topology.names.kpi(topology.index_input)),
            send,
        )
        _agent(app, index, settings)
        stages.append(index)

    settle_heap = HeapSettler()

    @app.timer(interval=0.5)  # type: ignore[untyped-decorator]  # (Faust's decorators are untyped)
    async def tick() -> None:
        try:
            for stage in stages:
                await stage.tick()
            settle_heap()
        except Exception:
            log.exception("KPI timer failed; exiting for a clean restart")
            os._exit(70)

    @app.on_partitions_revoked.connect  # type: ignore[arg-type]  # (Faust's signal type wants no kwargs name)
    async def on_revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        for stage in stages:
            stage.revoke({tp.partition for tp in revoked if tp.topic == stage.topic})


def _agent(app: faust.App, stage: PartitionedStage[Any], settings: Settings) -> None:
    topic = app.topic(stage.topic, key_serializer="raw", value_serializer="raw")

    async def run(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, within=settings.batch_within_s):
            try:
                await stage.handle([from_record(e.message) for e in events])
            except Exception:
                # Not a bad record (those are guarded per record) but the broker or a bug in the
                # plumbing: acking would lose the batch, so stop hard; the supervisor restarts the
                # worker and the state is rebuilt from the log.
                log.exception("KPI stage %s failed; exiting for a clean restart", stage.topic)
                os._exit(70)

    app.agent(topic, name=f"stage-{stage.topic}")(run)
