"""The discrete-event core every source generator builds on.

A generator keeps a heap of actions ordered by (simulated time, insertion number). Advancing it
to a time runs every action due by then, in that order; actions may schedule more actions or emit
records. All random draws happen inside actions, so the records depend only on the seed, the
start and how far the generator has been advanced, never on how often it was advanced.
"""
from __future__ import annotations

import heapq
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, ClassVar, TypeVar

from simulator.clock import HOUR, next_boundary
from simulator.world import World

Record = dict[str, Any]
T = TypeVar("T")


class Source(ABC):
    name: ClassVar[str]

    def __init__(self, world: World) -> None:
        self.world = world
        self.cal = world.calendar
        self.rng = random.Random(f"{world.seed}:{self.name}")   # str seeds hash stably across runs
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._out: list[Record] = []
        self.notes: list[str] = []      # narrative lines for the operator (storms), printed by the driver
        self.setup(world.start)

    @abstractmethod
    def setup(self, start: float) -> None:
        """Schedule the first actions (arrival processes, inventories) at the start."""

    @classmethod
    @abstractmethod
    def records_per_day(cls, world: World) -> float:
        """Rough mean records per simulated day, for the rate estimate and the automatic speed."""

    # -- scheduling ---------------------------------------------------------------------------
    def at(self, t: float, action: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, action, args))

    def emit(self, t: float, record: Record) -> None:
        """Deliver `record` at simulated time t (its event time is t or earlier)."""
        self.at(t, self._deliver, record)

    def _deliver(self, t: float, record: Record) -> None:
        self._out.append(record)

    def advance(self, until: float) -> list[Record]:
        """Every record due by `until`, in delivery order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            t, _, action, args = heapq.heappop(heap)
            action(t, *args)
        out, self._out = self._out, []
        return out

    def hourly(self, on_hour: Callable[[float, float], None]) -> None:
        """Call on_hour(t, end) for the part of every hour from the start on (arrival draws)."""
        def tick(t: float) -> None:
            end = next_boundary(t, HOUR)
            on_hour(t, end)
            self.at(end, tick)
        self.at(self.world.start, tick)

    def daily(self, on_day: Callable[[float, float], None]) -> None:
        """Call on_day(t, end) for the part of every local day from the start on."""
        def tick(t: float) -> None:
            end = self.cal.midnight(self.cal.local(t).date() + timedelta(days=1))
            on_day(t, end)
            self.at(end, tick)
        self.at(self.world.start, tick)

    # -- random helpers -----------------------------------------------------------------------
    def poisson(self, mean: float) -> int:
        return poisson(self.rng, mean)

    def pick(self, items: Sequence[T], weights: Sequence[float] | None = None) -> T:
        return items[0] if len(items) == 1 else self.rng.choices(items, weights)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def uniform_times(self, start: float, end: float, n: int) -> list[float]:
        return sorted(self.rng.uniform(start, end) for _ in range(n))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = math.exp(-mean), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))
