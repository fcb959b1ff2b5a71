"""Build the Faust app of the KPI workers: one fold agent and one combine agent per source."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

from contract.kafka import aiokafka_kwargs, bootstrap
from contract.settings import Settings
from contract.topics import MAX_MESSAGE_BYTES
from contract.topology import Topology
from streams.engine.checkpoints import CheckpointStore
from streams.engine.combine_stage import CombineStage
from streams.engine.fold_stage import FoldStage
from streams.engine.messages import Msg, from_record
from streams.engine.outbox import Outbox
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


def _credentials(settings: Settings) -> Any:
    kw = aiokafka_kwargs(settings.broker)
    if settings.broker.sasl_mechanism:
        return faust.SASLCredentials(username=kw["sasl_plain_username"], password=kw["sasl_plain_password"],
                                     mechanism=kw["sasl_mechanism"], ssl_context=kw.get("ssl_context"))
    if "ssl_context" in kw:
        return faust.SSLCredentials(kw["ssl_context"])
    return None


def create_app(settings: Settings, topology: Topology, index766: Index766 | None,
               store: CheckpointStore | None) -> faust.App:
    _patch_fetch_wait(settings.fetch_max_wait_ms)
    servers = ";".join(bootstrap(settings.broker).split(","))
    app = faust.App(
        topology.names.kpi_group, broker=f"kafka://{servers}", broker_credentials=_credentials(settings),
        store="memory://", topic_partitions=settings.partitions, topic_allow_declare=False,
        broker_session_timeout=6, broker_heartbeat_interval=1, broker_request_timeout=30,
        consumer_auto_offset_reset="earliest", table_standby_replicas=0, web_enabled=False,
        producer_linger_ms=2, producer_max_request_size=MAX_MESSAGE_BYTES, logging_config=None,
        datadir=str(settings.state_dir / "faust"),
    )
    _wire(app, settings, topology, index766, store)
    return app


def _wire(app: faust.App, settings: Settings, topology: Topology, index766: Index766 | None,
          store: CheckpointStore | None) -> None:
    reader = PartitionReader(settings.broker)
    stages: list[PartitionedStage[Any]] = []

    outbox = Outbox(settings.broker, topology.partitions)   # what the stages send (not Faust's producer)

    def assigned_of(topic: str) -> Callable[[], set[int]]:
        return lambda: {tp.partition for tp in app.consumer.assignment() if tp.topic == topic}

    for flow in topology.kpi_flows:
        kpis = KPIS[flow.source]
        raw = topology.names.raw(kpis.source)
        fold = FoldStage(kpis, settings.units, topology, reader, assigned_of(raw), outbox,
                         settings.live_interval_s, settings.late_us, store, settings.coalesce_s)
        combine = CombineStage(kpis, settings.units, topology, reader, assigned_of(fold.out), outbox,
                               index766, store, settings.coalesce_s)
        for stage in (fold, combine):
            _agent(app, stage, settings)
            stages.append(stage)

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
            await stage.revoke({tp.partition for tp in revoked if tp.topic == stage.topic})


def _agent(app: faust.App, stage: PartitionedStage[Any], settings: Settings) -> None:
    topic = app.topic(stage.topic, key_serializer="raw", value_serializer="raw")

    async def run(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_max, within=settings.batch_within_s):
            try:
                msgs = [from_record(e.message) for e in events]
                await stage.handle(msgs, _behind(app, stage.topic, msgs))
            except Exception:
                # Not a bad record (those are guarded per record) but the broker or a bug in the
                # plumbing: acking would lose the batch, so stop hard; the supervisor restarts the
                # worker and the state is rebuilt from the log.
                log.exception("KPI stage %s failed; exiting for a clean restart", stage.topic)
                os._exit(70)

    app.agent(topic, name=f"stage-{stage.topic}")(run)


def _behind(app: faust.App, topic: str, msgs: list[Msg]) -> set[int]:
    """The partitions of a batch with more records at the broker than the batch reached: the last
    high watermark a fetch saw is past the batch's last offset (none seen yet: not behind)."""
    last: dict[int, int] = {}
    for msg in msgs:
        last[msg.partition] = max(msg.offset, last.get(msg.partition, -1))
    return {
        partition
        for partition, offset in last.items()
        if (app.consumer.highwater(TP(topic, partition)) or 0) > offset + 1
    }
