"""A fold whose entities are the set of their records (one per identity, the first copy wins).

Dossiers and documents work alike: every record re-derives the entity's shares (so order does
not matter), and an entity that is open with a due time counts as overdue once that time passes.
A closed entity is forgotten once the horizon has passed (streams/kpis/horizon.py): its shares
stay in the sums, a digest stays to refuse its too-late records, its records go.

Until then a closed entity is kept packed: its records pickled into one bytes value, its view
dropped (re-derived from the records if one more comes). A year of closed dossiers and documents
is most of a worker's state; as Python objects they took ~2 KiB a record, packed a few hundred
bytes, and a snapshot of them loads as bytes instead of millions of small objects.
"""
from __future__ import annotations

import pickle
from abc import abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any

from contract.units import UnitRegistry
from streams.kpis.base import EntityViews, Fold, Share
from streams.kpis.horizon import Clock, Tombstones, TooLate


class RecordSetFold(Fold):
    overdue_family = "overdue"

    def __init__(self, units: UnitRegistry, late_us: int | None = None) -> None:
        super().__init__(units)
        self.entities_: dict[str, dict[Hashable, Any]] = {}   # open entities: identity -> slim record
        self.packed: dict[str, bytes] = {}   # closed entities: their records pickled, no view
        self.views = EntityViews(self.partials, units)
        self.open_due: dict[str, tuple[str, int]] = {}   # entity -> (unit, due) while open
        self.clock = Clock(late_us)
        self.closed_at: dict[str, int] = {}   # entity -> arrival of the record that closed it
        self.forgotten = Tombstones()

    @abstractmethod
    def entity_of(self, record: dict[str, Any]) -> str: ...

    @abstractmethod
    def slim(self, record: dict[str, Any]) -> tuple[Hashable, Any]:
        """The record's identity within its entity, and the fields the KPIs use."""

    @abstractmethod
    def shares(self, records: Sequence[Any]) -> tuple[str, dict[str, Share]]:
        """The entity's unit and its share of each family, from all its records."""

    @abstractmethod
    def open_until(self, records: Sequence[Any]) -> tuple[str, int] | None:
        """(unit, due time) while the entity is open with a due time, else None."""

    @abstractmethod
    def closed(self, records: Sequence[Any]) -> bool:
        """No record is expected any more (finished, refused, withdrawn...)."""

    def apply(self, record: dict[str, Any], arrival_us: int | None = None) -> None:
        identity, rec = self.slim(record)
        entity = self.entity_of(record)
        if self.clock.advance(arrival_us):
            self._forget()
        closed = self.closed_at.get(entity)
        if entity in self.forgotten or (closed is not None and self.clock.too_late(arrival_us, closed)):
            raise TooLate(
                f"{entity} closed more than {self.clock.late_days:g} days before this record arrived"
            )
        was_packed = entity in self.packed
        records = self._records_of(entity)
        if identity in records:
            return  # the same identity again: the first copy won
        if was_packed:   # open again, with the view it had
            del self.packed[entity]
            self.views.views[entity] = self.shares(list(records.values()))
        self.entities_[entity] = records
        records[identity] = rec
        values = list(records.values())
        self.views.move(entity, *self.shares(values))
        due = self.open_until(values)
        if due is not None:
            self.open_due[entity] = due
        else:
            self.open_due.pop(entity, None)
        if not self.closed(values):
            self.closed_at.pop(entity, None)
        else:
            if closed is None and arrival_us is not None:
                self.closed_at[entity] = arrival_us
            self._pack(entity, records)
        self.changed.add(entity)

    def _records_of(self, entity: str) -> dict[Hashable, Any]:
        """The entity's records (unpickled when it is packed; empty when it is new)."""
        blob = self.packed.get(entity)
        return self.entities_.get(entity, {}) if blob is None else pickle.loads(blob)

    def _pack(self, entity: str, records: dict[Hashable, Any]) -> None:
        self.packed[entity] = pickle.dumps(records, pickle.HIGHEST_PROTOCOL)
        del self.entities_[entity]
        self.views.views.pop(entity, None)

    def _forget(self) -> None:
        """Closed entities past the horizon; a drill-down row not yet sent leaves with `parting`."""
        gone = []
        for entity, at in self.closed_at.items():  # in closing order: stop at the first one too recent
            if not self.clock.forgettable(at):
                break
            gone.append(entity)
        for entity in gone:
            if entity in self.changed:
                self.parting[entity] = self.detail(entity)
                self.changed.discard(entity)
            del self.closed_at[entity]
            if self.entities_.pop(entity, None) is None:
                del self.packed[entity]
            self.views.views.pop(entity, None)
            self.forgotten.add(entity)

    def entities(self) -> list[str]:
        return [*self.entities_, *self.packed]

    def records(self, entity: str) -> list[Any]:
        return list(self._records_of(entity).values())

    def live(self, now_us: int) -> dict[str, dict[str, int | tuple[int, ...]]]:
        overdue: dict[str, int] = {}
        for unit, due in self.open_due.values():
            if due < now_us:
                overdue[unit] = overdue.get(unit, 0) + 1
        overdue[self.units.province.code] = sum(overdue.values())
        counts: dict[str, int | tuple[int, ...]] = dict(overdue)
        return {self.overdue_family: counts}
