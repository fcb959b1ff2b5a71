"""A fold whose entities are the set of their records (one per identity, the first copy wins).

Dossiers and documents work alike: every record re-derives the entity's shares (so order does
not matter), and an entity that is open with a due time counts as overdue once that time passes.
A closed entity is forgotten once the horizon has passed (streams/kpis/horizon.py): its shares
stay in the sums, a digest stays to refuse its too-late records, its records go.
"""
from __future__ import annotations

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
        self.entities_: dict[str, dict[Hashable, Any]] = {}
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
        records = self.entities_.setdefault(entity, {})
        if identity in records:
            return  # the same identity again: the first copy won
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
        elif closed is None and arrival_us is not None:
            self.closed_at[entity] = arrival_us
        self.changed.add(entity)

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
            del self.closed_at[entity], self.entities_[entity]
            self.views.views.pop(entity, None)
            self.forgotten.add(entity)

    def entities(self) -> list[str]:
        return list(self.entities_)

    def records(self, entity: str) -> list[Any]:
        return list(self.entities_[entity].values())

    def live(self, now_us: int) -> dict[str, dict[str, int | tuple[int, ...]]]:
        overdue: dict[str, int] = {}
        for unit, due in self.open_due.values():
            if due < now_us:
                overdue[unit] = overdue.get(unit, 0) + 1
        overdue[self.units.province.code] = sum(overdue.values())
        counts: dict[str, int | tuple[int, ...]] = dict(overdue)
        return {self.overdue_family: counts}
