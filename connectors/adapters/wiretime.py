"""The time forms source systems write (wire-formats 0.4), read into the contract's timestamps.

Wire times without an offset are the province's local time. Records write
`YYYY-MM-DDTHH:MM:SS+07:00`, with a fraction only when it is not zero.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

ABSENT = None


class BadTime(ValueError):
    """A time in none of the accepted forms, or outside the years 1900..2199."""


_FORMS = (
    # yyyyMMddHHmmss, yyyyMMdd (DVCQG)
    re.compile(
        r"(?P<y>[0-9]{4})(?P<mo>[0-9]{2})(?P<d>[0-9]{2})(?:(?P<h>[0-9]{2})(?P<mi>[0-9]{2})(?P<s>[0-9]{2}))?"
    ),
    # yyyy/MM/dd HH:mm:ss, yyyy/MM/dd (edXML)
    re.compile(
        r"(?P<y>[0-9]{4})/(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})"
        r"(?: (?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2}))?"
    ),
    # dd/MM/yyyy HH:mm:ss, dd/MM/yyyy (some e-office systems)
    re.compile(
        r"(?P<d>[0-9]{1,2})/(?P<mo>[0-9]{1,2})/(?P<y>[0-9]{4})"
        r"(?: (?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2}):(?P<s>[0-9]{2}))?"
    ),
)
_ISO = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})"
    r"(?::(?P<s>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?)?(?P<z>Z|[+-][0-9]{2}:?[0-9]{2})?"
)
_DOTNET_DEFAULT = re.compile(r"0001-01-01(?:[T ]00:00(?::00(?:\.0+)?)?)?(?:Z|[+-]00:?00)?")
MIN_YEAR, MAX_YEAR = 1900, 2199
MIN_EPOCH_US = 10**15  # below: seconds or milliseconds sent by mistake (wire-formats 4.2)


def is_absent(value: Any) -> bool:
    """`""`, null and the .NET default read as absent (0.4)."""
    return value is None or (
        isinstance(value, str) and (not value.strip() or _DOTNET_DEFAULT.fullmatch(value.strip()) is not None)
    )


def read_time(value: Any, tz: tzinfo, *, end_of_day: bool = False) -> datetime | None:
    """The instant a wire time names (None when absent); BadTime for anything else. A date alone is
    00:00:00, or 23:59:59 for a deadline (`end_of_day`)."""
    if is_absent(value):
        return ABSENT
    if not isinstance(value, str):
        raise BadTime(repr(value))
    text = value.strip()
    for form in _FORMS:
        m = form.fullmatch(text)
        if m:
            return _build(m.groupdict(), tz, end_of_day)
    m = _ISO.fullmatch(text)
    if m is None:
        raise BadTime(text)
    return _build(m.groupdict(), tz, end_of_day)


def _build(g: dict[str, str | None], tz: tzinfo, end_of_day: bool) -> datetime:
    year = int(g["y"] or 0)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadTime(f"year {year}")
    date_only = g.get("h") is None
    hour, minute, second = (
        (23, 59, 59)
        if date_only and end_of_day
        else (int(g.get("h") or 0), int(g.get("mi") or 0), int(g.get("s") or 0))
    )
    micro = int((g.get("f") or "0").ljust(6, "0")[:6])
    zone = _offset(g.get("z")) or tz
    try:
        return datetime(year, int(g["mo"] or 0), int(g["d"] or 0), hour, minute, second, micro, tzinfo=zone)
    except ValueError as exc:
        raise BadTime(str(exc)) from None


def _offset(z: str | None) -> tzinfo | None:
    if not z:
        return None
    if z == "Z":
        return UTC
    sign = -1 if z[0] == "-" else 1
    digits = z[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours >= 24 or minutes >= 60:
        raise BadTime(z)
    from datetime import timezone

    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def from_epoch_us(value: Any) -> datetime:
    """VES epoch microseconds (a JSON number, not below 10^15); BadTime otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadTime(repr(value))
    if isinstance(value, float) and not math.isfinite(value):
        raise BadTime(repr(value))
    if value < MIN_EPOCH_US:
        raise BadTime(f"{value} is below 10^15 microseconds")
    try:
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))
    except OverflowError:
        raise BadTime(repr(value)) from None
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise BadTime(f"year {at.year}")
    return at


def write_time(at: datetime, tz: tzinfo) -> str:
    """The contract's form in the province's local time: seconds always, a fraction only when not zero."""
    local = at.astimezone(tz)
    text = local.isoformat(timespec="microseconds" if local.microsecond else "seconds")
    return text.replace("+00:00", "Z") if text.endswith("+00:00") and tz is UTC else text
