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

import json
import random
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson

from contract.settings import load_settings
from simulator.run import generate
from simulator.world import World
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
TEXT_MUTATIONS = [
    "dupkey",
    "nan",
    "float_overflow",
    "surrogate",
    "control",
    "cut",
    "not_object",
    "bom",
    "latin1",
    "invalid_utf8",
]
BODY_KINDS = [
    "ndjson",
    "ndjson_crlf",
    "array",
    "array_broken",
    "pretty",
    "truncated",
    "utf16",
    "utf16le",
    "utf32",
    "latin1",
    "cp1258",
    "invalid_utf8",
    "whitespace",
]


@cache
def valid_records(source: str, size: str = "small") -> tuple[Record, ...]:
    """Valid simulator records of one source (`small`: ~1-4k each; `large`: over 10,000 each)."""
    units = load_settings(ROOT / "config" / "pipeline.toml").units
    hours, scale, sites = (24.0, 1.0, 30) if size == "small" else (72.0, 4.0, 120)
    world = World(4242 if size == "small" else 4343, START, units, scale, sites)
    return tuple(generate(world, (source,), START + hours * 3600)[source])


def pid(rng: random.Random) -> str:
    """A 12-digit personal id number (CCCD: province code, century/sex, year, serial)."""
    province, century, year = rng.randrange(1, 97), rng.randrange(0, 4), rng.randrange(0, 100)
    return f"{province:03d}{century}{year:02d}{rng.randrange(0, 10**6):06d}"


