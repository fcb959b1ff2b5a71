"""The pipeline's HTTP port: POST /ingest/<source>, /metrics, /status, /sql, barriers."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from connectors.adapters.configuration import AdapterConfig
from connectors.dedup import IdentityIndex
from connectors.ingest import IngestResult, Prepared, build_validators
from connectors.publisher import Publisher, PublishError
from contract.records import ArrivalClock, barrier_headers
from contract.settings import Settings
from contract.topology import GATEWAY, Topology
from gateway.adapters import AdapterRoutes
from gateway.auth import Auth, AuthSettings
from gateway.journal import Journal
from gateway.lag import LagProbe
from gateway.metrics import GatewayMetrics
from gateway.ratelimit import TokenBucket
from gateway.tokens import authorize, load_pseudonym_key
from gateway.web import add_routes as add_screen_routes
from streams.kpis.index766.rules import Index766

log = logging.getLogger(__name__)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data, default=str), status=status, headers=headers,
                        content_type="application/json")


class Gateway:
    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        index766: Index766 | None,
        publisher: Publisher,
        index: IdentityIndex,
        tokens: dict[str, str],
        health: Callable[[], dict[str, Any]],
        adapters: AdapterConfig | None = None,
        auth: AuthSettings | None = None,
    ) -> None:
        self.settings, self.topology, self.index766 = settings, topology, index766
        self.publisher, self.index, self.tokens, self.health = publisher, index, tokens, health
        sources = topology.sources
        self.registry = CollectorRegistry()
        self.metrics = GatewayMetrics(self.registry, sources)
        key = load_pseudonym_key(settings.pseudonym_key, settings.state_dir)
        self.validators = build_validators(settings, index, key, topology.names)
        self.totals = {name: IngestResult(name) for name in sources}
        self.accepting = True
        self.journal = Journal()
        self.buckets = {
            name: TokenBucket(settings.requests_per_s, 2 * settings.requests_per_s) for name in sources
        }
        self._lock = asyncio.Lock()  # one batch at a time: the duplicate check must see every earlier batch
        self._confirmer: asyncio.Task[None] | None = None
        self._checkpointer: asyncio.Task[None] | None = None
        self.clock = ArrivalClock()
        self.published_since_checkpoint = 0
        self.sink_url = f"http://127.0.0.1:{settings.query_port}"
        self._session: aiohttp.ClientSession | None = None
        self.auth = Auth(auth or AuthSettings())   # the screens' log-in (open on loopback without users)
        self.app = web.Application(client_max_size=settings.max_body_bytes,
                                   middlewares=[self.auth.middleware])
        # the wire-format adapters' paths first: /ingest/<adapter> would otherwise read as a source
        self.adapters = AdapterRoutes(self, adapters) if adapters is not None else None
        self.app.add_routes(
            [
                web.post("/ingest/{source}", self.ingest),
                web.get("/metrics", self.metrics_page),
                web.get("/status", self.status),
                web.post("/sql", self.sql),
                web.post("/barrier", self.new_barrier),
                web.get("/barrier/{barrier_id}", self.barrier_state),
            ]
        )
        self.app.add_routes(self.auth.routes("/ops/api"))
        add_screen_routes(self.app, self)  # the ops screens (gateway/web): /ops/, live events, history
        self._runner = web.AppRunner(self.app, access_log=None)
        self.lag_probe = LagProbe(settings.broker, topology)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        await self.lag_probe.start()
        self._confirmer = asyncio.create_task(self._confirm_archived())
        self._checkpointer = asyncio.create_task(self._checkpoint_every(self.settings.checkpoint_interval_s))
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port).start()
        if self.adapters is not None:
            self.adapters.start()

    async def stop(self) -> None:
        if self.adapters is not None:
            await self.adapters.stop()
        for task in (self._confirmer, self._checkpointer):
            if task:
                task.cancel()
        await self._runner.cleanup()
        await self.lag_probe.stop()
        if self._session:
            await self._session.close()

    # -- ingest -------------------------------------------------------------------------------
    async def ingest(self, request: web.Request) -> web.Response:
        source = request.match_info["source"]
        if source not in self.validators:
            return _json({"error": f"unknown source {source!r}", "sources": sorted(self.validators)}, 404)
        verdict = authorize(
            self.tokens, source, request.headers.get("Authorization", "").removeprefix("Bearer ")
        )
        if verdict != 200:
            message = (
                "a bearer token for this source is required"
                if verdict == 401
                else "this token may not write to this source"
            )
            return _json(
                {"error": message}, verdict, {"WWW-Authenticate": "Bearer"} if verdict == 401 else None
            )
        wait = self.buckets[source].take()
        if wait:
            self.metrics.rate_limited.labels(source).inc()
            return _json({"error": "too many requests for this token"}, 429, {"Retry-After": f"{wait:.1f}"})
        if not self.accepting:
            return _json(
                {"error": "the pipeline is not accepting records right now"}, 503, {"Retry-After": "5"}
            )
        if self.journal.full:
            return _json({"error": "DuckDB is not keeping up; retry later"}, 503, {"Retry-After": "10"})
        body = await request.read()
        started = time.perf_counter()
        try:
            result = await self._ingest(source, body)
        except PublishError as exc:
            self.metrics.unavailable.labels(source).inc()
            return _json({"error": f"broker unavailable: {exc}"}, 503, {"Retry-After": "5"})
        self.metrics.request_seconds.labels(source).observe(time.perf_counter() - started)
        return _json(result.as_dict())

    async def _ingest(self, source: str, body: bytes) -> IngestResult:
        validator = self.validators[source]
        return (await self.publish_batch(source, lambda received: validator.prepare(body, received))).result

    async def publish_batch(
        self, source: str, prepare: Callable[[datetime], Prepared], count: bool = True
    ) -> Prepared:
        """Validate (in a thread, under the batch lock: the duplicate check sees every earlier batch;
        `prepare` takes the arrival time, from the gateway's clock),
        publish, and count (unless `count` is false: an inbox re-offering what it had published before a
        restart). PublishError when the broker did not take it all."""
        async with self._lock:
            prepared = await asyncio.to_thread(prepare, self.clock.now())
            try:
                await asyncio.to_thread(self.publisher.publish, prepared.messages)
            except PublishError as err:
                # What the broker took is in the raw topic: it must count as seen, so the source's
                # retry of the whole request cannot publish it twice.
                taken, rest = prepared.acked_identities(err.acked)
                self.index.commit(source, taken)
                self.index.release(source, rest)
                self.journal.add([m for m, ok in zip(prepared.messages, err.acked) if ok])
                raise
            self.index.commit(source, prepared.identities)
            self.journal.add(prepared.messages)
            self.published_since_checkpoint += len(prepared.messages)
        if not count:
            return prepared
        self.metrics.count(prepared.result)
        total = self.totals[source]
        total.accepted += prepared.result.accepted
        total.duplicate += prepared.result.duplicate
        total.dead_letter_reasons.update(prepared.result.dead_letter_reasons)
        return prepared

    # -- barriers: "is everything accepted so far in DuckDB?" ---------------------------------
    async def inject_barrier(self, checkpoint: bool = False) -> str:
        """A barrier marker after every record published so far; with `checkpoint`, every stage also
        snapshots its partitions at it, and its id is the arrival clock's time (streams/engine/
        checkpoints.py): every record received before that time is before the marker."""
        targets = [(topic, p) for topic, p, _ in self.topology.gateway_targets()]
        async with self._lock:  # so it follows every batch published before it
            at = int(self.clock.now().timestamp() * 1_000_000) if checkpoint else None
            barrier_id = f"checkpoint-{at}" if at is not None else uuid.uuid4().hex
            headers = barrier_headers(barrier_id, GATEWAY, at)
            await asyncio.to_thread(self.publisher.send_markers, targets, headers)
            if checkpoint:
                self.published_since_checkpoint = 0
        return barrier_id

    async def _checkpoint_every(self, interval_s: float) -> None:
        """A checkpoint barrier every `interval_s` while records flow (an idle pipeline needs none)."""
        while True:
            await asyncio.sleep(interval_s)
            if self.published_since_checkpoint and self.accepting:
                try:
                    await self.inject_barrier(checkpoint=True)
                except Exception as exc:  # noqa: BLE001 - the next round tries again
                    log.info("checkpoint not injected (%s)", type(exc).__name__)

    async def _confirm_archived(self, every_s: float = 2.0) -> None:
        """Drop journal entries once a barrier behind them reached DuckDB."""
        while True:
            await asyncio.sleep(every_s)
            if not self.journal.size or not self.accepting:
                continue
            position, started = self.journal.end, time.perf_counter()
            try:
                barrier = await self.inject_barrier()
                await self.await_barrier(barrier, timeout_s=60)
                self.journal.archived_up_to(position)
                self.metrics.pipeline_latency.observe(time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001 - this loop must outlive any failure
                log.info("journal not confirmed yet (%s): keeping it, trying again", type(exc).__name__)
                continue  # the broker or the sink is down: keep everything, try again later

    async def await_barrier(self, barrier: str, timeout_s: float) -> None:
        """Return once the sink committed everything published before `barrier`."""
        assert self._session is not None
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with self._session.get(f"{self.sink_url}/barriers/{barrier}") as resp:
                    if resp.status == 200 and (await resp.json(loads=orjson.loads)).get("complete"):
                        return
            except aiohttp.ClientError:
                pass  # the sink is restarting
            await asyncio.sleep(0.2)
        raise TimeoutError(barrier)

    def replace_publisher(self, publisher: Publisher) -> None:
        """After the embedded broker restarted: a fresh producer (its idempotence state is gone)."""
        old, self.publisher = self.publisher, publisher
        old.close()

    async def new_barrier(self, request: web.Request) -> web.Response:
        """`{"checkpoint": true}`: a checkpoint barrier (every stage snapshots at it)."""
        try:
            body = orjson.loads(await request.read() or b"{}")
        except orjson.JSONDecodeError:
            body = {}
        checkpoint = isinstance(body, dict) and body.get("checkpoint") is True
        try:
            return _json({"barrier": await self.inject_barrier(checkpoint)})
        except Exception as exc:  # noqa: BLE001 - the broker is down: say so, the caller retries
            return _json({"error": f"broker unavailable: {exc}"}, 503, {"Retry-After": "5"})

    async def barrier_state(self, request: web.Request) -> web.Response:
        return await self._proxy("GET", f"/barriers/{request.match_info['barrier_id']}")

    # -- reading ------------------------------------------------------------------------------
    async def sql(self, request: web.Request) -> web.Response:
        return await self._proxy("POST", "/sql", await request.read())

    async def _proxy(self, method: str, path: str, body: bytes | None = None) -> web.Response:
        assert self._session is not None
        try:
            async with self._session.request(method, self.sink_url + path, data=body) as resp:
                return web.Response(
                    body=await resp.read(), status=resp.status, content_type="application/json"
                )
        except aiohttp.ClientError as exc:
            return _json({"error": f"the DuckDB sink is not answering: {exc}"}, 503, {"Retry-After": "5"})

    async def sink_stats(self) -> dict[str, Any] | None:
        assert self._session is not None
        try:
            async with self._session.get(self.sink_url + "/stats") as resp:
                stats: dict[str, Any] = await resp.json(loads=orjson.loads)
                return stats
        except aiohttp.ClientError:
            return None

    async def consumer_lag(self) -> dict[str, dict[str, int]] | str:
        try:
            lag = await self.lag_probe.lag()
        except Exception as exc:  # noqa: BLE001 - the broker is down: report it, do not fail the status page
            return f"unavailable: {exc}"
        for group, per_topic in lag.items():
            for topic, n in per_topic.items():
                self.metrics.group_lag.labels(group, topic).set(n)
        return lag

    async def status(self, request: web.Request) -> web.Response:
        sink = await self.sink_stats()
        for topic, lag in ((sink or {}).get("lag") or {}).items():
            self.metrics.sink_lag.labels(topic).set(lag)
        return _json(
            {
                "sources": {s: t.as_dict() for s, t in self.totals.items()},
                "adapters": self.adapter_totals(),
                "identities_known": {s: self.index.count(s) for s in self.topology.sources},
                "consumer_lag": await self.consumer_lag(),
                "sink_stats": sink,
                **self.health(),
            }
        )

    def adapter_totals(self) -> dict[str, Any]:
        return self.adapters.totals() if self.adapters is not None else {}

    async def metrics_page(self, request: web.Request) -> web.Response:
        health = self.health()
        self.metrics.worker_up.set(sum(1 for w in health["workers"] if w["alive"]))
        self.metrics.sink_up.set(1 if health["sink"]["alive"] else 0)
        await self.consumer_lag()
        body = generate_latest(self.registry) + await self._sink_metrics()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _sink_metrics(self) -> bytes:
        """The sink's page (KPI gauges, open alerts, DuckDB health); empty while it is down."""
        assert self._session is not None
        try:
            async with self._session.get(self.sink_url + "/metrics") as resp:
                return await resp.read() if resp.status == 200 else b""
        except aiohttp.ClientError:
            return b""
