"""The fault tests' oracle: how many records a request body holds.

`expected_records(body)` is the test's own reading of how many records a body holds, from the
contract's framing (a JSON array: one record per element; one object; NDJSON: one per non-blank
line) and independent of the project's parser: a body that starts as a JSON array counts one record
per element when its strings and brackets frame one array (whatever its elements hold, since one bad
element must not spoil the others), and one record when they do not (truncated, unbalanced, text
after it, an empty element).
"""
from __future__ import annotations

import json
import math
from typing import Any


def _not_json(token: str) -> Any:
    raise ValueError(token)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _finite_int(text: str) -> int:
    if not math.isfinite(float(text)):   # a double cannot hold it (orjson: 'number is infinity')
        raise ValueError(text[:40])
    return int(text)


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    json.dumps(pairs, ensure_ascii=False).encode("utf-8")   # a lone surrogate, also in a shadowed member
    return dict(pairs)


def strict_json(data: bytes) -> Any:
    """RFC 8259 JSON, strictly: UTF-8 only, no NaN/Infinity, no number beyond a double, no lone surrogate
    (a duplicated key keeps its last value, as orjson does)."""
    value = json.loads(
        data.decode("utf-8"),
        parse_constant=_not_json,
        parse_float=_finite,
        parse_int=_finite_int,
        object_pairs_hook=_members,
    )
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates raise here
    return value


def framed_elements(body: bytes) -> int | None:
    """How many elements a body that starts with `[` frames as one array, reading only its strings (a
    backslash escapes the next byte) and brackets; None when it is not one array: brackets unbalanced
    or mismatched, a string that never ends, a blank element, or text after the closing bracket."""
    pairs = {ord("]"): ord("["), ord("}"): ord("{")}
    whitespace = set(b" \t\r\n\x0b\x0c")
    stack: list[int] = []
    count, blank, in_string, escaped = 0, True, False, False
    for i, c in enumerate(body):
        if in_string:
            in_string, escaped = (True, False) if escaped else (c != ord('"'), c == ord("\\"))
            continue
        if c in pairs:
            if not stack or stack.pop() != pairs[c]:
                return None
            if not stack:  # the array's own closing bracket
                return None if i != len(body) - 1 or (blank and count) else count + (not blank)
        elif c == ord(",") and len(stack) == 1:
            if blank:
                return None
            count, blank = count + 1, True
        elif stack and c not in whitespace:
            blank = False
        if c == ord('"'):
            in_string = True
        elif c in (ord("["), ord("{")):
            stack.append(c)
    return None


def expected_records(body: bytes, max_record_bytes: int = 1 << 20) -> int:
    stripped = body.strip()
    if not stripped:
        return 0
    if stripped[:1] == b"[":
        try:
            return len(strict_json(stripped))
        except (ValueError, UnicodeError, RecursionError):
            framed = framed_elements(stripped)
            return 1 if framed is None else framed
    if stripped[:1] == b"{" and b"\n" in stripped and len(stripped) <= max_record_bytes:
        try:
            if isinstance(strict_json(stripped), dict):
                return 1
        except (ValueError, UnicodeError, RecursionError):
            pass
    return sum(1 for line in stripped.splitlines() if line.strip())
