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

from connectors.dedup import IdentityIndex
from connectors.publisher import Outgoing, Publisher
from contract.records import H_ID, header
from contract.settings import Settings
from contract.topics import TopicNames
from gateway.server import Gateway
from gateway.tokens import load_tokens
from ioc.broker import EmbeddedBroker, ensure_topics, topic_is_empty
from ioc.config import Config
from ioc.processes import Child
from ioc.restore import restore

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
        names = self.config.topology.names
        empty = {t for t in map(names.raw, sources) if await topic_is_empty(s.broker, t, s.partitions)}
        publisher = Publisher(s.broker)   # the gateway owns it from here on
        index = IdentityIndex()
        restored = await asyncio.to_thread(restore, s, self.config.topology, publisher, index, empty)
        log.info("DuckDB archive: %s records, %d dead letters; republished %s",
                 restored.archived, restored.dead_letters, restored.republished or "nothing")
        self.sink = self._child("sink", ["sink"])
        self.children = [self.sink] + [self._child(f"worker-{i}", ["worker"]) for i in range(s.worker_count)]
        for child in self.children:
            child.start()
        tokens = load_tokens(s.tokens, sources, s.state_dir)
        self.gateway = Gateway(
            s, self.config.topology, self.config.index766, publisher, index, tokens, self.health,
            self.config.auth,
        )
        await self.gateway.start()
        await self._wait_sink()
        self.ready = True

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
            "workers": [describe(c) for c in self.children if c is not self.sink],
            "sink": describe(self.sink) if self.sink else {"alive": False},
            "broker": {
                "embedded": self.broker is not None,
                "address": ",".join(self.settings.broker.bootstrap_servers),
            },
            "uptime_s": round(time.time() - self.started_at, 1),
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
            await asyncio.gather(*(asyncio.to_thread(c.stop, grace) for c in self.children[1:]))
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
        if not (self.sink and self.sink.alive() and any(c.alive() for c in self.children[1:])):
            return
        try:
            await self.gateway.await_barrier(await self.gateway.inject_barrier(), timeout_s)
            log.info("drained: everything accepted is in DuckDB")
        except Exception as exc:
            log.warning("drain incomplete (%s): DuckDB may miss the last records", exc)

    # -- the embedded broker died -------------------------------------------------------------
    async def _recover_broker(self) -> None:
        """Restart the memory-only broker and rebuild what it held: the DuckDB archive, plus what
        the gateway's journal holds that the sink had not archived yet. Ingest answers 503 meanwhile."""
        assert self.broker is not None and self.gateway is not None
        s = self.settings
        log.warning("the embedded broker died: restarting it and republishing from DuckDB and the journal")
        self.gateway.accepting = False
        try:
            for child in self.children:
                await asyncio.to_thread(child.kill)  # their state is rebuilt from the new log
            self.broker.start()
            await ensure_topics(s.broker, self.config.topology.catalogue(), s.replication_factor)
            self.gateway.replace_publisher(Publisher(s.broker))
            archived = IdentityIndex()
            sources = self.config.topology.sources
            all_raw = {self.config.topology.names.raw(src) for src in sources}
            publisher = self.gateway.publisher
            restored = await asyncio.to_thread(restore, s, self.config.topology, publisher, archived, all_raw)
            names = self.config.topology.names
            missing = [m for m in self.gateway.journal.pending() if not _archived(m, archived, names)]
            await asyncio.to_thread(self.gateway.publisher.publish, missing, 120)
            log.info(
                "broker restored: republished %s archived records and %d from the journal",
                restored.republished or "no",
                len(missing),
            )
            for child in self.children:
                child.restarts += 1
                child.start()
            await self._wait_sink()
        finally:
            self.gateway.accepting = True


def _archived(message: Outgoing, archived: IdentityIndex, names: TopicNames) -> bool:
    """A raw record already in DuckDB (republished from there). Dead letters are republished
    anyway: the sink keeps one row per dead-letter id."""
    source = names.raw_source(message.topic)
    identity = header(message.headers, H_ID)
    return (
        source is not None
        and identity is not None
        and archived.contains(source, bytes.fromhex(identity.decode()))
    )


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
