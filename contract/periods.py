"""Calendar periods in the province's local time: day, month, quarter, year."""
from __future__ import annotations

from datetime import UTC, datetime
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
