"""Hostile values: junk of any shape, numbers beyond a double, malformed and extreme timestamps,
personal id numbers (each one planted is remembered, so a sweep can look for it), and JSON text of
any depth or integer size."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

import orjson


def pid(rng: random.Random) -> str:
    """A 12-digit personal id number (CCCD: province code, century/sex, year, serial)."""
    province, century, year = rng.randrange(1, 97), rng.randrange(0, 4), rng.randrange(0, 100)
    return f"{province:03d}{century}{year:02d}{rng.randrange(0, 10**6):06d}"


@dataclass
class HostileValues:
    rng: random.Random
    planted: list[str] = field(default_factory=list)  # every personal id put on the wire

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
