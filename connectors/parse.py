"""Split a request body or file (JSON array, single object or NDJSON) into records.

Each item is either a parsed JSON value with its size, or a ready rejection (`too_large`,
`unparseable`) carrying the text. One bad line never spoils the other lines of an NDJSON batch.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from connectors.privacy import mask_text


@dataclass(frozen=True, slots=True)
class Item:
    value: Any          # the parsed JSON value (None when rejected)
    text: str           # the record's text, for dead letters
    reject: str | None  # "too_large" | "unparseable" | None


def _strict_loads(data: bytes | str) -> Any:
    """orjson first; the stdlib parser for integers beyond 64 bits. NaN and Infinity are not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        def reject(token: str) -> Any:
            raise ValueError(f"not JSON: {token}")
        return json.loads(data, parse_constant=reject)


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def split_records(body: bytes, max_record_bytes: int) -> Iterator[Item]:
    stripped = body.strip()
    if not stripped:
        return
    if stripped[:1] == b"[":
        yield from _array(stripped, max_record_bytes)
    else:
        for line in stripped.splitlines():
            if line.strip():
                yield _one(line.strip(), max_record_bytes)


def _array(data: bytes, max_record_bytes: int) -> Iterator[Item]:
    try:
        values = _strict_loads(data)
    except (ValueError, RecursionError, UnicodeDecodeError):
        yield _reject(data, "too_large" if len(data) > max_record_bytes else "unparseable")
        return
    for value in values:
        text = dumps_any(value)
        if len(text.encode()) > max_record_bytes:
            yield Item(None, text, "too_large")
        else:
            yield Item(value, text, None)


def _one(line: bytes, max_record_bytes: int) -> Item:
    if len(line) > max_record_bytes:
        return _reject(line, "too_large")
    try:
        return Item(_strict_loads(line), _decode(line), None)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return _reject(line, "unparseable")


def _reject(data: bytes, reason: str) -> Item:
    return Item(None, mask_text(_decode(data)), reason)


def dumps_any(value: Any) -> str:
    """JSON text of a parsed value; the stdlib for integers beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)
