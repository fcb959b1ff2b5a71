"""Hostile input for every source: mutations of valid records, and whole request bodies built from them.

Valid records come from the simulator (all four sources, every telecom and population kind).
`Mutator` breaks them the ways real integrations do and worse: fields dropped, nulled, emptied,
retyped, duplicated; values outside their closed lists; nested junk; huge numbers; NaN and
Infinity written as text; timestamps without offsets or otherwise malformed; 12-digit personal
ids planted anywhere; control characters, lone surrogates, BOMs; records nested thousands deep;
records over the size limit; lines cut short. Bodies are NDJSON (CRLF, blank lines), JSON arrays,
pretty-printed single objects, truncated, re-encoded (latin-1, cp1258, UTF-16, UTF-32) or with
invalid UTF-8 spliced in.

The oracle of how many records a body holds is in tests/faults/oracle.py.

The inputs of the bugs in test_known_bugs.py are all generated (each bug is fixed): integers of 309
digits or more, timestamps at the calendar's edges (year 1, year 9999, and the years around the
range a record may carry), a personal id shadowed by a duplicated key.

The mutations choose their details with a `random.Random`, so the same code serves Hypothesis
(which drives the kinds and a seeded Random, `st.randoms()`) and the seeded bulk runs through the
real pipeline.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from contract.settings import load_settings
from simulator.run import generate
from simulator.world import World
from tests.faults.framing import TEXT_MUTATIONS, Framing
from tests.faults.values import HostileValues, pid
from tests.faults.workload import ROOT, START

Record = dict[str, Any]

# Contract 2.1-2.4 and 7, written out here (not read from the connectors).
TIMESTAMPS = {"dvc": ["ThoiGianCapNhat", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"],
              "eoffice": ["event_time", "deadline"], "population": ["event_time"],
              "telecom": ["valid_from", "event_time", "period_start"]}
ENUMS: dict[str, dict[str, list[Any]]] = {
    "dvc": {
        "KenhThucHien": [0, 4, -1, 99],
        "TrangThaiHoSo": [0, 11, -3, 1000],
        "DuocThanhToanTrucTuyen": [3, -1],
        "MucDoHaiLong": [0, 6, 10],
    },
    "eoffice": {
        "direction": ["inbound", "INCOMING", ""],
        "status": ["done", "Completed", "signed"],
        "urgency": ["khan", "URGENT", "low"],
    },
    "population": {
        "kind": ["eid_revoked", "EID_ACTIVATED", "verify"],
        "level": [0, 3, 4],
        "result": ["OK", "timeout", "fail"],
    },
    "telecom": {
        "kind": ["perf", "inventory", "ALARM"],
        "severity": ["fatal", "Critical", "info"],
        "state": ["open", "closed", "RAISED"],
        "technologies": [["6G"], ["4G", "LTE"], ["2g"]],
    },
}
# Fields that take any JSON number.
NUMBER_FIELDS = {"population": ["latency_ms"], "telecom": ["availability_pct", "traffic_erl", "data_mb"]}
UNIT_FIELDS = {"dvc": ["MaDonVi"], "eoffice": ["unit"], "population": ["commune"], "telecom": ["commune"]}
IDENTITY_FIELDS = {
    "dvc": ["MaHoSo", "TrangThaiHoSo", "ThoiGianCapNhat"],
    "eoffice": ["doc_id", "status", "event_time"],
    "population": ["event_id", "citizen_ref"],
    "telecom": ["site_id", "alarm_id", "state", "event_time", "period_start", "valid_from"],
}

RECORD_MUTATIONS = [
    "drop",
    "null",
    "empty",
    "retype",
    "enum",
    "junk",
    "huge",
    "timestamp",
    "personal_id",
    "deep",
    "too_large",
    "unit",
    "telecom_kind",
    "future",
]




@cache
def valid_records(source: str, size: str = "small") -> tuple[Record, ...]:
    """Valid simulator records of one source (`small`: ~1-4k each; `large`: over 10,000 each)."""
    units = load_settings(ROOT / "config" / "pipeline.toml").units
    hours, scale, sites = (24.0, 1.0, 30) if size == "small" else (72.0, 4.0, 120)
    world = World(4242 if size == "small" else 4343, START, units, scale, sites)
    return tuple(generate(world, (source,), START + hours * 3600)[source])


@dataclass
class Mutator:
    """Breaks valid records (the record mutations here), their text and whole bodies (framing.py),
    with values from values.py; every personal id it plants is in `planted`."""

    rng: random.Random
    max_record_bytes: int = 1 << 20
    values: HostileValues = field(init=False)
    framing: Framing = field(init=False)

    def __post_init__(self) -> None:
        self.values = HostileValues(self.rng)
        self.framing = Framing(self.values)

    @property
    def planted(self) -> list[str]:
        return self.values.planted

    def body(self, lines: list[bytes], kind: str) -> bytes:
        return self.framing.body(lines, kind)

    # -- one record --------------------------------------------------------------------------
    def mutate(self, source: str, record: Record, kinds: list[str]) -> Record | bytes:
        rec: Record = dict(record)
        for kind in kinds:
            rec = getattr(self, f"_m_{kind}")(source, rec)
        return rec

    def _field(self, rec: Record, candidates: list[str] | None = None) -> str:
        names = [n for n in (candidates or list(rec)) if n in rec] or list(rec) or ["x"]
        return self.rng.choice(names)

    def _m_drop(self, source: str, rec: Record) -> Record:
        rec.pop(self._field(rec), None)
        return rec

    def _m_null(self, source: str, rec: Record) -> Record:
        rec[self._field(rec)] = None
        return rec

    def _m_empty(self, source: str, rec: Record) -> Record:
        rec[self._field(rec, [k for k, v in rec.items() if isinstance(v, str)])] = self.rng.choice(
            ["", "  ", "\t"]
        )
        return rec

    def _m_retype(self, source: str, rec: Record) -> Record:
        name = self._field(rec)
        rec[name] = self.values.other_type(rec.get(name))
        return rec

    def _m_enum(self, source: str, rec: Record) -> Record:
        name = self.rng.choice(list(ENUMS[source]))
        rec[name] = self.rng.choice(ENUMS[source][name])
        return rec

    def _m_junk(self, source: str, rec: Record) -> Record:
        name = self._field(rec) if self.rng.random() < 0.5 else self.rng.choice(["extra", "meta", "x-note"])
        rec[name] = self.values.junk(self.rng.randrange(1, 6))
        return rec

    def _m_huge(self, source: str, rec: Record) -> Record:
        numbers = [n for n in NUMBER_FIELDS.get(source, []) if n in rec]
        name = self.rng.choice(numbers) if numbers and self.rng.random() < 0.6 else self._field(rec)
        rec[name] = self.values.huge_number()
        return rec

    def _m_timestamp(self, source: str, rec: Record) -> Record:
        name = self._field(rec, TIMESTAMPS[source])
        extreme = self.rng.random() < 0.3
        rec[name] = self.values.extreme_timestamp() if extreme else self.values.bad_timestamp(rec.get(name))
        return rec

    def _m_future(self, source: str, rec: Record) -> Record:
        """Far ahead: `future_time` as an event time, accepted in a due time or receipt time, up to the last
        year a record may carry (the last instant of year 9999, a year 10000 in Lai Châu, was a bug)."""
        rec[self._field(rec, TIMESTAMPS[source])] = self.rng.choice(
            [
                "2099-01-01T00:00:00Z",
                "2031-03-10T07:00:00+07:00",
                "2199-12-31T23:59:59Z",
                "9998-12-31T23:59:59Z",
                "9999-12-31T23:59:59.999999Z",
            ]
        )
        return rec

    def _m_personal_id(self, source: str, rec: Record) -> Record:
        r = self.rng
        where = r.randrange(4)
        if where == 0:  # in a field of the contract, identity fields included (population hashes those)
            rec[self._field(rec, IDENTITY_FIELDS[source] + list(rec))] = self.values.personal_id_value()
        elif where == 1:  # an extra field
            rec[r.choice(["CCCD", "so_dinh_danh", "note"])] = self.values.personal_id_value()
        elif where == 2:  # as a key
            key = pid(r)
            rec[key] = "x"
            self.values.planted.append(key)
        else:  # deep inside junk
            rec["extra"] = {"a": [{"b": [self.values.personal_id_value()]}], "c": self.values.junk(2)}
        return rec

    def _m_deep(self, source: str, rec: Record) -> Record:
        depth = self.rng.choice([5, 50, 150, 300, 1000, 5000])  # <= 150 readable, >= 300 unparseable
        value: Any = self.values.personal_id_value() if self.rng.random() < 0.2 else 1
        for _ in range(depth):
            value = [value] if self.rng.random() < 0.5 else {"a": value}
        rec["deep"] = value
        return rec

    def _m_too_large(self, source: str, rec: Record) -> Record:
        rec["padding"] = "x" * (self.max_record_bytes + self.rng.randrange(1, 5000))
        return rec

    def _m_unit(self, source: str, rec: Record) -> Record:
        rec[self._field(rec, UNIT_FIELDS[source])] = self.rng.choice(
            ["12.STTTT", "01", "99999", "03387", "", "0338", "03388 ", 3388, "12"]
        )
        return rec

    def _m_telecom_kind(self, source: str, rec: Record) -> Record:
        rec["kind"] = self.rng.choice(["site", "alarm", "pm", None, 7])
        return rec

    def line(self, source: str, record: Record, kinds: list[str]) -> bytes:
        record_kinds = [k for k in kinds if k in RECORD_MUTATIONS]
        text_kinds = [k for k in kinds if k in TEXT_MUTATIONS]
        return self.framing.text(self.mutate(source, record, record_kinds), text_kinds)

    def random_kinds(self, p_mutated: float = 0.5) -> list[str]:
        r = self.rng
        if r.random() >= p_mutated:
            return []
        kinds = r.sample(RECORD_MUTATIONS, r.choice([1, 1, 1, 2, 3]))
        if r.random() < 0.25:
            kinds.append(r.choice(TEXT_MUTATIONS))
        if "too_large" in kinds and r.random() < 0.9:
            kinds.remove("too_large")  # keep bodies small
        return kinds