@dataclass
class Mutator:
    rng: random.Random
    max_record_bytes: int = 1 << 20
    planted: list[str] = field(default_factory=list)  # every personal id put on the wire

    # -- values ------------------------------------------------------------------------------
    def junk(self, depth: int = 3) -> Any:
        r = self.rng
        leaf = r.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                r.randrange(-(10**6), 10**6),
                r.random() * 10 ** r.randrange(-5, 30),
                "",
                " ",
                "x" * r.randrange(0, 40),
                "Đoàn Kết ☃ 𝄞",
                "\u0000\u001f",
                "null",
                "NaN",
                "2025-03-10T07:00:00",
                "03388",
                "12.SNV",
                "<script>",
                "' OR 1=1 --",
            ]
        )
        if depth <= 0 or r.random() < 0.35:
            if r.random() < 0.08:
                leaf = self.personal_id_value()
            return leaf
        if r.random() < 0.5:
            return [self.junk(depth - 1) for _ in range(r.randrange(0, 4))]
        return {
            r.choice(["a", "b", "MaHoSo", "kind", "", "ü", "__proto__"]) + str(i): self.junk(depth - 1)
            for i in range(r.randrange(0, 4))
        }

    def personal_id_value(self) -> Any:
        value = pid(self.rng)
        self.planted.append(value)
        return value if self.rng.random() < 0.7 or value[0] == "0" else int(value)

    def other_type(self, value: Any) -> Any:
        choices: list[Any] = [None, True, 1, 1.5, "1", "true", [], {}, [value], {"value": value}, "2"]
        choices = [c for c in choices if type(c) is not type(value)]
        return self.rng.choice(choices)

    def huge_number(self) -> Any:
        """An integer of 19..399 digits (beyond a double's range from 309), or a float at a double's edge."""
        r = self.rng
        digits = r.randrange(19, 400)
        return (
            r.choice([1, -1]) * (10**digits + r.randrange(10**6))
            if r.random() < 0.8
            else r.choice([1e308, -1e308, 5e-324, 1.7976931348623157e308])
        )

    def bad_timestamp(self, text: Any) -> str:
        r = self.rng
        base = text if isinstance(text, str) and len(text) >= 19 else "2025-03-10T07:00:00+07:00"
        return r.choice(
            [
                base[:19],
                base[:16],
                base[:10],
                base.replace("T", " "),
                base[:19] + "+0700",
                base[:19] + "+07",
                base[:19] + "z",
                base[:19] + "+24:00",
                base[:19] + "+07:60",
                "2025-02-30T07:00:00Z",
                "2025-13-01T00:00:00Z",
                "2025-03-10T24:00:00Z",
                "２０２５-03-10T07:00:00Z",
                base + "\n",
                base[:19] + ".1234567890Z",
                "10/03/2025 07:00",
                "",
                "   ",
                "1741564800",
                base[:19] + "+07:00 ",
                "0000-01-01T00:00:00Z",
                "-2025-03-10T07:00:00Z",
            ]
        )

    def extreme_timestamp(self) -> str:
        """Well-formed, at the calendar's edges: outside what a datetime holds once moved to UTC or local
        time (a fixed bug), or around the years a record may carry (1900..2199). Not the first years of
        that range: the pipeline's horizon refuses an event that old (`too_late`, made by the worker,
        which test_pipeline_properties.py does not count)."""
        return self.rng.choice(
            [
                "0001-01-01T00:00:00+23:59",
                "0001-01-01T05:00:00+07:00",
                "9999-12-31T23:59:59Z",
                "1899-12-31T23:59:59.999999+07:00",
                "2199-12-31T23:59:59.999999+23:59",
                "2200-01-01T00:00:00Z",
            ]
        )

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
        rec[name] = self.other_type(rec.get(name))
        return rec

    def _m_enum(self, source: str, rec: Record) -> Record:
        name = self.rng.choice(list(ENUMS[source]))
        rec[name] = self.rng.choice(ENUMS[source][name])
        return rec

    def _m_junk(self, source: str, rec: Record) -> Record:
        name = self._field(rec) if self.rng.random() < 0.5 else self.rng.choice(["extra", "meta", "x-note"])
        rec[name] = self.junk(self.rng.randrange(1, 6))
        return rec

    def _m_huge(self, source: str, rec: Record) -> Record:
        numbers = [n for n in NUMBER_FIELDS.get(source, []) if n in rec]
        name = self.rng.choice(numbers) if numbers and self.rng.random() < 0.6 else self._field(rec)
        rec[name] = self.huge_number()
        return rec

    def _m_timestamp(self, source: str, rec: Record) -> Record:
        name = self._field(rec, TIMESTAMPS[source])
        rec[name] = self.extreme_timestamp() if self.rng.random() < 0.3 else self.bad_timestamp(rec.get(name))
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
            rec[self._field(rec, IDENTITY_FIELDS[source] + list(rec))] = self.personal_id_value()
        elif where == 1:  # an extra field
            rec[r.choice(["CCCD", "so_dinh_danh", "note"])] = self.personal_id_value()
        elif where == 2:  # as a key
            key = pid(r)
            rec[key] = "x"
            self.planted.append(key)
        else:  # deep inside junk
            rec["extra"] = {"a": [{"b": [self.personal_id_value()]}], "c": self.junk(2)}
        return rec

    def _m_deep(self, source: str, rec: Record) -> Record:
        depth = self.rng.choice([5, 50, 150, 300, 1000, 5000])  # <= 150 readable, >= 300 unparseable
        value: Any = self.personal_id_value() if self.rng.random() < 0.2 else 1
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

    # -- text of one record ------------------------------------------------------------------
    def text(self, value: Record | bytes, kinds: list[str]) -> bytes:
        data = value if isinstance(value, bytes) else dumps(value)
        for kind in kinds:
            data = getattr(self, f"_t_{kind}")(data)
        return data.replace(b"\n", b" ").replace(b"\r", b" ")  # one line

    def _splice(self, data: bytes, inner: bytes) -> bytes:
        """`data` with `"k":<inner>` added as the object's first member (when it is an object)."""
        if data.startswith(b"{"):
            return b'{"k":' + inner + (b"," if data[1:2] != b"}" else b"") + data[1:]
        return data + inner

    def _t_dupkey(self, data: bytes) -> bytes:
        """A key again, last, with junk: its first value is shadowed (a planted personal id, when one is
        in the record: the parsed record no longer holds it, the text still does)."""
        if not (data.startswith(b'{"') and data.endswith(b"}") and b'":' in data):
            return data
        key = data[1 : data.index(b'":') + 1]  # the first key, when the text does not parse
        try:
            record = orjson.loads(data)
        except orjson.JSONDecodeError:
            record = None
        if isinstance(record, dict) and record:
            holding = [
                k for k, v in record.items() if any(p.encode() in dumps(v) or p == k for p in self.planted)
            ]
            key = dumps(self.rng.choice(holding if holding and self.rng.random() < 0.7 else list(record)))
        return data[:-1] + b"," + key + b":" + dumps(self.junk(1)) + b"}"

    def _t_nan(self, data: bytes) -> bytes:
        return self._splice(data, self.rng.choice([b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf"]))

    def _t_float_overflow(self, data: bytes) -> bytes:
        return self._splice(data, self.rng.choice([b"1e400", b"-1e999", b"1" + b"0" * 400 + b".5"]))

    def _t_surrogate(self, data: bytes) -> bytes:
        return self._splice(data, self.rng.choice([b'"\\ud800"', b'"\\udfff x"', b'"\\ud83d"']))

    def _t_control(self, data: bytes) -> bytes:
        return self._splice(data, b'"a' + bytes([self.rng.choice([1, 2, 8, 14, 27, 31, 127])]) + b'b"')

    def _t_cut(self, data: bytes) -> bytes:
        return data[: self.rng.randrange(0, max(1, len(data)))]

    def _t_not_object(self, data: bytes) -> bytes:
        return self.rng.choice(
            [b"42", b'"record"', b"null", b"true", b"[]", b"[1,2]", b"[" + data + b"]", b"{}", b"-0", b"1e5"]
        )

    def _t_bom(self, data: bytes) -> bytes:
        return b"\xef\xbb\xbf" + data

    def _t_latin1(self, data: bytes) -> bytes:
        return (
            data.decode("utf-8", "replace").encode("latin-1", "replace")
            + b' "\xe9t\xe9"'[: self.rng.randrange(0, 8)]
        )

    def _t_invalid_utf8(self, data: bytes) -> bytes:
        at = self.rng.randrange(0, len(data) + 1)
        return (
            data[:at]
            + self.rng.choice([b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80"])
            + data[at:]
        )

    # -- a whole body ------------------------------------------------------------------------
    def line(self, source: str, record: Record, kinds: list[str]) -> bytes:
        record_kinds = [k for k in kinds if k in RECORD_MUTATIONS]
        text_kinds = [k for k in kinds if k in TEXT_MUTATIONS]
        return self.text(self.mutate(source, record, record_kinds), text_kinds)

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

    def body(self, lines: list[bytes], kind: str) -> bytes:
        r = self.rng
        if kind in ("ndjson", "ndjson_crlf"):
            sep = [b"\n", b"\n", b"\r\n", b"\n\n", b"\n  \n", b" \t\n"] if kind == "ndjson_crlf" else [b"\n"]
            return b"".join(line + r.choice(sep) for line in lines)
        if kind == "array":
            return b"[" + b",".join(lines) + b"]"
        if kind == "array_broken":
            body = b"[" + b",".join(lines) + b"]"
            return body[: r.randrange(1, len(body))] if r.random() < 0.5 else body + b","
        if kind == "pretty":
            try:
                return (
                    json.dumps(json.loads(lines[0]), indent=r.choice([1, 2, 4])).encode()
                    if lines
                    else b"{\n}"
                )
            except (ValueError, UnicodeDecodeError, RecursionError):
                return lines[0]
        if kind == "truncated":
            body = b"\n".join(lines)
            return body[: r.randrange(0, len(body) + 1)]
        text = b"\n".join(lines).decode("utf-8", "replace")
        if kind in ("utf16", "utf16le", "utf32"):
            return text.encode(
                {"utf16": "utf-16", "utf16le": "utf-16-le", "utf32": "utf-32"}[kind], "surrogatepass"
            )
        if kind in ("latin1", "cp1258"):
            return text.encode(kind, "replace")
        if kind == "invalid_utf8":
            return self._t_invalid_utf8(b"\n".join(lines))
        if kind == "whitespace":
            return r.choice([b"", b" ", b"\n\n", b"\r\n \t"])
        raise ValueError(kind)


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits, nesting beyond orjson's limit
        return _deep_dumps(value)


def _deep_dumps(value: Any) -> bytes:
    """JSON text at any depth and for any integer (iteratively)."""
    out: list[str] = []
    stack: list[Any] = [("v", value)]
    while stack:
        tag, item = stack.pop()
        if tag == "s":
            out.append(item)
        elif isinstance(item, dict):
            stack.append(("s", "}"))
            for i, (k, v) in enumerate(reversed(list(item.items()))):
                stack.append(("v", v))
                stack.append(("s", json.dumps(k, ensure_ascii=False) + ":"))
                if i < len(item) - 1:
                    stack.append(("s", ","))
            stack.append(("s", "{"))
        elif isinstance(item, list):
            stack.append(("s", "]"))
            for i, v in enumerate(reversed(item)):
                stack.append(("v", v))
                if i < len(item) - 1:
                    stack.append(("s", ","))
            stack.append(("s", "["))
        else:
            out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out).encode("utf-8", "surrogatepass")
