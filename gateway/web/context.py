"""What the screens need from the gateway that serves them (a Protocol: the screens never import
the gateway, which registers them)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from connectors.ingest import IngestResult
from contract.settings import Settings
from contract.topology import Topology
from gateway.metrics import GatewayMetrics
from streams.kpis.index766.rules import Index766


class GatewayView(Protocol):
    settings: Settings
    topology: Topology
    index766: Index766 | None
    sink_url: str
    metrics: GatewayMetrics
    accepting: bool

    @property
    def totals(self) -> Mapping[str, IngestResult]: ...

    @property
    def publisher(self) -> object:
        """A new object once the embedded broker was restarted: its topics start over."""

    def health(self) -> dict[str, Any]: ...

    def adapter_totals(self) -> dict[str, Any]:
        """Per wire-format adapter: items, records and their outcomes since start."""

    async def sink_stats(self) -> dict[str, Any] | None: ...

    async def consumer_lag(self) -> dict[str, dict[str, int]] | str: ...
