"""Calendar periods in the province's local time: day, month, quarter, year."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

GRAINS = ("day", "month", "quarter", "year")
LIVE = "live"


_BUCKET_US = 900_000_000   # every UTC offset and DST switch falls on a quarter hour


def periods_of(epoch_us: int, tz: ZoneInfo) -> tuple[tuple[str, str], ...]:
    """The (grain, period) pairs an instant belongs to, e.g. ("month", "2026-11")."""
    return _periods(epoch_us // _BUCKET_US, tz)


@lru_cache(maxsize=65_536)
def _periods(bucket: int, tz: ZoneInfo) -> tuple[tuple[str, str], ...]:
    local = datetime.fromtimestamp(bucket * _BUCKET_US / 1_000_000, tz=UTC).astimezone(tz)
    y, m = local.year, local.month
    return (
        ("day", f"{y:04d}-{m:02d}-{local.day:02d}"),
        ("month", f"{y:04d}-{m:02d}"),
        ("quarter", f"{y:04d}-Q{(m - 1) // 3 + 1}"),
        ("year", f"{y:04d}"),
    )


_PERIOD_FORMS = (("day", re.compile(r"^\d{4}-\d{2}-\d{2}$")), ("month", re.compile(r"^\d{4}-\d{2}$")),
                 ("quarter", re.compile(r"^\d{4}-Q[1-4]$")), ("year", re.compile(r"^\d{4}$")))


def grain_of(period: str) -> str:
    """The grain a period is written in: 2026-11-22 day, 2026-11 month, 2026-Q4 quarter, 2026 year."""
    for grain, form in _PERIOD_FORMS:
        if form.match(period):
            check_period(grain, period)
            return grain
    raise ValueError(f"not a period: {period!r} (a day 2026-11-22, month 2026-11, quarter 2026-Q4, year)")


def check_period(grain: str, period: str) -> str:
    """`period` if it is a real period of `grain` (2026-13 and 2026-02-30 are not), else ValueError."""
    form = dict(_PERIOD_FORMS).get(grain)
    if form is None or not form.match(period):
        raise ValueError(f"not a {grain} period: {period!r}")
    try:
        _first_day(grain, period)
    except ValueError:
        raise ValueError(f"not a {grain} period: {period!r}") from None
    return period


def previous_period(grain: str, period: str) -> str:
    """The period before, of the same grain: 2026-01 -> 2025-12, 2026-Q1 -> 2025-Q4, 2026-03-01 -> 2026-02-28
    (a day before a month, a quarter, a year)."""
    start = _first_day(grain, check_period(grain, period))
    if grain == "day":
        return (start - timedelta(days=1)).isoformat()
    if grain == "year":
        return str(start.year - 1)
    if grain == "quarter":
        q = (start.month - 1) // 3 + 1
        return f"{start.year - 1}-Q4" if q == 1 else f"{start.year}-Q{q - 1}"
    return f"{start.year - 1}-12" if start.month == 1 else f"{start.year}-{start.month - 1:02d}"


def period_bounds(grain: str, period: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a period in local time `tz`, as aware datetimes."""
    first = _first_day(grain, check_period(grain, period))
    if grain == "day":
        after = first + timedelta(days=1)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[grain]
        index = first.year * 12 + first.month - 1 + months
        after = date(index // 12, index % 12 + 1, 1)
    return (datetime.combine(first, time(), tz), datetime.combine(after, time(), tz))


def _first_day(grain: str, period: str) -> date:
    year = int(period[:4])
    if grain == "day":
        return date.fromisoformat(period)
    if grain == "month":
        return date(year, int(period[5:7]), 1)
    if grain == "quarter":
        return date(year, 3 * int(period[-1]) - 2, 1)
    return date(year, 1, 1)
