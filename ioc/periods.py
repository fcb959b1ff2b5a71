"""Calendar periods in the province's local time: day, month, quarter, year."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

GRAINS = ("day", "month", "quarter", "year")
LIVE = "live"


def periods_of(epoch_us: int, tz: ZoneInfo) -> tuple[tuple[str, str], ...]:
    """The (grain, period) pairs an instant belongs to, e.g. ("month", "2026-11")."""
    local = datetime.fromtimestamp(epoch_us / 1_000_000, tz=timezone.utc).astimezone(tz)
    y, m = local.year, local.month
    return (
        ("day", f"{y:04d}-{m:02d}-{local.day:02d}"),
        ("month", f"{y:04d}-{m:02d}"),
        ("quarter", f"{y:04d}-Q{(m - 1) // 3 + 1}"),
        ("year", f"{y:04d}"),
    )
