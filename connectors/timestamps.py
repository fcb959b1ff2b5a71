"""Strict ISO-8601 timestamps with an offset (contract 7): anything else is `bad_type`."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_ts(text: str) -> int | None:
    """Epoch microseconds of a timestamp string, or None when it is not a valid one."""
    m = _TS.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, sec, frac, zulu, sign, oh, om = m.groups()
    try:
        offset = timedelta(0) if zulu else timedelta(hours=int(oh), minutes=int(om))
        if offset >= timedelta(hours=24):
            return None
        tz = timezone(-offset if sign == "-" else offset)
        micro = int((frac or "0").ljust(6, "0")[:6])
        dt = datetime(int(year), int(month), int(day), int(hour), int(minute), int(sec or 0), micro, tz)
    except ValueError:
        return None
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_datetime(epoch_us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=epoch_us)
