"""`ioc run`: start the whole pipeline, keep it running, stop it cleanly.

Start: embedded broker (unless one is configured) -> topics from the catalogue -> restore from
DuckDB (identities; archived records republished into an empty broker) -> DuckDB sink ->
KPI workers -> HTTP gateway. Stop (SIGTERM, Ctrl-C): refuse new records, wait until everything
accepted is in DuckDB, then stop workers, sink and broker, in that order.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from typing import Any

import aiohttp

from connectors.adapters.registry import ADAPTERS
from connectors.dedup import IdentityIndex
from connectors.publisher import Outgoing, Publisher
from contract.settings import Settings
from contract.topics import TopicNames
from gateway.server import Gateway
from gateway.tokens import load_tokens
from ioc.broker import EmbeddedBroker, ensure_topics
from ioc.config import Config
from ioc.processes import Child, rss_mib
from ioc.restore import journal_identity, restore
from streams.engine.checkpoints import FileCheckpointStore
from streams.engine.seeding import begin_epoch

log = logging.getLogger("ioc")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Supervisor:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.settings = config.settings
        self.logs = self.settings.state_dir / "logs"
        self.broker: EmbeddedBroker | None = None
        self.children: list[Child] = []
        self.sink: Child | None = None
        self.gateway: Gateway | None = None
        self._stop = asyncio.Event()
        self.started_at = time.time()
        self.ready = False   # every part started (the gateway answers /status before that)
        self.restart: dict[str, Any] = {}   # how the last start (or broker recovery) went: epoch, republished
        self.rotations = 0                   # fresh embedded brokers that took over a grown one
        self._rotation_checked = time.monotonic()

    # -- start --------------------------------------------------------------------------------
    async def start(self) -> None:
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        if self.settings.broker.embedded:
            self.broker = EmbeddedBroker(self.logs / "broker.log")
            self.config = self.config.with_broker(self.broker.start())   # every part is handed this address
            self.settings = self.config.settings
            log.info("embedded broker (Tansu, memory only) on %s", self.broker.address)
        s, sources = self.settings, self.config.topology.sources
        await ensure_topics(s.broker, self.config.topology.catalogue(), s.replication_factor)
        publisher = Publisher(s.broker)   # the gateway owns it from here on
        index = IdentityIndex(s.late_us)
        since = self._epoch()
        # The workers need only the epoch: they load their snapshots while the archive is read.
        workers = [self._child(f"worker-{i}", ["worker"]) for i in range(s.worker_count)]
        self.children = workers   # stopped with the rest should the restore fail
        for child in workers:
            child.start()
        restored = await asyncio.to_thread(restore, s, self.config.topology, publisher, index, since)
        self.restart["republished"] = restored.republished
        log.info("DuckDB archive: %s records, %d dead letters; republished %s",
                 restored.archived, restored.dead_letters, restored.republished or "nothing")
        self.sink = self._child("sink", ["sink"])   # after the restore: DuckDB takes one writer
        self.sink.start()
        self.children = [self.sink, *workers]
        tokens = load_tokens(s.tokens, sources + list(ADAPTERS), s.state_dir)
        self.gateway = Gateway(
            s, self.config.topology, self.config.index766, publisher, index, tokens, self.health,
            self.config.adapters, self.config.auth,
        )
        if restored.latest_arrival is not None:
            self.gateway.clock.advance_to(restored.latest_arrival)
        await self.gateway.start()
        await self._wait_sink()
        self.ready = True

    def _workers(self) -> list[Child]:
        return [c for c in self.children if c is not self.sink]

    def _epoch(self) -> int | None:
        """Begin a broker epoch (streams/engine/checkpoints.py): on the embedded broker, from which
        arrival time on the archive is republished (0: all of it); on a cluster, None (its log is kept)."""
        if self.broker is None:
            return None
        store = FileCheckpointStore(self.settings.checkpoint_dir)
        epoch = begin_epoch(store, self.settings, self.config.topology, self.config.index766)
        self.restart = {"epoch": epoch.number, "seeded_from": epoch.seeded_from}
        log.info("broker epoch %d, %s", epoch.number, f"from checkpoint {epoch.seeded_from}"
                 if epoch.seeded_from is not None else "from the whole archive")
        return epoch.seeded_from or 0

    def _child(self, name: str, command: list[str]) -> Child:
        argv = [
            sys.executable,
            "-m",
            "ioc.cli",
            "--config",
            str(self.settings.config_path),
            "--bootstrap",
            ",".join(self.settings.broker.bootstrap_servers),
            *command,
        ]
        return Child(name, argv, self.logs / f"{name}.log", env=dict(os.environ))

    async def _wait_sink(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(f"http://127.0.0.1:{self.settings.query_port}/stats") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.2)
        raise RuntimeError(f"the DuckDB sink did not start; see {self.logs / 'sink.log'}")

    # -- run ----------------------------------------------------------------------------------
    async def supervise(self) -> None:
        """Restart a child that died (its state is rebuilt from the log) until asked to stop."""
        while not self._stop.is_set():
            if self.broker is not None and not self.broker.child.alive():
                await self._recover_broker()
            elif time.monotonic() - self._rotation_checked > 30:
                self._rotation_checked = time.monotonic()
                if self._broker_too_big():
                    await self._rotate_broker()
            for child in self.children:
                if not child.alive():
                    log.warning(
                        "%s exited with %s; restarting", child.name, child.proc and child.proc.returncode
                    )
                    child.restarts += 1
                    child.start()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)
            except TimeoutError:
                pass

    def request_stop(self) -> None:
        self._stop.set()

    def health(self) -> dict[str, Any]:
        def describe(c: Child) -> dict[str, Any]:
            return {"name": c.name, "pid": c.pid, "alive": c.alive(), "restarts": c.restarts}

        return {
            "ready": self.ready,
            "workers": [describe(c) for c in self._workers()],
            "sink": describe(self.sink) if self.sink else {"alive": False},
            "broker": {
                "embedded": self.broker is not None,
                "address": ",".join(self.settings.broker.bootstrap_servers),
            },
            "uptime_s": round(time.time() - self.started_at, 1),
            "restart": {**self.restart, "broker_rotations": self.rotations},
        }

    # -- stop ---------------------------------------------------------------------------------
    async def stop(self, drain_timeout_s: float = 60) -> None:
        broker_up = self.broker is None or self.broker.child.alive()
        try:
            if self.gateway:
                self.gateway.accepting = False
                if broker_up:
                    await self._drain(drain_timeout_s)
        finally:
            # Whatever happened above, nothing may outlive the supervisor. Without a broker there
            # is nothing to drain: stop at once.
            grace = 20.0 if broker_up else 0.0
            await asyncio.gather(*(asyncio.to_thread(c.stop, grace) for c in self._workers()))
            if self.sink:
                await asyncio.to_thread(self.sink.stop, grace)
            if self.gateway:
                await self.gateway.stop()
                self.gateway.publisher.close(timeout_s=5 if broker_up else 0)
            if self.broker:
                self.broker.stop()

    async def _drain(self, timeout_s: float) -> None:
        """Wait until everything accepted is in DuckDB, so a restart loses nothing users see."""
        assert self.gateway is not None
        if not (self.sink and self.sink.alive() and any(c.alive() for c in self._workers())):
            return
        try:
            # A checkpoint: the next start takes every partition from its snapshot, with nothing after it.
            await self.gateway.await_barrier(await self.gateway.inject_barrier(checkpoint=True), timeout_s)
            log.info("drained: everything accepted is in DuckDB, checkpoint taken")
        except Exception as exc:  # noqa: BLE001 - stopping goes on whatever the drain met
            log.warning("drain incomplete (%s): DuckDB may miss the last records", exc)

    # -- a new embedded broker: it died, or holds too much ---------------------------------------
    async def _recover_broker(self) -> None:
        """Restart the memory-only broker and rebuild what it held: the archive after the last
        complete checkpoint, plus what the gateway's journal holds that the sink had not archived."""
        log.warning("the embedded broker died: restarting it and republishing from DuckDB and the journal")
        await self._new_broker(drained=False)

    def _broker_too_big(self) -> bool:
        """The memory-only broker keeps every record it was sent; past [broker] rotate_above_mib a fresh
        one takes over (only ever after a complete checkpoint: nothing is republished)."""
        if self.broker is None or self.settings.broker_rotate_mib <= 0 or self.gateway is None:
            return False
        return (rss_mib(self.broker.child.pid) or 0) > self.settings.broker_rotate_mib

    async def _rotate_broker(self) -> None:
        assert self.broker is not None and self.gateway is not None
        log.info("the embedded broker holds %d MiB: draining into a checkpoint and starting a fresh one",
                 rss_mib(self.broker.child.pid) or 0)
        self.gateway.accepting = False
        try:
            await self.gateway.await_barrier(await self.gateway.inject_barrier(checkpoint=True), 300)
        except Exception as exc:  # noqa: BLE001 - not drained: keep the broker, try again later
            log.warning("broker rotation postponed: the drain did not complete (%s)", exc)
            self.gateway.accepting = True
            return
        await asyncio.gather(*(asyncio.to_thread(c.stop, 20.0) for c in self.children))
        self.broker.stop()
        self.rotations += 1
        await self._new_broker(drained=True)

    async def _new_broker(self, drained: bool) -> None:
        """A fresh embedded broker in a new epoch; the workers take their partitions from the last
        complete checkpoint's snapshots and the archive after it. Ingest answers 503 meanwhile."""
        assert self.broker is not None and self.gateway is not None
        s = self.settings
        self.gateway.accepting = False
        try:
            for child in self.children:
                await asyncio.to_thread(child.kill)   # (stopped already when drained)
            self.broker.start()
            await ensure_topics(s.broker, self.config.topology.catalogue(), s.replication_factor)
            self.gateway.replace_publisher(Publisher(s.broker))
            archived = IdentityIndex(s.late_us)
            publisher = self.gateway.publisher
            since = self._epoch()
            restored = await asyncio.to_thread(restore, s, self.config.topology, publisher, archived, since)
            self.restart["republished"] = restored.republished
            names = self.config.topology.names
            missing = [] if drained else \
                [m for m in self.gateway.journal.pending() if not _archived(m, archived, names)]
            await asyncio.to_thread(self.gateway.publisher.publish, missing, 120)
            log.info("broker restored (epoch %d): republished %s archived records and %d from the journal",
                     self.restart["epoch"], restored.republished or "no", len(missing))
            for child in self.children:
                child.restarts += 0 if drained else 1
                child.start()
            await self._wait_sink()
        finally:
            self.gateway.accepting = True


