"""The gateway's Prometheus metrics (an injected registry, never the global one)."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from connectors.ingest import IngestResult


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry, sources: list[str]) -> None:
        self.records = Counter("ioc_ingest_records_total", "Records received, by source and outcome",
                               ["source", "outcome"], registry=registry)
        # The reason label is bounded: the category and the wire field, never the offending value.
        self.dead_letters = Counter("ioc_dead_letters_total", "Dead letters by source and reason",
                                    ["source", "reason"], registry=registry)
        self.pipeline_latency = Histogram(
            "ioc_pipeline_latency_seconds",
            "From a marker entering every raw topic to everything before it being in DuckDB: archive, "
            "dead letters, KPIs, index, drill-down (measured every 2 s while records flow)",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
            registry=registry,
        )
        self.request_seconds = Histogram(
            "ioc_ingest_request_seconds",
            "Time to validate and publish one request",
            ["source"],
            registry=registry,
        )
        self.unavailable = Counter(
            "ioc_ingest_unavailable_total",
            "Requests answered 503: broker unavailable",
            ["source"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "ioc_ingest_rate_limited_total",
            "Requests answered 429, per source token",
            ["source"],
            registry=registry,
        )
        for source in sources:  # series exist from the start, at zero, so rate() and alerts work
            for outcome in ("accepted", "duplicate", "dead_letter"):
                self.records.labels(source, outcome)
            self.unavailable.labels(source)
            self.rate_limited.labels(source)
        self.worker_up = Gauge("ioc_workers_up", "KPI worker processes alive", registry=registry)
        self.sink_up = Gauge("ioc_sink_up", "1 when the DuckDB sink process is alive", registry=registry)
        self.group_lag = Gauge(
            "ioc_consumer_lag_messages",
            "End offset minus committed offset (approximate on Tansu)",
            ["group", "topic"],
            registry=registry,
        )
        self.sink_lag = Gauge(
            "ioc_sink_lag_messages",
            "Messages the sink has yet to write, per topic",
            ["topic"],
            registry=registry,
        )

    def count(self, result: IngestResult) -> None:
        self.records.labels(result.source, "accepted").inc(result.accepted)
        self.records.labels(result.source, "duplicate").inc(result.duplicate)
        for reason, n in result.dead_letter_reasons.items():
            self.records.labels(result.source, "dead_letter").inc(n)
            self.dead_letters.labels(result.source, bounded_reason(reason)).inc(n)


def bounded_reason(reason: str) -> str:
    """`unknown_unit:<code>` carries input text: keep the category only."""
    return "unknown_unit" if reason.startswith("unknown_unit:") else reason
