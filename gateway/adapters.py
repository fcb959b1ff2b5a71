"""The wire-format adapters' HTTP side (wire-formats 0.1, 1.2, 4.1): `POST /ingest/<adapter>` with
the adapter's Bearer token, the DVCQG login and its sessions, the VES listener with HTTP Basic per
operator, and the inbox folders. Every path ends in the gateway's one publish path."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter

from connectors.adapters.base import AdapterCounts, Meta
from connectors.adapters.configuration import AdapterConfig
from connectors.adapters.dvcqg import bodies, service_kind
from connectors.adapters.registry import ADAPTERS
from connectors.adapters.ves import NotVes, events_of
from connectors.ingest import IngestResult, Prepared, Validator
from connectors.publisher import PublishError
from contract.settings import Settings
from gateway.inbox import Inbox
from gateway.journal import Journal
from gateway.metrics import GatewayMetrics
from gateway.ratelimit import TokenBucket
from gateway.tokens import authorize


class GatewayPort(Protocol):
    """What the adapters' routes use of the gateway (gateway/server.py Gateway)."""

    settings: Settings
    registry: CollectorRegistry
    app: web.Application
    accepting: bool
    journal: Journal
    metrics: GatewayMetrics
    tokens: dict[str, str]
    validators: dict[str, Validator]

    async def publish_batch(
        self, source: str, prepare: Callable[[datetime], Prepared], count: bool = True
    ) -> Prepared: ...

OUTCOMES = ("mapped", "dead_letter", "ignored")
BUSY = "Hệ thống bận, thử lại sau"
BAD_LOGIN = "Sai tài khoản hoặc mật khẩu"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(data), status=status, headers=headers, content_type="application/json"
    )


def answer(counts: AdapterCounts, result: IngestResult) -> dict[str, Any]:
    """0.3's counts: items, records, then the target source's outcomes, then what was ignored."""
    reasons = Counter(result.dead_letter_reasons)
    return {
        "adapter": counts.adapter,
        "source": result.source,
        "items": counts.items,
        "records": counts.records,
        "accepted": result.accepted,
        "duplicate": result.duplicate,
        "dead_lettered": result.dead_lettered,
        "dead_letter_reasons": dict(reasons),
        "ignored": counts.ignored,
        "ignored_kinds": dict(counts.ignored_kinds),
    }


