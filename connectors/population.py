"""Population database / VNeID (population): identity events, contract section 2.3.

Personal ids never leave the connector in clear. A raw 12-digit id in an identity field
(`event_id`, `citizen_ref`) is replaced by a keyed hash before anything is published
(`connectors.privacy.pseudonymize`); anywhere else it makes the record a dead letter (the generic check).
"""
from __future__ import annotations

from typing import Any

from connectors.base import SourceSpec
from connectors.fields import INT, NUMBER, STR, TS, Field
from contract.units import UnitRegistry

KINDS = frozenset({"eid_application", "eid_activated", "verification", "record_corrected"})
PSEUDONYMIZED = ("event_id", "citizen_ref")


def _fields(level_required: bool = False, citizen_required: bool = False,
            verification: bool = False) -> tuple[Field, ...]:
    return (
        Field("event_id", STR, required=True),
        Field("kind", STR, required=True, enum=KINDS),
        Field("commune", STR, required=True, unit=UnitRegistry.is_commune),
        Field("event_time", TS, required=True),
        Field("level", INT, required=level_required, enum=frozenset({1, 2})),
        Field("citizen_ref", STR, required=citizen_required),
        Field("result", STR, required=verification, enum=frozenset({"ok", "mismatch", "not_found", "error"})),
        Field("latency_ms", NUMBER, required=verification, within=(0, float("inf"))),
        Field("requester", STR),
    )


# An activation is counted per distinct citizen and level, a verification by its result and
# latency: without those fields the record cannot be used (our reading; the contract marks them
# "for" a kind).
BY_KIND = {"eid_activated": _fields(level_required=True, citizen_required=True),
           "verification": _fields(verification=True)}
DEFAULT = _fields()


class PopulationSource(SourceSpec):
    name = "population"
    pseudonymized_fields = PSEUDONYMIZED
    dated_identity = False

    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        kind = record.get("kind")
        return BY_KIND.get(kind, DEFAULT) if isinstance(kind, str) else DEFAULT

    def event_time_field(self, record: dict[str, Any]) -> str:
        return "event_time"

    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        return (record["event_id"],)   # no time: a copy may carry another event time (dated_identity)

    def key(self, record: dict[str, Any]) -> str:
        # one citizen's activations fold together (distinct counts); other events spread by id
        if str(record.get("kind", "")).startswith("eid_") and isinstance(record.get("citizen_ref"), str):
            return str(record["citizen_ref"])
        return str(record["event_id"])
