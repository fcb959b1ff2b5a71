"""How late a record may arrive and still change the KPIs, so that state is not kept forever.

A fold cannot forget a closed dossier while a later record could still need all of its records
(the KPIs re-derive an entity from its whole record set). With a horizon of N days, a record that
arrives more than N days after its entity closed (or, for event sources, after its event time) is
refused with a `too_late` dead letter: it stays in the raw archive, counted and queryable, but
moves no KPI. The state behind it can then go.

Determinism: the refusal is decided from the entity's own records and the record's own arrival
time (the gateway's `received_at`), never from the partition's progress, so a rebuild, another
partitioning or `ioc replay` decides alike. Memory is released later, once the partition's clock
(the latest arrival it folded) is past the horizon by MARGIN_US: arrivals in a partition are not
strictly ordered (concurrent requests, a journal replayed after a broker outage), and the margin
keeps a record that the in-memory state would have refused from meeting forgotten state instead.
"""
from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left

DAY_US = 86_400_000_000
MARGIN_US = DAY_US
PASS_EVERY_US = 3_600_000_000   # a forgetting pass at most once per hour of arrivals


def digest64(text: str) -> int:
    """A 64-bit digest of a text, the same in every process (Python's hash() is salted per process,
    and these digests outlive it in snapshots)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True)


class TooLate(Exception):
    """The record arrived beyond the horizon: a `too_late` dead letter, not a processing error."""


class Clock:
    """A partition's latest arrival, and when the next forgetting pass is due."""

    def __init__(self, late_us: int | None) -> None:
        self.late_us = late_us
        self.now_us = 0
        self._next_pass = 0

    def advance(self, arrival_us: int | None) -> bool:
        """Move to `arrival_us`; True when a forgetting pass is due."""
        if arrival_us is None or self.late_us is None:
            return False
        self.now_us = max(self.now_us, arrival_us)
        if self.now_us < self._next_pass:
            return False
        self._next_pass = self.now_us + PASS_EVERY_US
        return True

    @property
    def late_days(self) -> float:
        return (self.late_us or 0) / DAY_US

    def too_late(self, arrival_us: int | None, since_us: int) -> bool:
        """Did this record arrive beyond the horizon after `since_us`?"""
        return arrival_us is not None and self.late_us is not None and arrival_us > since_us + self.late_us

    def forgettable(self, since_us: int) -> bool:
        """Is state about `since_us` safe to forget (every later arrival will be refused)?"""
        return self.late_us is not None and self.now_us > since_us + self.late_us + MARGIN_US


class Tombstones:
    """64-bit digests of forgotten entities, 8 bytes each (a sorted array), plus a small set of
    recent ones merged in now and then: a closed dossier leaves 8 bytes, not its records."""

    MERGE_AT = 65_536

    def __init__(self) -> None:
        self._sorted = array("q")
        self._recent: set[int] = set()

    def add(self, entity: str) -> None:
        self._recent.add(digest64(entity))
        if len(self._recent) >= self.MERGE_AT:
            self._sorted = array("q", sorted([*self._sorted, *self._recent]))
            self._recent.clear()

    def __contains__(self, entity: str) -> bool:
        h = digest64(entity)
        if h in self._recent:
            return True
        i = bisect_left(self._sorted, h)
        return i < len(self._sorted) and self._sorted[i] == h

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)
