"""When a rule may fire: once its source has caught up with a backfill (pure; the sink feeds it).

A backfill is a record whose event time is more than `backfill_after_s` before its arrival: a
historic file, an export, a source catching up after an outage. While such records are read,
the KPIs move through states that held only in the past or never held at all: telecom inventory
and alarms of several operators arrive out of event order, and a commune looks cut off until its
other sites' inventory comes; an outage that ended yesterday rises and falls again. So the rules
of a source whose backfill is not yet reflected in DuckDB are held (they fire nothing, clear
nothing), and once it is, they are evaluated on what holds then: what holds at the end of the file.

"Reflected in DuckDB" is the pipeline's barrier: a marker on every raw partition that every stage
forwards after the outputs of every record before it; complete when all of it reached the sink.
The tracker counts, per raw partition, the backfill records read since the last marker read there
(`read`, `marker`); a completed barrier (`completed`) covers every record before its markers.
A source is behind while any of its partitions holds a backfill record no completed barrier covers.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from contract.settings import Settings

DEFAULT_BACKFILL_AFTER_S = 3600.0


def backfill_after_of(settings: Settings, problems: list[str]) -> float:
    """`[alerts] backfill_after_s`: how far behind its arrival a record's event time makes it a backfill."""
    return float(settings.reader(problems).table("alerts").get(
        "backfill_after_s", float, DEFAULT_BACKFILL_AFTER_S, lambda v: v >= 60, "seconds >= 60"))


@dataclass
class _Partition:
    open: int = 0                                                     # backfill read since the last marker
    closed: deque[tuple[str, int]] = field(default_factory=deque)    # (barrier, backfill before its marker)

    @property
    def behind(self) -> bool:
        return self.open > 0 or bool(self.closed)


class CatchUp:
    def __init__(self, backfill_after_s: float) -> None:
        self.backfill_after_us = int(backfill_after_s * 1_000_000)
        self.partitions: dict[tuple[str, int], _Partition] = {}

    def read(self, source: str, partition: int, event_us: int, received_us: int) -> None:
        """A raw record the sink read (in partition order)."""
        if received_us - event_us > self.backfill_after_us:
            self.partitions.setdefault((source, partition), _Partition()).open += 1

    def marker(self, source: str, partition: int, barrier: str) -> None:
        """A barrier's marker on a raw partition, read after every record before it there."""
        p = self.partitions.get((source, partition))
        if p is not None and p.open:
            p.closed.append((barrier, p.open))
            p.open = 0

    def completed(self, barrier: str) -> None:
        """Everything before this barrier's markers is in DuckDB; so is everything before an earlier
        barrier's (markers are injected one barrier at a time, in order)."""
        for p in self.partitions.values():
            if any(b == barrier for b, _ in p.closed):
                while p.closed.popleft()[0] != barrier:
                    pass

    def behind(self) -> set[str]:
        """Sources with a backfill record not yet reflected in DuckDB."""
        return {source for (source, _), p in self.partitions.items() if p.behind}

    def uncovered(self) -> bool:
        """A backfill record follows the last marker of its partition: a new barrier would cover it."""
        return any(p.open for p in self.partitions.values())
