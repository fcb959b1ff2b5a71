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
from datetime import datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from alerts.evaluator import Transition
from alerts.rules import AlertRule
from alerts.watch import Alerting
from contract.kafka import aiokafka_kwargs, producer_guarantees
from contract.records import H_BARRIER, H_EVENT, H_ID, H_RECEIVED, H_SRC, header
from contract.settings import Settings
from contract.topology import Topology
from sinks.alerts import message as alert_message
from sinks.alerts import open_alerts
from sinks.alerts import store as store_alerts
from sinks.barriers import BarrierTracker
from sinks.metrics import SinkMetrics
from sinks.query import QueryServer
from sinks.store import Batch, open_store, parse_kpi, write

log = logging.getLogger(__name__)


class SinkService:
    def __init__(self, settings: Settings, topology: Topology, alert_rules: list[AlertRule]) -> None:
        self.settings, self.topology = settings, topology
        self.con = open_store(settings.duckdb_path, topology.sources, settings.units.timezone.key)
        self.con.execute("SET enable_external_access = false")   # queries cannot touch files
        self.barriers = BarrierTracker(topology.expected_arrivals())
        self.written: Counter[str] = Counter()
        self.batches = 0
        self._stop = asyncio.Event()
        self._raw = {topology.names.raw(s): s for s in topology.sources}
        self._dlq = {topology.names.dead_letters(s) for s in topology.sources}
        self._kpi = {topology.names.kpi(d) for d in topology.kpi_domains}
        self._details = {topology.names.details(s): s for s in topology.detail_sources}
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.alerting = Alerting(alert_rules, settings.units)
        self.alerting.restore(open_alerts(self.con))
        self.metrics = SinkMetrics(self.con, settings.units.timezone)
        self._ticked = 0.0

    async def run(self) -> None:
        server = QueryServer(self)
        await server.start(self.settings.query_port)
        self.consumer = AIOKafkaConsumer(
            *self._raw,
            *self._dlq,
            *self._kpi,
            *self._details,
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
        self.producer = AIOKafkaProducer(**aiokafka_kwargs(self.settings.broker),
                                         **producer_guarantees(self.settings.broker))
        await self.producer.start()
        try:
            while not self._stop.is_set():
                await self._step()
                if time.monotonic() - self._ticked >= 1.0:
                    self._ticked = time.monotonic()
                    await self._alerts(self.alerting.tick())
        finally:
            # Bounded: when the broker died with the supervisor, the clients cannot say goodbye.
            for closing in (self.producer.stop(), self.consumer.stop(), server.stop()):
                try:
                    await asyncio.wait_for(closing, timeout=5)
                except (TimeoutError, Exception) as exc:
                    log.warning("while stopping: %s", exc or type(exc).__name__)
            self.con.close()

    def stop(self) -> None:
        self._stop.set()

    async def _step(self) -> None:
        assert self.consumer is not None
        data = await self.consumer.getmany(
            timeout_ms=self.settings.sink_batch_wait_ms, max_records=self.settings.sink_batch_max
        )
        if not data:
            return
        batch, arrivals = Batch(), []
        for tp, records in data.items():
            for r in records:
                barrier = header(r.headers, H_BARRIER)
                if barrier is not None:
                    arrivals.append(
                        (barrier.decode(), (tp.topic, tp.partition, int(header(r.headers, H_SRC) or 0)))
                    )
                else:
                    self._collect(batch, tp.topic, r)
        if len(batch):
            started = time.monotonic()
            await asyncio.to_thread(write, self.con, batch)
            self.metrics.batch_seconds.observe(time.monotonic() - started)
            self._count(batch)
            await self._alerts(
                self.alerting.observe_batch(batch.kpis, [d["source"] for d in batch.dead_letters])
            )
        await self.consumer.commit()
        for barrier_id, arrival in arrivals:
            self.barriers.arrived(barrier_id, arrival)

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

    def _collect(self, batch: Batch, topic: str, r: Any) -> None:
        if topic in self._raw:
            # Validation keeps unreadable times out; should one come anyway, the record is archived at the
            # sink's clock or its arrival instead: raising here would re-read the same message forever.
            try:
                received = datetime.fromisoformat((header(r.headers, H_RECEIVED) or b"").decode())
            except (ValueError, UnicodeDecodeError):
                received = datetime.now().astimezone()
            try:
                event_time = datetime.fromtimestamp(
                    int(header(r.headers, H_EVENT) or 0) / 1e6, received.tzinfo
                )
            except (ValueError, OverflowError, OSError):
                log.warning(
                    "%s offset %s: event time header out of range, archived at its arrival", topic, r.offset
                )
                event_time = received
            batch.raw.setdefault(self._raw[topic], []).append(
                {
                    "id": (header(r.headers, H_ID) or b"").decode(),
                    "key": (r.key or b"").decode(),
                    "received_at": received,
                    "event_time": event_time,
                    "record": r.value.decode(),
                }
            )
        elif topic in self._dlq:
            letter = orjson.loads(r.value)
            letter["received_at"] = datetime.fromisoformat(letter["received_at"])
            batch.dead_letters.append(letter)
        elif topic in self._details:
            if r.key is not None and r.value:
                batch.details.setdefault(self._details[topic], {})[r.key.decode()] = orjson.loads(r.value)
        elif r.key is not None:
            update = parse_kpi(r.value) if r.value is not None else None
            batch.kpis[r.key.decode()] = update
            if update is not None and "detail" in update:
                batch.index766[(update["unit"], update["grain"], update["period"])] = update

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


def run_sink(settings: Settings, topology: Topology, alert_rules: list[AlertRule]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sink %(levelname)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    service = SinkService(settings, topology, alert_rules)

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
