"""The tests' own reading of a personal id number (contract 2.3 and 7), independent of
connectors.privacy: a JSON string of exactly 12 ASCII digits or a 12-digit JSON integer, looked for
at any depth of a parsed JSON value (iteratively: hostile input may nest deeply)."""
from __future__ import annotations

import re
from typing import Any

DIGIT_BOUNDED = re.compile(rb"(?<![0-9])[0-9]{12}(?![0-9])")   # a run of exactly 12 digits in bytes


def is_personal_id(value: Any) -> bool:
    """A str of exactly 12 ASCII digits, or an int (not a bool) of 12 digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return len(value) == 12 and value.isascii() and value.isdigit()
    return isinstance(value, int) and 10**11 <= abs(value) < 10**12


def has_personal_id(value: Any, *, keys: bool = True) -> bool:
    """Whether a personal id stands anywhere in `value`: in its values, and in its objects' keys
    unless `keys` is False."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if keys:
                stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif is_personal_id(item):
            return True
    return False
