"""A fold whose entities are the set of their records (one per identity, the first copy wins).

Dossiers and documents work alike: every record re-derives the entity's shares (so order does
not matter), and an entity that is open with a due time counts as overdue once that time passes.
"""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, Hashable, Sequence

from ioc.units import UnitRegistry
from streams.kpis.base import EntityViews, Fold, Share


class RecordSetFold(Fold):
    overdue_family = "overdue"

    def __init__(self, units: UnitRegistry) -> None:
        super().__init__(units)
        self.entities_: dict[str, dict[Hashable, Any]] = {}
        self.views = EntityViews(self.partials, units)
        self.open_due: dict[str, tuple[str, int]] = {}   # entity -> (unit, due) while open

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

    def apply(self, record: dict[str, Any]) -> None:
        identity, rec = self.slim(record)
        entity = self.entity_of(record)
        records = self.entities_.setdefault(entity, {})
        if identity in records:
            return   # the same identity again: the first copy won
        records[identity] = rec
        values = list(records.values())
        self.views.move(entity, *self.shares(values))
        due = self.open_until(values)
        if due is not None:
            self.open_due[entity] = due
        else:
            self.open_due.pop(entity, None)
        self.changed.add(entity)

    def entities(self) -> list[str]:
        return list(self.entities_)

    def records(self, entity: str) -> list[Any]:
        return list(self.entities_[entity].values())

    def live(self, now_us: int) -> dict[str, dict[str, int | tuple[int, ...]]]:
        counts: dict[str, int | tuple[int, ...]] = {}
        for unit, due in self.open_due.values():
            if due < now_us:
                counts[unit] = int(counts.get(unit, 0)) + 1   # type: ignore[arg-type]
        counts[self.units.province.code] = sum(int(v) for v in counts.values())   # type: ignore[arg-type]
        return {self.overdue_family: counts}
