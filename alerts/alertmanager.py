"""Delivery of the pipeline's alerts to Prometheus Alertmanager (API v2, `POST /api/v2/alerts`).

Alertmanager expects a client to re-post every alert that is still firing (an alert whose
`endsAt` passes without a re-post resolves by itself), and a resolved one once with its `endsAt`.
The deliverer does that from the store's view of what is open and what was cleared and not yet
delivered (`DeliveryStore`, the sink's DuckDB table), so a restart resumes where it stopped. It
runs beside the sink's loop as a task of its own: a slow or absent Alertmanager delays only the
delivery (retried with backoff), never the sink.

Labels are those of the Prometheus rule file (alerts/prometheus.py): `alertname`, `rule`,
`severity`, `unit_level`, `unit`. Alertmanager identifies an alert by its labels, so the same
cut-off raised by the pipeline and by a Prometheus server scraping /metrics is one alert.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import orjson

from alerts.rules import alert_name
from contract.settings import Settings

log = logging.getLogger(__name__)
API = "/api/v2/alerts"
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class AlertmanagerSettings:
    urls: tuple[str, ...]         # every Alertmanager of a cluster gets every alert; empty: no delivery
    resend_s: float               # how often a firing alert is posted again
    timeout_s: float
    generator_url: str            # where an alert links to (the ops screens' alert list)

    @property
    def enabled(self) -> bool:
        return bool(self.urls)

    @property
    def ends_after_s(self) -> float:
        """A firing alert's endsAt: four missed re-posts (Prometheus' own rule) and it resolves."""
        return 4 * self.resend_s


def alertmanager_of(settings: Settings, problems: list[str]) -> AlertmanagerSettings:
    """`[alertmanager]`: urls (empty: off), resend_s, timeout_s, generator_url."""
    a = settings.reader(problems).table("alertmanager")
    urls = a.get("urls", list, [], lambda v: all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                                  for u in v), "a list of http:// or https:// base URLs")
    return AlertmanagerSettings(
        urls=tuple(u.rstrip("/") for u in urls),
        resend_s=a.get("resend_s", float, 60.0, lambda v: 1 <= v <= 3600, "seconds 1..3600"),
        timeout_s=a.get("timeout_s", float, 10.0, lambda v: 0 < v <= 120, "seconds > 0, at most 120"),
        generator_url=a.get("generator_url", str, f"{settings.http_url}/ops/#/alerts"),
    )


class DeliveryStore(Protocol):
    """The alerts' store, as the deliverer sees it."""

    async def pending(self) -> list[dict[str, Any]]:
        """Open alerts and cleared ones whose resolution was not delivered yet: alert_id, rule,
        subject, unit_level, severity, raised_at, cleared_at (None while open), message_vi,
        message_en, kpi, grain, period, raised_value."""
        ...

    async def delivered(self, resolved_ids: list[str]) -> None:
        """Alertmanager accepted the resolution of these alerts."""
        ...


def labels(rule: str, severity: str, unit_level: str, subject: str) -> dict[str, str]:
    """The identity of an alert in Alertmanager, the same as the Prometheus rules give theirs."""
    return {"alertname": alert_name(rule), "rule": rule, "severity": severity,
            "unit_level": unit_level, "unit": subject}


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(alert: dict[str, Any], now: datetime, settings: AlertmanagerSettings) -> dict[str, Any]:
    """One alert of a POST /api/v2/alerts body."""
    cleared: datetime | None = alert["cleared_at"]
    ends = cleared if cleared is not None else datetime.fromtimestamp(
        now.timestamp() + settings.ends_after_s, UTC)
    annotations = {"summary_vi": alert["message_vi"], "summary_en": alert["message_en"],
                   "kpi": alert["kpi"], "grain": alert["grain"], "period": alert["period"]}
    if alert.get("raised_value") is not None:
        annotations["value"] = f"{alert['raised_value']:g}"
    return {
        "labels": labels(alert["rule"], alert["severity"], alert["unit_level"], alert["subject"]),
        "annotations": annotations,
        "startsAt": _ts(alert["raised_at"]),
        "endsAt": _ts(ends),
        "generatorURL": settings.generator_url,
    }


class Deliverer:
    """Posts what the store says is pending: at once when woken (a raise or a clear), and every
    `resend_s` for what stays open; failures are retried with a doubling pause."""

    def __init__(self, settings: AlertmanagerSettings, store: DeliveryStore, counts: Counter[str]) -> None:
        """`counts` (the sink's, shown by `ioc status`): `alertmanager` alerts accepted by every
        Alertmanager, `alertmanager_failed` attempts one of them refused or missed."""
        self.settings, self.store, self.counts = settings, store, counts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            backoff = 0.0
            while True:
                self._wake.clear()
                if await self._deliver(session):
                    backoff = 0.0
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.settings.resend_s)
                    except TimeoutError:
                        pass
                else:   # raises and clears meanwhile wait too: they go with the next attempt
                    backoff = min(MAX_BACKOFF_S, self.settings.resend_s, max(1.0, 2 * backoff))
                    await asyncio.sleep(backoff)

    async def _deliver(self, session: aiohttp.ClientSession) -> bool:
        try:
            alerts = await self.store.pending()
        except Exception as exc:  # noqa: BLE001 - the store is busy (e.g. a write conflict): next round
            log.warning("alert delivery: cannot read pending alerts: %s", exc)
            return False
        if not alerts:
            return True
        now = datetime.now(UTC)
        body = orjson.dumps([payload(a, now, self.settings) for a in alerts])
        results = await asyncio.gather(*(self._post(session, url, body) for url in self.settings.urls))
        if not all(results):
            self.counts["alertmanager_failed"] += 1
            return False
        self.counts["alertmanager"] += len(alerts)
        resolved = [a["alert_id"] for a in alerts if a["cleared_at"] is not None]
        if resolved:
            await self.store.delivered(resolved)
        return True

    async def _post(self, session: aiohttp.ClientSession, url: str, body: bytes) -> bool:
        started = time.monotonic()
        try:
            async with session.post(url + API, data=body,
                                    headers={"Content-Type": "application/json"}) as resp:
                if resp.status == 200:
                    return True
                text = (await resp.text())[:300]
                log.warning("alert delivery to %s: HTTP %s %s", url, resp.status, text)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("alert delivery to %s failed after %.1f s: %s", url, time.monotonic() - started,
                        exc or type(exc).__name__)
        return False
