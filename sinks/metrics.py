"""The sink's Prometheus metrics: current-period KPI values, open alerts, and its own health.

KPI gauges are read from DuckDB at scrape time, so they always show the current period of
each grain (a new month starts without stale values) with bounded labels: kpi, unit,
unit_level, grain. The gateway appends this page to its own /metrics.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import duckdb
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from contract.periods import periods_of

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class StoreCollector(Collector):
    def __init__(self, con: duckdb.DuckDBPyConnection, timezone: ZoneInfo) -> None:
        self.con, self.timezone = con, timezone

    def collect(self) -> Iterator[GaugeMetricFamily]:
        cursor = self.con.cursor()
        try:
            current = dict(periods_of(time.time_ns() // 1000, self.timezone))
            kpis = GaugeMetricFamily("ioc_kpi_value", "KPI value of the current period (grain live: now)",
                                     labels=["kpi", "unit", "unit_level", "grain"])
            rows = cursor.execute(
                """SELECT kpi, unit, unit_level, grain, value FROM kpi_current WHERE value IS NOT NULL AND
                   (grain = 'live' OR (grain = 'day' AND period = ?) OR (grain = 'month' AND period = ?)
                    OR (grain = 'quarter' AND period = ?) OR (grain = 'year' AND period = ?))""",
                [current["day"], current["month"], current["quarter"], current["year"]]).fetchall()
            for kpi, unit, level, grain, value in rows:
                kpis.add_metric([kpi, unit, level, grain], value)
            yield kpis
            alerts = GaugeMetricFamily(
                "ioc_alerts_open", "Alerts raised and not cleared", labels=["rule", "severity"]
            )
            for rule, severity, n in cursor.execute(
                "SELECT rule, severity, count(*) FROM alerts WHERE cleared_at IS NULL GROUP BY ALL"
            ).fetchall():
                alerts.add_metric([rule, severity], n)
            yield alerts
        finally:
            cursor.close()


class SinkMetrics:
    def __init__(self, con: duckdb.DuckDBPyConnection, timezone: ZoneInfo) -> None:
        self.registry = CollectorRegistry()
        self.rows = Counter(
            "ioc_sink_rows_total", "Rows written to DuckDB, by kind", ["kind"], registry=self.registry
        )
        self.archive_latency = Histogram(
            "ioc_sink_archive_latency_seconds",
            "From a record's arrival at the gateway to its row in the DuckDB archive",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "ioc_sink_batch_seconds",
            "Time to write one batch to DuckDB",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(StoreCollector(con, timezone))
