"""Personal id numbers (contract 2.3): found anywhere, they make a dead letter and are masked."""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

_ID_STRING = re.compile(r"^[0-9]{12}$")
_ID_RUN = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
MASK = "*" * 12
# A digit, literal or escaped; a loose run is the longest sequence of them, NULs allowed in between.
_LOOSE_DIGIT = re.compile(r"[0-9]|\\u003[0-9]")
_LOOSE_RUN = re.compile(r"(?:[0-9]|\\u003[0-9])(?:\x00*(?:[0-9]|\\u003[0-9]))*")


def is_personal_id(value: Any) -> bool:
    """A JSON string of exactly 12 digits, or a 12-digit JSON integer."""
    if isinstance(value, str):
        return len(value) == 12 and _ID_STRING.match(value) is not None
    if isinstance(value, int) and not isinstance(value, bool):
        return 10**11 <= abs(value) < 10**12
    return False


def contains_personal_id(obj: Any) -> bool:
    """Scan values and keys at any depth (iteratively: hostile input may nest deeply)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if is_personal_id(key):
                    return True
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif is_personal_id(item):
            return True
    return False


def mask(obj: Any) -> Any:
    """A copy with every personal id replaced by asterisks."""
    if isinstance(obj, dict):
        return {(MASK if is_personal_id(k) else k): mask(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask(v) for v in obj]
    return MASK if is_personal_id(obj) else obj


def mask_text(text: str) -> str:
    """For text that could not be parsed: mask every run of exactly 12 digits. A UTF-16 or UTF-32
    body read as UTF-8 has its digits NUL-separated, and JSON may write a digit as an escape
    (\\u0030..\\u0039): both still make a run (the id must not survive someone dropping the NULs)."""
    if "\x00" not in text and "\\u003" not in text:
        return _ID_RUN.sub(MASK, text)   # the common case, in C
    return _LOOSE_RUN.sub(_mask_loose_run, text)


def _mask_loose_run(run: re.Match[str]) -> str:
    return MASK if len(_LOOSE_DIGIT.findall(run.group())) == 12 else run.group()


def pseudonymize(record: dict[str, Any], fields: tuple[str, ...], key: bytes) -> dict[str, Any]:
    """A copy whose listed identity fields carry a keyed hash (HMAC-SHA256) instead of a raw
    personal id number; the same id always gives the same pseudonym under one key."""
    replaced = {f: "pid-" + hmac.new(key, str(record[f]).encode(), hashlib.sha256).hexdigest()[:32]
                for f in fields if is_personal_id(record.get(f))}
    return {**record, **replaced} if replaced else record
