"""Which barriers have reached DuckDB through every path (raw, dead letters, KPIs)."""
from __future__ import annotations

from collections import OrderedDict

from connectors.registry import source_names
from ioc import topics
from ioc.records import fold_sender
from streams.kpis.registry import INDEX_DOMAIN, KPIS

Arrival = tuple[str, int, int]   # topic, partition, sender


def expected_arrivals(partitions: int) -> frozenset[Arrival]:
    """A barrier is complete when it came on every partition of every topic the sink reads,
    from every sender: the gateway for raw and dead letters, each fold partition for the dead
    letters it makes, each combine partition for KPIs."""
    out: set[Arrival] = set()
    for source in source_names():
        for p in range(partitions):
            out |= {(topics.raw(source), p, 0), (topics.dead_letters(source), p, 0)}
        if source in KPIS:
            dlq = topics.dead_letters(source)
            out |= {(dlq, d, fold_sender(p)) for d in range(partitions) for p in range(partitions)}
            kpi_topic = topics.kpi(KPIS[source].domain)
            out |= {(kpi_topic, k, q) for k in range(partitions) for q in range(partitions)}
            if KPIS[source].drill_down:   # from each fold partition to each details partition
                out |= {(topics.details(source), d, p) for d in range(partitions) for p in range(partitions)}
    # the index stage: each index766 partition from each dvc KPI partition
    out |= {(topics.kpi(INDEX_DOMAIN), k, q) for k in range(partitions) for q in range(partitions)}
    return frozenset(out)


class BarrierTracker:
    def __init__(self, expected: frozenset[Arrival], keep: int = 1000) -> None:
        self.expected, self.keep = expected, keep
        self._pending: dict[str, set[Arrival]] = {}
        self._complete: OrderedDict[str, None] = OrderedDict()

    def arrived(self, barrier_id: str, arrival: Arrival) -> None:
        """Record an arrival; call only after everything before it is committed to DuckDB."""
        if barrier_id in self._complete:
            return
        seen = self._pending.setdefault(barrier_id, set())
        seen.add(arrival)
        if self.expected <= seen:
            del self._pending[barrier_id]
            self._complete[barrier_id] = None
            while len(self._complete) > self.keep:
                self._complete.popitem(last=False)

    def is_complete(self, barrier_id: str) -> bool:
        return barrier_id in self._complete

    def missing(self, barrier_id: str) -> list[Arrival]:
        return sorted(self.expected - self._pending.get(barrier_id, set()))
