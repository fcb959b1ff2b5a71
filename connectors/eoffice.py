"""E-office (eoffice): document state changes between agencies, contract section 2.2."""
from __future__ import annotations

from typing import Any

from connectors.base import SourceSpec
from connectors.fields import BOOL, STR, TS, Field
from contract.timestamps import parse_ts
from contract.units import UnitRegistry

STATUSES = frozenset({"received", "registered", "assigned", "processing", "completed", "issued", "rejected",
                      "recalled"})

FIELDS = (
    Field("doc_id", STR, required=True),
    Field("unit", STR, required=True, unit=UnitRegistry.is_handling_unit),
    Field("direction", STR, required=True, enum=frozenset({"incoming", "outgoing"})),
    Field("status", STR, required=True, enum=STATUSES),
    Field("event_time", TS, required=True),
    Field("deadline", TS),
    Field("urgency", STR, enum=frozenset({"normal", "urgent", "very_urgent", "flash"})),
    Field("electronic", BOOL),
    Field("digitally_signed", BOOL),
)


class EofficeSource(SourceSpec):
    name = "eoffice"

    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        return FIELDS

    def event_time_field(self, record: dict[str, Any]) -> str:
        return "event_time"

    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        return (record["doc_id"], record["status"], parse_ts(record["event_time"]))

    def key(self, record: dict[str, Any]) -> str:
        return str(record["doc_id"])
