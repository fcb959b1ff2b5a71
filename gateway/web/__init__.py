"""The ops screens: a live operations wall served by the gateway itself (no build step, no
internet at run time: scripts, styles, fonts and translations ship in static/).

    /ops/            the single-page application (Vietnamese by default, English by a toggle)
    /ops/events      server-sent events: the KPI topics and ioc.alerts, live
    /ops/api/...     history from DuckDB (through the sink) and the configuration's names
"""
from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from gateway.web.api import ScreensApi
from gateway.web.context import GatewayView
from gateway.web.events import EventStream
from gateway.web.health import HealthProbe
from gateway.web.hub import Hub
from gateway.web.sink import SinkClient
from reports.settings import report_settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/ops"
# Everything comes from this origin: a wall with no internet shows the same as one with it.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'")


def add_routes(app: web.Application, gateway: GatewayView) -> None:
    """Register the screens on the gateway's app; the topic tail starts with the first open screen."""
    settings = gateway.settings
    sink = SinkClient(gateway.sink_url)
    probe = HealthProbe(gateway)
    hub = Hub(settings, gateway.topology, lambda: probe.snapshot(hub), lambda: gateway.publisher)
    reports = report_settings(settings, None, [])   # its KPI names were checked at start (ioc/config.py)
    api = ScreensApi(settings, gateway.index766, gateway.topology, sink, hub, reports)
    stream = EventStream(hub, sink, settings.units.province.code)

    async def index(request: web.Request) -> web.StreamResponse:
        if not (STATIC / "index.html").exists():
            return web.Response(status=503, text=f"the ops screens' files are not installed ({STATIC})")
        return web.FileResponse(
            STATIC / "index.html",
            headers={
                "Content-Security-Policy": _CSP,
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def to_screens(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{PREFIX}/")

    async def on_startup(app: web.Application) -> None:
        await sink.start()

    async def on_shutdown(app: web.Application) -> None:
        await hub.close()  # open streams end now; aiohttp would otherwise wait for them

    async def on_cleanup(app: web.Application) -> None:
        await sink.close()

    app.add_routes(
        [
            web.get("/", to_screens),
            web.get(PREFIX, to_screens),
            web.get(f"{PREFIX}/", index),
            web.get(f"{PREFIX}/events", stream.handle),
            *api.routes(f"{PREFIX}/api"),
        ]
    )
    if (STATIC / "index.html").exists():
        app.router.add_static(f"{PREFIX}/static", STATIC)
    else:  # an installation without the package's data files: the pipeline runs, the screens say why not
        log.warning("ops screens unavailable: %s is missing from this installation", STATIC)
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
