"""Split a request body or file (JSON array, single object or NDJSON) into records.

Each item is either a parsed JSON value with its size, or a ready rejection (`too_large`,
`unparseable`) carrying the text. One bad line never spoils the other lines of an NDJSON batch.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from connectors.privacy import contains_personal_id, mask, mask_text

# orjson reads an integer beyond 64 bits as a float: text with 19 digits in a row goes to the stdlib.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_DIGIT_RUN = b"0" * 19
# orjson writes at most 254 nested levels (and privacy.mask recurses): a record nested deeper is
# unparseable (orjson itself reads at most 1024).
MAX_DEPTH = 254


@dataclass(frozen=True, slots=True)
class Item:
    value: Any          # the parsed JSON value (None when rejected)
    text: str           # the record's text, for dead letters
    reject: str | None  # "too_large" | "unparseable" | None


def _strict_loads(data: bytes) -> Any:
    """orjson; the stdlib parser where integers beyond 64 bits may be, as strict as orjson: NaN,
    Infinity, numbers that only read as infinity and lone surrogates are not JSON (ValueError)."""
    if _LONG_DIGIT_RUN not in data.translate(_DIGITS_AS_ZERO):
        return orjson.loads(data)
    value = json.loads(data.decode("utf-8"), parse_constant=_not_json, parse_float=_finite_float)
    json.dumps(value, ensure_ascii=False).encode()   # a lone surrogate: UnicodeEncodeError
    return value


def _not_json(token: str) -> Any:
    raise ValueError(f"not JSON: {token}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _too_deep(value: Any) -> bool:
    """Nested beyond MAX_DEPTH (iteratively: hostile input may nest deeply)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in (item.values() if isinstance(item, dict) else item):
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def split_records(body: bytes, max_record_bytes: int) -> Iterator[Item]:
    stripped = body.strip()
    if not stripped:
        return
    if stripped[:1] == b"[":
        yield from _array(stripped, max_record_bytes)
    elif stripped[:1] == b"{" and b"\n" in stripped and (single := _single_object(stripped, max_record_bytes)):
        yield single   # one pretty-printed object, not NDJSON
    else:
        for line in stripped.splitlines():
            if line.strip():
                yield _one(line.strip(), max_record_bytes)


def _single_object(data: bytes, max_record_bytes: int) -> Item | None:
    """The body as one multi-line JSON object, or None when it is not one (then it is NDJSON)."""
    if len(data) > max_record_bytes:
        return None
    try:
        value = _strict_loads(data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    return _one(data, max_record_bytes) if isinstance(value, dict) else None


def _array(data: bytes, max_record_bytes: int) -> Iterator[Item]:
    try:
        values = _strict_loads(data)
        items = [_element(value, max_record_bytes) for value in values]
    except (ValueError, RecursionError, UnicodeDecodeError):
        yield _reject(data, "too_large" if len(data) > max_record_bytes else "unparseable")
        return
    yield from items


def _element(value: Any, max_record_bytes: int) -> Item:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:   # an integer beyond 64 bits, or nested beyond orjson's 254 levels
        if _too_deep(value):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
        text = dumps_any(value)
    if len(text.encode()) > max_record_bytes:
        return Item(None, dumps_any(mask(value)) if contains_personal_id(value) else text, "too_large")
    return Item(value, text, None)


def _one(line: bytes, max_record_bytes: int) -> Item:
    if len(line) > max_record_bytes:
        return _reject(line, "too_large")
    try:
        value = _strict_loads(line)
        if line.count(b"[") + line.count(b"{") > MAX_DEPTH and _too_deep(value):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return Item(value, _decode(line), None)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return _reject(line, "unparseable")


def _reject(data: bytes, reason: str) -> Item:
    return Item(None, mask_text(_decode(data)), reason)


def dumps_any(value: Any) -> str:
    """JSON text of a parsed value; the stdlib for integers beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
