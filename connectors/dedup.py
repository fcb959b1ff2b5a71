"""Which record identities the pipeline has already accepted (first delivered copy wins), within
the late-record horizon, in memory that does not grow with the archive.

An identity is kept while its record's event time is within the horizon (`[kpi] late_after_days`)
of now; older ones are forgotten. A copy of a record that old, should it come again, is accepted
instead of counted a duplicate, and changes nothing: the KPI folds keep each entity's records by
identity (or refuse them as too late) and the archive keeps one row per identity.

Two compact stores per source:
- records on a quarter-hour grid of an entity (telecom counters: one per site and 15 minutes) are a
  bit each, 96 a day per site (12 bytes), a bitmap per entity over the days of the horizon;
- any other record keeps a 64-bit digest, bucketed by the day of its event time (8 bytes in sorted
  arrays). A false duplicate needs two identities to share 64 bits: about 1e-7 over a province's year.
  When the identity does not hold the event time (a population event is its `event_id`), a copy may
  carry another time than the first: its digest is also kept in one array over every day (8 bytes
  more), rebuilt from the day buckets when old days are forgotten.
Identities of batches still being published are reserved in full (16 bytes) until commit or release.
"""
from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

DAY_US = 86_400_000_000
SLOT_US = 900_000_000
SLOTS = DAY_US // SLOT_US   # 96
_ROW = SLOTS // 8           # 12 bytes a day


@dataclass(frozen=True, slots=True)
class Identity:
    digest: bytes                        # 16-byte digest of the record's identity (contract 2)
    event_us: int
    grid: tuple[str, int] | None = None  # (entity, start µs) of a record on the quarter-hour grid
    dated: bool = True                   # the identity holds the event time (a copy has the same day)

    @property
    def prefix(self) -> int:
        return digest64(self.digest)


def digest64(digest: bytes) -> int:
    return int.from_bytes(digest[:8], "little", signed=True)


class _Digests:
    """64-bit digests in a sorted array, plus a small set of recent ones merged in now and then."""
    MERGE_AT = 16_384

    def __init__(self) -> None:
        self.sorted = array("q")
        self.recent: set[int] = set()

    def add(self, value: int) -> None:
        self.recent.add(value)
        if len(self.recent) >= self.MERGE_AT:
            self.sorted = array("q", sorted([*self.sorted, *self.recent]))
            self.recent.clear()

    def merge(self, values: array[int]) -> None:
        """Many at once (sorted), as loaded from the archive."""
        self.sorted = values if not len(self.sorted) else array("q", sorted([*self.sorted, *values]))

    def __contains__(self, value: int) -> bool:
        if value in self.recent:
            return True
        i = bisect_left(self.sorted, value)
        return i < len(self.sorted) and self.sorted[i] == value

    def __len__(self) -> int:
        return len(self.sorted) + len(self.recent)


