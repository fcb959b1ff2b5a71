"""`ioc sink`: consume raw, dead-letter and KPI topics into DuckDB; serve read-only SQL.

DuckDB allows one writer process, so this process owns the file. Everyone else (the `ioc sql`
command, the ops screens, the gateway's status) asks it over a loopback HTTP port, and it runs
their queries on separate cursors of the same database while it keeps writing.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener

from alerts.alertmanager import AlertmanagerSettings, Deliverer
from alerts.catchup import DEFAULT_BACKFILL_AFTER_S
from alerts.evaluator import Transition
from alerts.rules import AlertRule
from alerts.watch import Alerting
from contract.kafka import aiokafka_kwargs, producer_guarantees
from contract.settings import Settings
from contract.topology import Topology
from sinks import offsets
from sinks.alerts import AlertDeliveries, open_alerts
from sinks.alerts import message as alert_message
from sinks.alerts import store as store_alerts
from sinks.backup import copy_store
from sinks.barriers import BarrierTracker
from sinks.catchup import BackfillGate, kpi_sources
from sinks.collect import Collector, Marker, times
from sinks.metrics import SinkMetrics
from sinks.query import QueryServer
from sinks.store import Batch, open_store, write
from streams.engine.checkpoints import FileCheckpointStore

log = logging.getLogger(__name__)


class SinkService:
    def __init__(self, settings: Settings, topology: Topology, alert_rules: list[AlertRule],
                 alertmanager: AlertmanagerSettings | None = None,
                 backfill_after_s: float = DEFAULT_BACKFILL_AFTER_S) -> None:
        self.settings, self.topology = settings, topology
        self.con = open_store(settings.duckdb_path, topology.sources, settings.units.timezone.key)
        self.con.execute("SET enable_external_access = false")   # queries cannot touch files
        self.barriers = BarrierTracker(topology.expected_arrivals())
        self.checkpoints = FileCheckpointStore(settings.checkpoint_dir)
        self.written: Counter[str] = Counter()
        self.batches = 0
        self._stop = asyncio.Event()
        self.collector = Collector(topology)
        self.writing = asyncio.Lock()
        self.epoch = self.checkpoints.epoch().number
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.alerting = Alerting(alert_rules, settings.units, kpi_sources(topology))
        self.backfill = BackfillGate(topology, backfill_after_s)   # holds a source's rules until it caught up
        self.alerting.restore(open_alerts(self.con))
        self.metrics = SinkMetrics(self.con, settings.units.timezone)
        self._ticked = 0.0
        self.deliverer = (Deliverer(alertmanager, AlertDeliveries(self.con), self.written)
                          if alertmanager is not None and alertmanager.enabled else None)

    async def run(self) -> None:
        server = QueryServer(self)
        await server.start(self.settings.query_port)
        self.consumer = AIOKafkaConsumer(
            **aiokafka_kwargs(self.settings.broker),
            group_id=self.topology.names.sink_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_partition_fetch_bytes=16 << 20,
        )
        await self.consumer.start()
        self.consumer.subscribe(self.collector.topics, listener=_ResumeFromStore(self))
        self.producer = AIOKafkaProducer(**aiokafka_kwargs(self.settings.broker),
                                         **producer_guarantees(self.settings.broker))
        await self.producer.start()
        delivery = asyncio.create_task(self.deliverer.run()) if self.deliverer else None
        try:
            while not self._stop.is_set():
                async with self.writing:   # a backup pauses the writes between two batches
                    await self._step()
                if time.monotonic() - self._ticked >= 1.0:
                    self._ticked = time.monotonic()
                    await self._alerts(self.alerting.tick(held=self.backfill.held()))
                    await self.backfill.cover(self.producer)
        finally:
            if delivery is not None:
                delivery.cancel()
            # Bounded: when the broker died with the supervisor, the clients cannot say goodbye.
            for closing in (self.producer.stop(), self.consumer.stop(), server.stop()):
                try:
                    await asyncio.wait_for(closing, timeout=5)
                except (TimeoutError, Exception) as exc:  # noqa: BLE001 - stopping anyway
                    log.warning("while stopping: %s", exc or type(exc).__name__)
            self.con.close()

    def stop(self) -> None:
        self._stop.set()

    async def backup(self, to: Path) -> dict[str, Any]:
        """Copy the store and the last complete checkpoint's snapshots to `to` (sinks/backup.py)."""
        async with self.writing:
            return await asyncio.to_thread(
                copy_store, self.con, self.settings.duckdb_path, self.checkpoints, to
            )

    async def _step(self) -> None:
        assert self.consumer is not None
        data = await self.consumer.getmany(
            timeout_ms=self.settings.sink_batch_wait_ms, max_records=self.settings.sink_batch_max
        )
        if not data:
            return
        batch, arrivals = Batch(epoch=self.epoch), []
        for tp, records in data.items():
            for r in records:
                marker = self.collector.add(batch, tp.topic, tp.partition, r)
                self._track_backfill(tp.topic, tp.partition, marker, r)
                if marker is not None:
                    arrivals.append(marker)
        if len(batch) or batch.offsets:
            started = time.monotonic()
            await asyncio.to_thread(write, self.con, batch)
            self.metrics.batch_seconds.observe(time.monotonic() - started)
            self._count(batch)
            await self._alerts(self.alerting.observe_batch(
                batch.kpis, [d["source"] for d in batch.dead_letters], self.backfill.held()))
        await self.consumer.commit()
        for marker in arrivals:
            if marker.checkpoint is not None and self.barriers.completes(marker.barrier_id, marker.arrival):
                await asyncio.to_thread(self._checkpoint_complete, marker.checkpoint)  # before anyone hears
            self.barriers.arrived(marker.barrier_id, marker.arrival)
            if self.barriers.is_complete(marker.barrier_id):
                self.backfill.completed(marker.barrier_id)

    def _track_backfill(self, topic: str, partition: int, marker: Marker | None, r: Any) -> None:
        """Raw records and markers in partition order (republished records too): which sources are
        still in a backfill, whose alert rules wait (alerts/catchup.py)."""
        source = self.collector.raw.get(topic)
        if source is None:
            return
        if marker is not None:
            self.backfill.marker(source, partition, marker.barrier_id)
        else:
            self.backfill.read(source, partition, *times(topic, r))

    def _checkpoint_complete(self, checkpoint: int) -> None:
        """Every stage snapshotted the checkpoint (before forwarding its marker) and everything before
        it is in DuckDB: a restart may start from it."""
        self.con.execute("INSERT INTO checkpoints VALUES (?, now())", [checkpoint])
        self.checkpoints.mark_complete(checkpoint, checkpoint)
        log.info("checkpoint %d complete", checkpoint)

    async def _alerts(self, transitions: list[Transition]) -> None:
        """Store the raise/clear events, then publish them (a restart knows what is open)."""
        if not transitions:
            return
        events = await asyncio.to_thread(store_alerts, self.con, self.alerting.rows(transitions))
        assert self.producer is not None
        for event in events:
            key, value = alert_message(event)
            await self.producer.send_and_wait(self.topology.names.alerts(), value, key=key)
            self.written["alerts"] += 1
        if self.deliverer is not None:
            self.deliverer.wake()

    def _count(self, batch: Batch) -> None:
        self.batches += 1
        now = time.time()
        for source, rows in batch.raw.items():
            self.written[f"raw.{source}"] += len(rows)
            for row in rows:
                self.metrics.archive_latency.observe(max(0.0, now - row["received_at"].timestamp()))
        self.written["dead_letters"] += len(batch.dead_letters)
        self.written["kpi_updates"] += len(batch.kpis)
        for kind in ("dead_letters", "kpi_updates"):
            self.metrics.rows.labels(kind).inc(
                len(batch.dead_letters) if kind == "dead_letters" else len(batch.kpis)
            )
        self.metrics.rows.labels("raw").inc(sum(map(len, batch.raw.values())))
        for source, entities in batch.details.items():
            self.written[f"details.{source}"] += len(entities)

    async def lag(self) -> dict[str, int]:
        """Messages behind the last fetched high watermark, per topic (approximate on Tansu)."""
        out: Counter[str] = Counter()
        if self.consumer is None:
            return {}
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is not None:
                out[tp.topic] += max(0, high - await self.consumer.position(tp))
        return dict(out)


class _ResumeFromStore(ConsumerRebalanceListener):  # type: ignore[misc]
    """Each partition the sink is given resumes where DuckDB says it wrote up to (sinks/offsets.py)."""

    def __init__(self, service: SinkService) -> None:
        self.service = service

    async def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Any) -> None:
        consumer, stored = self.service.consumer, offsets.load(self.service.con, self.service.epoch)
        assert consumer is not None
        for tp in assigned:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])


def run_sink(settings: Settings, topology: Topology, alert_rules: list[AlertRule],
             alertmanager: AlertmanagerSettings | None = None,
             backfill_after_s: float = DEFAULT_BACKFILL_AFTER_S) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sink %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    service = SinkService(settings, topology, alert_rules, alertmanager, backfill_after_s)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop() -> None:
            service.stop()
            # A step blocked on a dead broker (a commit waits for its coordinator) never returns:
            # after a grace period, cancel it; nothing is lost (offsets commit after DuckDB).
            loop.call_later(5, task.cancel)

        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            loop.add_signal_handler(sig, stop)
        try:
            await service.run()
        except asyncio.CancelledError:
            log.warning("stopped without a broker to say goodbye to")

    asyncio.run(main())