class Unavailable(Exception):
    """The pipeline cannot take the request now: 503 (broker down, stopping, DuckDB behind) or 429."""

    def __init__(self, message: str, status: int = 503, retry_after: str = "5") -> None:
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class AdapterRoutes:
    def __init__(self, gateway: GatewayPort, config: AdapterConfig) -> None:
        self.gateway, self.config = gateway, config
        self.counts = {name: AdapterCounts(name) for name in ADAPTERS}
        self.results = {name: IngestResult(a.target) for name, a in ADAPTERS.items()}
        self.sessions: dict[str, float] = {}  # DVCQG session -> expiry (monotonic); in memory only
        rate = gateway.settings.requests_per_s
        self.buckets = {name: TokenBucket(rate, 2 * rate) for name in ADAPTERS}
        self.items = PromCounter(
            "ioc_adapter_items_total",
            "Wire items read by adapters, by outcome",
            ["adapter", "outcome"],
            registry=gateway.registry,
        )
        for name in ADAPTERS:
            for outcome in OUTCOMES:
                self.items.labels(name, outcome)
        self.inbox = Inbox(self.publish, gateway.validators, config)
        gateway.app.add_routes(
            [
                web.post("/ingest/dvcqg/auth", self.dvcqg_login),
                web.post("/eventListener/v7", self.ves_listener),
                web.post("/eventListener/v7/eventBatch", self.ves_listener),
                *(web.post(f"/ingest/{name}", self.ingest) for name in ADAPTERS),
            ]
        )

    def start(self) -> None:
        self.inbox.start()

    async def stop(self) -> None:
        await self.inbox.stop()

    def totals(self) -> dict[str, Any]:
        return {name: answer(self.counts[name], self.results[name]) for name in ADAPTERS}

    # -- the one path ---------------------------------------------------------------------------
    def ready(self) -> None:
        g = self.gateway
        if not g.accepting:
            raise Unavailable("the pipeline is not accepting records right now")
        if g.journal.full:
            raise Unavailable("DuckDB is not keeping up; retry later")

    async def run(
        self, name: str, body: bytes, meta: Meta, letter_id: Any = None, count: bool = True
    ) -> Prepared:
        """Read the document with the adapter, validate and publish its records (PublishError: 503)."""
        adapter = ADAPTERS[name]
        validator = self.gateway.validators[adapter.target]
        ctx = self.config.context

        def prepare(received: datetime) -> Prepared:
            return validator.prepare_mapped(name, adapter.read(body, meta, ctx), received, letter_id)

        return await self.publish(name, prepare, count)

    async def publish(self, name: str, prepare: Any, count: bool = True) -> Prepared:
        prepared = await self.gateway.publish_batch(ADAPTERS[name].target, prepare, count)
        if count:
            self.count(prepared)
        return prepared

    def count(self, prepared: Prepared) -> None:
        counts = prepared.adapter
        assert counts is not None
        self.counts[counts.adapter].add(counts)
        total = self.results[counts.adapter]
        total.accepted += prepared.result.accepted
        total.duplicate += prepared.result.duplicate
        total.dead_letter_reasons.update(prepared.result.dead_letter_reasons)
        self.items.labels(counts.adapter, "mapped").inc(counts.mapped)
        self.items.labels(counts.adapter, "dead_letter").inc(sum(counts.item_dead.values()))
        self.items.labels(counts.adapter, "ignored").inc(counts.ignored)

    async def _guarded(self, name: str, body: bytes, meta: Meta) -> Prepared:
        self.ready()
        wait = self.buckets[name].take()
        if wait:
            self.gateway.metrics.rate_limited.labels(ADAPTERS[name].target).inc()
            raise Unavailable("too many requests for this token", 429, f"{wait:.1f}")
        try:
            return await self.run(name, body, meta)
        except PublishError as exc:
            self.gateway.metrics.unavailable.labels(ADAPTERS[name].target).inc()
            raise Unavailable(f"broker unavailable: {exc}") from None

    # -- POST /ingest/<adapter> -------------------------------------------------------------------
    async def ingest(self, request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[1]
        adapter = ADAPTERS[name]
        bearer = request.headers.get("Authorization", "")
        verdict = (
            authorize(self.gateway.tokens, name, bearer.removeprefix("Bearer "))
            if bearer.startswith("Bearer ")
            else 401
        )
        body = await request.read()
        if name == "dvcqg":
            return await self.dvcqg_sync(body, verdict)
        if verdict != 200:
            return _json(
                {
                    "error": "a bearer token for this adapter is required"
                    if verdict == 401
                    else "this token may not write to this adapter"
                },
                verdict,
                {"WWW-Authenticate": "Bearer"} if verdict == 401 else None,
            )
        meta = Meta(request.query.get("operator"), _filename(request.headers.get("X-Filename")),
                    request.query.get("period"))
        if adapter.needs_operator and meta.operator not in self.config.context.operators:
            known = ", ".join(sorted(self.config.context.operators))
            return _json({"error": f"?operator= must name a configured operator ({known})"}, 400)
        try:
            prepared = await self._guarded(name, body, meta)
        except Unavailable as exc:
            return _json({"error": str(exc)}, exc.status, {"Retry-After": exc.retry_after})
        assert prepared.adapter is not None
        return _json(answer(prepared.adapter, prepared.result))

    # -- DVCQG (1.2) --------------------------------------------------------------------------------
    def _code(self, code: int) -> int | str:
        styles: dict[str, int | str] = {"int": 0, "string": "0", "string00": "00"}
        return styles[self.config.dvcqg.error_code_style] if code == 0 else code

    async def dvcqg_login(self, request: web.Request) -> web.Response:
        login = self.config.dvcqg
        try:
            asked = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            asked = None
        ok = (
            isinstance(asked, dict)
            and bool(login.password)
            and secrets.compare_digest(str(asked.get("username", "")).encode(), login.username.encode())
            and secrets.compare_digest(str(asked.get("password", "")).encode(), login.password.encode())
        )
        if not ok:
            return _json({"error_code": 1, "message": BAD_LOGIN}, 401)
        now = time.monotonic()
        self.sessions = {s: t for s, t in self.sessions.items() if t > now}
        session = secrets.token_urlsafe(32)
        self.sessions[session] = now + login.session_ttl_s
        return _json({"error_code": self._code(0), "message": "Thành công", "session": session})

    def _sessions_ok(self, body: bytes) -> bool:
        """Every body of the request carries a live session (a bare list of dossiers has none)."""
        found = [v for kind, v in bodies(body) if kind == "body"]
        now = time.monotonic()
        return bool(found) and all(
            isinstance(v.get("session"), str) and self.sessions.get(v["session"], 0) > now for v in found
        )

    async def dvcqg_sync(self, body: bytes, bearer: int) -> web.Response:
        if bearer != 200 and not self._sessions_ok(body):
            return _json({"error_code": 1, "message": BAD_LOGIN}, 401)
        try:
            prepared = await self._guarded("dvcqg", body, Meta())
        except Unavailable as exc:
            return _json({"error_code": 99, "message": BUSY}, exc.status, {"Retry-After": exc.retry_after})
        assert prepared.adapter is not None
        reply: dict[str, Any] = {"error_code": self._code(0), "message": "Đồng bộ thành công"}
        shapes = list(bodies(body))
        if any(kind == "bad" for kind, _ in shapes) or any(
            kind == "body"
            and not isinstance(v.get("data"), list)
            and service_kind(v.get("service")) in ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")
            for kind, v in shapes
        ):
            reply = {"error_code": -1, "message": "Dữ liệu không hợp lệ"}
        elif (
            len(shapes) == 1
            and shapes[0][0] == "body"
            and shapes[0][1].get("service") not in (None, "DongBoHoSoMC", "CapNhatTienDoHoSoMC")
        ):
            reply = {
                "error_code": -1,
                "message": f"Dịch vụ {service_kind(shapes[0][1].get('service'))} không được hỗ trợ",
                "result": [],
            }
        return _json({**reply, **answer(prepared.adapter, prepared.result)})

    # -- VES listener (4.1) ----------------------------------------------------------------------
    async def ves_listener(self, request: web.Request) -> web.Response:
        operator = self._basic(request.headers.get("Authorization", ""))
        if operator is None:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="VES"'})
        body = await request.read()
        try:
            prepared = await self._guarded("ves", body, Meta(operator))
        except Unavailable as exc:
            return _json(_ves_error("SVC1000", str(exc)), exc.status, {"Retry-After": exc.retry_after})
        try:
            events_of(body)
        except NotVes as exc:  # its one unparseable dead letter is published above
            return _json(_ves_error("SVC0002", f"Bad parameter: {exc}"), 400)
        del prepared
        return web.Response(status=202)

    def _basic(self, header: str) -> str | None:
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return self.config.ves_operator(user, password)


def _ves_error(message_id: str, text: str) -> dict[str, Any]:
    return {"requestError": {"serviceException": {"messageId": message_id, "text": text, "variables": []}}}


def _filename(value: str | None) -> str | None:
    """Only a file's own name (no path), as `_wire.file`."""
    if not value:
        return None
    name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or None