class _Grid:
    """One entity's quarter hours: a bit each, from `first_day` on."""

    def __init__(self, day: int) -> None:
        self.first_day = day
        self.bits = bytearray()
        self.count = 0

    def _at(self, start_us: int) -> tuple[int, int]:
        day, slot = divmod(start_us // SLOT_US, SLOTS)
        if day < self.first_day:   # an earlier day than any before: room in front
            self.bits[:0] = bytes(_ROW * (self.first_day - day))
            self.first_day = day
        index = (day - self.first_day) * SLOTS + slot
        if index // 8 >= len(self.bits):
            self.bits.extend(bytes(index // 8 + 1 - len(self.bits)))
        return index // 8, 1 << (index % 8)

    def add(self, start_us: int) -> None:
        byte, bit = self._at(start_us)
        if not self.bits[byte] & bit:
            self.bits[byte] |= bit
            self.count += 1

    def add_day(self, day: int, mask: int) -> None:
        """A day's quarter hours at once: bit i of `mask` is the i-th (the bit order of the rows)."""
        self._at(day * DAY_US + (SLOTS - 1) * SLOT_US)   # room for the whole day
        at = (day - self.first_day) * _ROW
        for i, byte in enumerate(mask.to_bytes(_ROW, "little")):
            new = byte & ~self.bits[at + i]
            if new:
                self.bits[at + i] |= new
                self.count += new.bit_count()

    def __contains__(self, start_us: int) -> bool:
        day = start_us // DAY_US
        if day < self.first_day:
            return False
        index = (day - self.first_day) * SLOTS + (start_us // SLOT_US) % SLOTS
        return index // 8 < len(self.bits) and bool(self.bits[index // 8] & (1 << (index % 8)))

    def forget_before(self, day: int) -> None:
        if day > self.first_day:
            drop = min(len(self.bits), _ROW * (day - self.first_day))
            self.count -= sum(bin(b).count("1") for b in self.bits[:drop])
            del self.bits[:drop]
            self.first_day = day


class _SourceIndex:
    def __init__(self) -> None:
        self.digests: dict[int, _Digests] = {}   # event day -> digests
        self.grid: dict[str, _Grid] = {}
        self.undated = _Digests()                # every day's digests of identities without a time
        self.pending: set[bytes] = set()

    def contains(self, identity: Identity) -> bool:
        if identity.grid is not None:
            row = self.grid.get(identity.grid[0])
            return row is not None and identity.grid[1] in row
        if not identity.dated:
            return identity.prefix in self.undated
        bucket = self.digests.get(identity.event_us // DAY_US)
        return bucket is not None and identity.prefix in bucket

    def add(self, identity: Identity) -> None:
        if identity.grid is not None:
            entity, start = identity.grid
            row = self.grid.get(entity)
            if row is None:
                row = self.grid[entity] = _Grid(start // DAY_US)
            row.add(start)
        else:
            self.digests.setdefault(identity.event_us // DAY_US, _Digests()).add(identity.prefix)
            if not identity.dated:
                self.undated.add(identity.prefix)

    def forget_before(self, day: int) -> None:
        old = [d for d in self.digests if d < day]
        for d in old:
            del self.digests[d]
        if old and len(self.undated):
            kept = sorted(v for bucket in self.digests.values() for v in (*bucket.sorted, *bucket.recent))
            self.undated = _Digests()
            self.undated.sorted = array("q", kept)
        for row in self.grid.values():
            row.forget_before(day)

    def count(self) -> int:
        return sum(map(len, self.digests.values())) + sum(r.count for r in self.grid.values())


class IdentityIndex:
    def __init__(self, horizon_us: int | None = None) -> None:
        self.horizon_us = horizon_us
        self._sources: dict[str, _SourceIndex] = {}
        self._forgot_at = 0.0

    def _of(self, source: str) -> _SourceIndex:
        index = self._sources.get(source)
        if index is None:
            index = self._sources[source] = _SourceIndex()
        return index

    def reserve(self, source: str, identity: Identity) -> bool:
        """True if new (and now reserved); False if seen or reserved by another batch."""
        index = self._of(source)
        if identity.digest in index.pending or index.contains(identity):
            return False
        index.pending.add(identity.digest)
        return True

    def commit(self, source: str, identities: Iterable[Identity]) -> None:
        index = self._of(source)
        for identity in identities:
            index.pending.discard(identity.digest)
            index.add(identity)
        self._forget()

    def release(self, source: str, identities: Iterable[Identity]) -> None:
        index = self._of(source)
        for identity in identities:
            index.pending.discard(identity.digest)

    def contains(self, source: str, identity: Identity) -> bool:
        return self._of(source).contains(identity)

    def count(self, source: str) -> int:
        """Identities kept (within the horizon)."""
        return self._of(source).count()

    def load(self, source: str, identities: Iterable[Identity]) -> None:
        index = self._of(source)
        for identity in identities:
            index.add(identity)

    def load_grid(self, source: str, entity: str, day: int, mask: int) -> None:
        """A day of an entity's quarter hours at once (bit i: the i-th quarter hour), from the archive."""
        index = self._of(source)
        row = index.grid.get(entity)
        if row is None:
            row = index.grid[entity] = _Grid(day)
        row.add_day(day, mask)

    def load_days(self, source: str, days: Iterable[tuple[int, array[int]]], dated: bool = True) -> None:
        """Digests (`Identity.prefix`) of the records of each event day at once, each day's sorted,
        from the archive: 2.8 million identities one by one took 11 s of a year's restart."""
        index = self._of(source)
        undated: list[array[int]] = []
        for day, digests in days:
            index.digests.setdefault(day, _Digests()).merge(digests)
            if not dated:
                undated.append(digests)
        if undated:
            index.undated.merge(array("q", sorted(v for day in undated for v in day)))

    def horizon_start_us(self, now_us: int | None = None) -> int | None:
        """Event times before this are forgotten (None: no horizon, nothing is)."""
        if self.horizon_us is None:
            return None
        now_us = time.time_ns() // 1000 if now_us is None else now_us
        return now_us - self.horizon_us - DAY_US

    def _forget(self, every_s: float = 3600.0) -> None:
        start = self.horizon_start_us()
        if start is None or time.monotonic() - self._forgot_at < every_s:
            return
        self._forgot_at = time.monotonic()
        for index in self._sources.values():
            index.forget_before(start // DAY_US)
