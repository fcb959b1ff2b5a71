"""Which barriers have reached DuckDB through every path (raw, dead letters, KPIs); the paths
themselves are the topology's (contract/topology.py)."""
from __future__ import annotations

from collections import OrderedDict

from contract.topology import Arrival


class BarrierTracker:
    def __init__(self, expected: frozenset[Arrival], keep: int = 1000) -> None:
        self.expected, self.keep = expected, keep
        self._pending: dict[str, set[Arrival]] = {}
        self._complete: OrderedDict[str, None] = OrderedDict()

    def completes(self, barrier_id: str, arrival: Arrival) -> bool:
        """Would this arrival complete the barrier?"""
        if barrier_id in self._complete:
            return False
        return self.expected <= self._pending.get(barrier_id, set()) | {arrival}

    def arrived(self, barrier_id: str, arrival: Arrival) -> bool:
        """Record an arrival; call only after everything before it is committed to DuckDB. True when
        it completed the barrier."""
        if barrier_id in self._complete:
            return False
        seen = self._pending.setdefault(barrier_id, set())
        seen.add(arrival)
        if not self.expected <= seen:
            return False
        del self._pending[barrier_id]
        self._complete[barrier_id] = None
        while len(self._complete) > self.keep:
            self._complete.popitem(last=False)
        return True

    def is_complete(self, barrier_id: str) -> bool:
        return barrier_id in self._complete

    def missing(self, barrier_id: str) -> list[Arrival]:
        return sorted(self.expected - self._pending.get(barrier_id, set()))
