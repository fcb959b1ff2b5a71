"""Deliberately bad records (`--bad-fraction`), to show dead letters in a demo.

A bad record is sent in addition to the good one it was copied from, so the KPIs stay those of
the realistic stream. The defects are the everyday integration bugs of contract 3: a missing
field, a timestamp without its offset, a value outside a closed list, a unit code that no longer
exists, a clock a year ahead, a line cut in half. No personal id number is ever used, not even
here: the simulator must never put one on the wire.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from simulator.world import World

Record = dict[str, Any]
# the event-time field of each source, and of each telecom kind (contract 7)
EVENT_TIME = {"dvc": "ThoiGianCapNhat", "eoffice": "event_time", "population": "event_time",
              "site": "valid_from", "alarm": "event_time", "pm": "period_start"}
REQUIRED = {"dvc": ("MaHoSo", "MaTTHC", "MaDonVi", "KenhThucHien", "TrangThaiHoSo", "NgayTiepNhan"),
            "eoffice": ("doc_id", "unit", "direction", "status"),
            "population": ("event_id", "kind", "commune"),
            "site": ("site_id", "commune"), "alarm": ("alarm_id", "probable_cause", "severity", "state"),
            "pm": ("site_id", "availability_pct")}
BAD_ENUM = {
    "dvc": ("TrangThaiHoSo", 11),
    "eoffice": ("urgency", "khan"),
    "population": ("kind", "eid_revoked"),
    "telecom": ("kind", "perf"),
}
UNIT_FIELD = {"dvc": "MaDonVi", "eoffice": "unit", "population": "commune", "site": "commune"}
GONE_AGENCY = "12.STTTT"  # the Department of Information and Communications, merged in 2025


class Faults:
    def __init__(self, world: World, fraction: float) -> None:
        self.world, self.fraction = world, fraction
        self.rngs: dict[str, random.Random] = {}
        self.gone_commune = next(
            c for c in (f"{n:05d}" for n in range(3300, 99999)) if c not in world.units.units
        )
        self.defects: list[Callable[[str, Record], Record | bytes]] = [
            self._missing,
            self._no_offset,
            self._bad_enum,
            self._unknown_unit,
            self._future,
            self._cut,
        ]

    def lines(self, source: str, records: list[Record]) -> list[bytes]:
        """The NDJSON lines to send: every record, and now and then a bad copy after it."""
        out = [orjson.dumps(r) for r in records]
        if self.fraction <= 0:
            return out
        rng = self.rngs.setdefault(source, random.Random(f"{self.world.seed}:{source}:faults"))
        mixed: list[bytes] = []
        for record, line in zip(records, out):
            mixed.append(line)
            if rng.random() < self.fraction:
                bad = rng.choice(self.defects)(source, dict(record))
                mixed.append(bad if isinstance(bad, bytes) else orjson.dumps(bad))
        return mixed

    def _kind(self, source: str, record: Record) -> str:
        return str(record.get("kind")) if source == "telecom" else source

    def _missing(self, source: str, record: Record) -> Record:
        fields = REQUIRED[self._kind(source, record)]
        record.pop(fields[len(record) % len(fields)], None)
        return record

    def _no_offset(self, source: str, record: Record) -> Record:
        field = EVENT_TIME[self._kind(source, record)]
        record[field] = record[field][:19]  # "2026-11-22T10:00:00": local time of which zone?
        return record

    def _bad_enum(self, source: str, record: Record) -> Record:
        field, value = BAD_ENUM[source]
        record[field] = value
        return record

    def _unknown_unit(self, source: str, record: Record) -> Record:
        field = UNIT_FIELD.get(self._kind(source, record))
        if field is None:
            return self._missing(source, record)  # alarms and counters name no unit
        record[field] = GONE_AGENCY if field in ("MaDonVi", "unit") else self.gone_commune
        return record

    def _future(self, source: str, record: Record) -> Record:
        field = EVENT_TIME[self._kind(source, record)]
        ahead = datetime.fromisoformat(record[field]) + timedelta(days=366)  # a device clock a year off
        record[field] = ahead.isoformat()
        return record

    def _cut(self, source: str, record: Record) -> bytes:
        text = orjson.dumps(record)
        return text[: len(text) // 2]