def _archived(message: Outgoing, archived: IdentityIndex, names: TopicNames) -> bool:
    """A raw record already in DuckDB (republished from there). Dead letters are republished
    anyway: the sink keeps one row per dead-letter id."""
    source = names.raw_source(message.topic)
    identity = journal_identity(message, source) if source is not None else None
    return identity is not None and archived.contains(source, identity)   # type: ignore[arg-type]


def check_listen_policy(config: Config) -> None:
    """Beyond loopback, every source needs a configured token (not a generated one), and the
    screens a log-in (users, or a trusted proxy's header)."""
    settings = config.settings
    if settings.http_host not in LOOPBACK and not config.auth.enabled:
        raise RuntimeError(
            f"[http] host = {settings.http_host!r} is beyond loopback: configure [auth.users.<name>] "
            "(`ioc passwd` makes a password hash) or [auth] proxy_header first"
        )
    if settings.http_host not in LOOPBACK:
        missing = [s for s in config.topology.sources if s not in settings.tokens]
        if missing:
            raise RuntimeError(
                f"[http] host = {settings.http_host!r} is beyond loopback: configure "
                f"[ingest.tokens] for {', '.join(missing)} first"
            )


def run_pipeline(config: Config) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("kafka", "aiokafka", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    check_listen_policy(config)
    supervisor = Supervisor(config)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, supervisor.request_stop)
        try:
            await supervisor.start()
            print(banner(supervisor.settings), flush=True)
            await supervisor.supervise()
            log.info("stopping: draining, then workers, sink and broker")
            return 0
        finally:
            await supervisor.stop()
            log.info("stopped")

    return asyncio.run(main())


def banner(settings: Settings) -> str:
    return (
        f"IOC pipeline running: {settings.http_url}  (province {settings.units.province.name_vi}, "
        f"{len(settings.units.units) - 1} units; DuckDB {settings.duckdb_path})\n"
        f"  {settings.http_url}/ops/   the operations screens (Tiếng Việt | English)\n"
        f"  .venv/bin/ioc ingest dvc FILE      send records\n"
        f"  .venv/bin/ioc status --wait-idle   wait until DuckDB reflects them\n"
        f'  .venv/bin/ioc sql "SELECT * FROM kpi_latest"\n'
        f"Ctrl-C stops it cleanly."
    )
