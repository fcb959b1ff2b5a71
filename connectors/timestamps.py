"""Strict ISO-8601 timestamps with an offset (contract 7): anything else is `bad_type`."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

# ASCII digits only (`\d` would take any Unicode digit) and no trailing newline (`$` would allow one).
_TS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_ts(text: str) -> int | None:
    """Epoch microseconds of a timestamp string, or None when it is not a valid one."""
    m = _TS.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, sec, frac, zulu, sign, oh, om = m.groups()
    try:
        offset = timedelta(0) if zulu else timedelta(hours=int(oh), minutes=int(om))
        if offset >= timedelta(hours=24) or (om is not None and int(om) >= 60):
            return None
        tz = timezone(-offset if sign == "-" else offset)
        micro = int((frac or "0").ljust(6, "0")[:6])
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(sec or 0), micro, tz)
    except ValueError:
        return None
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=131_072)
def parse_valid_ts(text: str) -> int:
    """For timestamps already validated at ingest: the same value as parse_ts, cached (a dossier's
    records repeat their receipt and due times)."""
    value = parse_ts(text)
    if value is None:
        raise ValueError(f"not a timestamp with an offset: {text!r}")
    return value

