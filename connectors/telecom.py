"""Telecom operators (telecom): site inventory, alarms and 15-minute counters, contract 2.4."""
from __future__ import annotations

from typing import Any

from connectors.base import SourceSpec
from connectors.dedup import SLOT_US
from connectors.fields import INT, NUMBER, STR, STR_LIST, TS, Field
from contract.timestamps import parse_ts
from contract.units import UnitRegistry

KIND = Field("kind", STR, required=True, enum=frozenset({"site", "alarm", "pm"}))
BY_KIND: dict[str, tuple[Field, ...]] = {
    "site": (
        Field("site_id", STR, required=True),
        Field("operator", STR),
        Field("commune", STR, required=True, unit=UnitRegistry.is_commune),
        Field("technologies", STR_LIST, enum=frozenset({"2G", "3G", "4G", "5G"})),
        Field("villages", STR_LIST),
        Field("valid_from", TS, required=True),
    ),
    "alarm": (
        Field("alarm_id", STR, required=True),
        Field("site_id", STR, required=True),
        Field("operator", STR),
        Field("probable_cause", STR, required=True),
        Field("severity", STR, required=True, enum=frozenset({"critical", "major", "minor", "warning"})),
        Field("state", STR, required=True, enum=frozenset({"raised", "cleared"})),
        Field("event_time", TS, required=True),
    ),
    "pm": (
        Field("site_id", STR, required=True),
        Field("period_start", TS, required=True),
        Field("period_s", INT, within=(1, 86_400)),
        Field("availability_pct", NUMBER, required=True, within=(0, 100)),
        Field("traffic_erl", NUMBER, within=(0, float("inf"))),
        Field("data_mb", NUMBER, within=(0, float("inf"))),
        Field("users", INT, within=(0, float("inf"))),
    ),
}
EVENT_TIME = {"site": "valid_from", "alarm": "event_time", "pm": "period_start"}


class TelecomSource(SourceSpec):
    name = "telecom"

    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        kind = record.get("kind")
        return (KIND, *BY_KIND[kind]) if isinstance(kind, str) and kind in BY_KIND else (KIND,)

    def event_time_field(self, record: dict[str, Any]) -> str:
        return EVENT_TIME[record["kind"]]

    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        kind = record["kind"]
        if kind == "alarm":
            return (kind, record["alarm_id"], record["state"], parse_ts(record["event_time"]))
        return (kind, record["site_id"], parse_ts(record[EVENT_TIME[kind]]))

    def key(self, record: dict[str, Any]) -> str:
        return str(record["site_id"])   # a site's inventory, alarms and counters fold together

    def grid(self, record: dict[str, Any], event_us: int) -> tuple[str, int] | None:
        aligned = record["kind"] == "pm" and event_us % SLOT_US == 0
        return (str(record["site_id"]), event_us) if aligned else None
