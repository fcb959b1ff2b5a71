"""Split a request body or file (JSON array, single object or NDJSON) into records.

Each item is either a parsed JSON value with its size, or a ready rejection (`too_large`,
`unparseable`) carrying the text. One bad line never spoils the other lines of an NDJSON batch,
and one bad element never spoils the other elements of a JSON array (contract 3).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.privacy import contains_personal_id, mask, mask_text

# orjson reads an integer beyond 64 bits as a float: text with 19 digits in a row goes to the stdlib.
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0000000000")
_LONG_DIGIT_RUN = b"0" * 19
# A personal id on the wire is exactly 12 digits in a row (a string's or an integer's), or digits
# written as escapes (\u0030..\u0039).
_TWELVE_OR_MORE = b"0" * 12
_DIGIT_ESCAPE = b"\\u003"
# orjson writes at most 254 nested levels (and privacy.mask recurses): a record nested deeper is
# unparseable (orjson itself reads at most 1024).
MAX_DEPTH = 254
# The framing of a JSON array: a whole string (escapes included), or one structural character.
# A lone quote is a string that never ends.
_FRAMING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[][{},"]', re.S)
_OPENER = {ord("]"): ord("["), ord("}"): ord("{")}


@dataclass(frozen=True, slots=True)
class Item:
    value: Any          # the parsed JSON value (None when rejected)
    text: str           # the record's text, for dead letters
    reject: str | None  # "too_large" | "unparseable" | None


def _strict_loads(data: bytes, long_digits: bool | None = None) -> Any:
    """orjson; the stdlib parser where integers beyond 64 bits may be (`long_digits`: 19 digits in a row,
    found here unless the caller knows), as strict as orjson: NaN, Infinity, numbers that only read as
    infinity (integers too) and lone surrogates are not JSON (ValueError). What passes here, the KPI
    worker's orjson reads too."""
    if long_digits is None:
        long_digits = _LONG_DIGIT_RUN in data.translate(_DIGITS_AS_ZERO)
    if not long_digits:
        return orjson.loads(data)
    value = json.loads(data.decode("utf-8"), parse_constant=_not_json, parse_float=_finite_float,
                       parse_int=_finite_int)
    json.dumps(value, ensure_ascii=False).encode()   # a lone surrogate: UnicodeEncodeError
    return value


strict_loads = _strict_loads   # for adapters that read a whole JSON body


def _not_json(token: str) -> Any:
    raise ValueError(f"not JSON: {token}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _finite_int(text: str) -> int:
    # orjson refuses an integer whose double is infinite ('number is infinity when parsed as double',
    # from 309 digits on); float() of the text rounds as orjson does and never raises.
    if not math.isfinite(float(text)):
        raise ValueError(f"number out of range: {text[:40]}")
    return int(text)


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
    elif (
        stripped[:1] == b"{" and b"\n" in stripped and (single := _single_object(stripped, max_record_bytes))
    ):
        yield single  # one pretty-printed object, not NDJSON
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
        # One bad element must not spoil the others: split the array by its framing and read each
        # element as an NDJSON line. Only a body that is not one array at all is one dead letter.
        elements = array_elements(data)
        if elements is None:
            yield _reject(data, "too_large" if len(data) > max_record_bytes else "unparseable")
        else:
            yield from (_one(element, max_record_bytes) for element in elements)
        return
    yield from items


def array_elements(data: bytes) -> list[bytes] | None:
    """The texts of a JSON array's top-level elements, found from its strings and brackets alone (an
    element itself may be anything), or None when `data` is not one array: brackets unbalanced or
    mismatched, a string that never ends, an empty element, or text after the closing bracket.
    Linear and iterative: hostile bodies are megabytes long and nested thousands deep."""
    if data[:1] != b"[":
        return None
    opened, elements, start = bytearray(), [], 1
    for token in _FRAMING.finditer(data):
        at, char = token.start(), data[token.start()]
        if char == 0x22:  # '"'
            if token.end() - at == 1:
                return None  # a string that never ends
        elif char in (0x5B, 0x7B):  # '[' '{'
            opened.append(char)
        elif char == 0x2C:  # ','
            if len(opened) == 1:
                if not (element := data[start:at].strip()):
                    return None
                elements.append(element)
                start = token.end()
        else:  # ']' '}'
            if not opened or opened.pop() != _OPENER[char]:
                return None  # a closing bracket without its opener
            if not opened:  # the array's own closing bracket: the end
                return _last_element(data, start, token, elements)
    return None


def _last_element(
    data: bytes, start: int, close: re.Match[bytes], elements: list[bytes]
) -> list[bytes] | None:
    """All the elements once the array's closing bracket is found; None when text follows it or the
    last element is empty (`[1,]`). `[ ]` has none."""
    last = data[start : close.start()].strip()
    if close.end() != len(data) or (not last and elements):
        return None
    return elements + [last] if last else elements


def _element(value: Any, max_record_bytes: int) -> Item:
    try:
        text = orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits, or nested beyond orjson's 254 levels
        if _too_deep(value):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
        text = dumps_any(value)
    if len(text.encode()) > max_record_bytes:
        return Item(None, dumps_any(mask(value)) if contains_personal_id(value) else text, "too_large")
    return Item(value, text, None)


def _one(line: bytes, max_record_bytes: int) -> Item:
    if len(line) > max_record_bytes:
        return _reject(line, "too_large")
    digits = line.translate(_DIGITS_AS_ZERO)
    long_run = _TWELVE_OR_MORE in digits  # (one search in the common case: no run of 12 digits or more)
    try:
        value = _strict_loads(line, long_run and _LONG_DIGIT_RUN in digits)
        if line.count(b"[") + line.count(b"{") > MAX_DEPTH and _too_deep(value):
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    except (ValueError, RecursionError, UnicodeDecodeError):
        return _reject(line, "unparseable")
    # The line's own text, unless it may hold a personal id its parsed value does not (a duplicated key
    # keeps only its last value, and the checks see the value): then the value's JSON text goes out, so
    # the published record and its dead letter hold what the checks saw, and nothing else.
    may_hide_id = (long_run and _exactly_twelve(digits)) or (
        b"\\" in line and _DIGIT_ESCAPE in line
    )  # (a backslash first: one byte is found faster)
    text = dumps_any(value) if may_hide_id else _decode(line)
    return Item(value, text, None)


def _exactly_twelve(digits: bytes) -> bool:
    """A run of exactly 12 digits in a text whose digits are all "0" (bytes.find: a regex over runs
    of zeros costs microseconds a line)."""
    at = digits.find(_TWELVE_OR_MORE)
    while at >= 0:  # the leftmost match: no digit before it
        end = at + 12
        while end < len(digits) and digits[end] == 0x30:
            end += 1
        if end - at == 12:
            return True
        at = digits.find(_TWELVE_OR_MORE, end)
    return False


def _reject(data: bytes, reason: str) -> Item:
    return Item(None, mask_text(_decode(data)), reason)


def dumps_any(value: Any) -> str:
    """JSON text of a parsed value; the stdlib for integers beyond 64 bits, which orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
