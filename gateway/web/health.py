"""The pipeline-health panel's figures, from the gateway's own counters, the sink and the broker
(in memory and over loopback: nothing here reads DuckDB)."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from contract.topology import Topology
from gateway.metrics import bounded_reason
from gateway.web.context import GatewayView

if TYPE_CHECKING:
    from gateway.web.hub import Hub


def lag_by_source(topology: Topology, per_topic: dict[str, int]) -> dict[str, int]:
    """Messages behind per source (its raw, dead-letter, partial and detail topics), KPIs apart."""
    out: dict[str, int] = {}
    for topic, n in per_topic.items():
        kind, name = topology.topic_kind(topic)
        bucket = "kpi" if kind == "kpi" else name
        out[bucket] = out.get(bucket, 0) + int(n)
    return out


def _bounded(reasons: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for reason, n in reasons.items():
        out[bounded_reason(reason)] = out.get(bounded_reason(reason), 0) + n
    return out


class HealthProbe:
    def __init__(self, gateway: GatewayView) -> None:
        self.gateway = gateway
        self._latency_seen = (0.0, 0.0)   # (sum, count) of the pipeline-latency histogram last time

    async def snapshot(self, hub: Hub) -> dict[str, Any]:
        g = self.gateway
        sources = []
        for source in g.topology.sources:
            totals = g.totals[source].as_dict()
            reasons: dict[str, int] = {}
            for reason, n in totals["dead_letter_reasons"].items():
                reasons[bounded_reason(reason)] = reasons.get(bounded_reason(reason), 0) + n
            sources.append({**totals, "dead_letter_reasons": reasons})
        sink = await g.sink_stats()
        lag = await g.consumer_lag()
        health = g.health()
        tail = hub.tail
        return {
            "at": int(time.time() * 1000),
            "sources": sources,
            "adapters": [
                {**a, "dead_letter_reasons": _bounded(a["dead_letter_reasons"])}
                for a in g.adapter_totals().values()
            ],
            "sink": None
            if sink is None
            else {
                "written": sink.get("written", {}),
                "batches": sink.get("batches"),
                "lag": lag_by_source(g.topology, sink.get("lag") or {}),
            },
            "consumer_lag": None
            if isinstance(lag, str)
            else {
                "kpi": lag_by_source(g.topology, lag.get(g.topology.names.kpi_group, {})),
                "sink": lag_by_source(g.topology, lag.get(g.topology.names.sink_group, {})),
            },
            "workers": {
                "alive": sum(1 for w in health["workers"] if w["alive"]),
                "total": len(health["workers"]),
                "restarts": sum(w["restarts"] for w in health["workers"]),
            },
            "sink_up": bool(health["sink"].get("alive")),
            "broker_embedded": bool(health["broker"]["embedded"]),
            "uptime_s": health["uptime_s"],
            "accepting": g.accepting,
            "latency_s": self._latency(),
            "live": {
                "messages": tail.messages if tail else 0,
                "last_ms": tail.last_message_ms if tail else None,
                "screens": len(hub.subscribers),
            },
        }

    def _latency(self) -> float | None:
        """Mean pipeline latency (a marker's round trip into DuckDB) since the last snapshot."""
        total = count = 0.0
        for metric in self.gateway.metrics.pipeline_latency.collect():
            for sample in metric.samples:
                if sample.name.endswith("_sum"):
                    total = sample.value
                elif sample.name.endswith("_count"):
                    count = sample.value
        seen_sum, seen_count = self._latency_seen
        self._latency_seen = (total, count)
        return (total - seen_sum) / (count - seen_count) if count > seen_count else None
