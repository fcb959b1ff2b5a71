"""The text of one record broken (duplicated keys, NaN, lone surrogates, control characters, cut
short, not an object, a BOM, latin-1, invalid UTF-8) and whole request bodies built from lines
(NDJSON with CRLF and blank lines, JSON arrays whole or broken, pretty-printed, truncated, re-encoded
as UTF-16, UTF-32, latin-1 or cp1258)."""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

import orjson

from tests.faults.values import HostileValues, dumps

Record = dict[str, Any]

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


@dataclass
class Framing:
    values: HostileValues

    @property
    def rng(self) -> random.Random:
        return self.values.rng

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
            planted = self.values.planted
            holding = [k for k, v in record.items() if any(p.encode() in dumps(v) or p == k for p in planted)]
            key = dumps(self.rng.choice(holding if holding and self.rng.random() < 0.7 else list(record)))
        return data[:-1] + b"," + key + b":" + dumps(self.values.junk(1)) + b"}"

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
