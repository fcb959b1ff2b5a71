"""The contract every source connector fulfils: from one parsed record to accepted or rejected."""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from connectors.dedup import Identity
from connectors.fields import Field, first_problem
from connectors.privacy import contains_personal_id
from contract.timestamps import parse_ts
from contract.units import UnitRegistry


@dataclass(frozen=True, slots=True)
class Accepted:
    record: dict[str, Any]   # the source's record, unchanged
    identity: Identity       # its identity (contract 2) as the duplicate index keeps it
    key: str                 # Kafka key: one entity's records stay in one partition, in order

    @property
    def event_us(self) -> int:
        """Event time, epoch microseconds."""
        return self.identity.event_us


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


class SourceSpec(ABC):
    """One source system's wire format: its fields, identity, event time and partition key."""

    name: ClassVar[str]
    # Identity fields where a raw personal id is replaced by a keyed hash instead of rejected.
    pseudonymized_fields: ClassVar[tuple[str, ...]] = ()
    # Whether the identity holds the event time: if not, a copy may carry another time (dedup.py).
    dated_identity: ClassVar[bool] = True

    @abstractmethod
    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        """The field rules that apply to this record, in the contract's table order."""

    @abstractmethod
    def event_time_field(self, record: dict[str, Any]) -> str:
        """The wire name of the record's event time (contract 7)."""

    @abstractmethod
    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        """The values that make two deliveries the same record (timestamps as epoch us)."""

    @abstractmethod
    def key(self, record: dict[str, Any]) -> str:
        """The partition key: the entity whose records must be folded together."""

    def grid(self, record: dict[str, Any], event_us: int) -> tuple[str, int] | None:
        """(entity, start) when the record is its entity's one for a quarter hour (a telecom counter):
        the duplicate index then keeps it as one bit (connectors/dedup.py)."""
        return None

    def check(
        self, value: Any, received_us: int, tolerance_us: int, units: UnitRegistry
    ) -> Accepted | Rejected:
        """Validate one parsed JSON value against contract sections 2, 3 and 7."""
        if not isinstance(value, dict):
            return Rejected("unparseable")  # valid JSON, but not a record (an object)
        if contains_personal_id(value):
            return Rejected("personal_id")
        problem = first_problem(value, self.fields_for(value), units)
        if problem:
            return Rejected(problem)
        event_us = parse_ts(value[self.event_time_field(value)])
        assert event_us is not None  # checked as a required timestamp above
        if event_us > received_us + tolerance_us:
            return Rejected("future_time")
        identity = Identity(self.digest(value), event_us, self.grid(value, event_us), self.dated_identity)
        return Accepted(value, identity, self.key(value))

    def digest(self, record: dict[str, Any]) -> bytes:
        """16-byte digest of the record's identity."""
        return hashlib.blake2b(orjson.dumps([self.name, *self.identity(record)]), digest_size=16).digest()
