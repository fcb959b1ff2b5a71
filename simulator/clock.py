"""Simulated time and the calendar the generators share.

Times are epoch seconds (floats) inside the simulator; records get ISO-8601 strings in the
province's time zone (+07:00 for Vietnam) only when they are built.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

HOUR, DAY = 3600.0, 86400.0
QUARTER = 900.0
# Office hours of Vietnamese state bodies (northern provinces): 7:30-11:30 and 13:30-17:00,
# Monday to Friday. Dossier and document handling happens inside them.
WORK_PERIODS = ((7.5, 11.5), (13.5, 17.0))
WORK_DAY_S = sum(end - start for start, end in WORK_PERIODS) * HOUR


class SimClock:
    """Runs `speed` simulated seconds per real second from `start`, never past real time.

    Once the simulated time reaches the wall clock it simply follows it (1x), so no record can
    carry an event time after its arrival (contract 3: `future_time`).
    """

    def __init__(self, start: float, speed: float, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        if start > wall():
            raise ValueError("the simulated clock cannot start in the future")
        self.start, self.speed = start, speed
        self._wall, self._mono = wall, monotonic
        self._mono0 = monotonic()

    def now(self) -> float:
        compressed = self.start + (self._mono() - self._mono0) * self.speed
        return min(compressed, self._wall())

    def live(self) -> bool:
        """True once the simulated time has caught up with the wall clock."""
        return self.start + (self._mono() - self._mono0) * self.speed >= self._wall()


class Calendar:
    """Local time, office hours and timestamp formatting in the province's time zone."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    def local(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.tz)

    def iso(self, t: float) -> str:
        # whole seconds: event times never round up past the moment they were generated
        return datetime.fromtimestamp(int(t), self.tz).isoformat()

    def midnight(self, day: date) -> float:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()

    def hour_of(self, t: float) -> tuple[int, int]:
        """(local hour 0..23, weekday 0=Monday) of an instant."""
        dt = self.local(t)
        return dt.hour, dt.weekday()

    def _periods(self, day: date) -> list[tuple[float, float]]:
        if day.weekday() >= 5:
            return []
        base = self.midnight(day)
        return [(base + a * HOUR, base + b * HOUR) for a, b in WORK_PERIODS]

    def _period_at_or_after(self, t: float) -> tuple[float, float]:
        """The office period containing t, or the next one."""
        day = self.local(t).date()
        for _ in range(10):
            for start, end in self._periods(day):
                if t < end:
                    return max(t, start), end
            day += timedelta(days=1)
        raise AssertionError("no office hours within ten days")

    def is_working(self, t: float) -> bool:
        return self._period_at_or_after(t)[0] == t

    def next_working(self, t: float) -> float:
        return self._period_at_or_after(t)[0]

    def add_working(self, t: float, seconds: float) -> float:
        """The instant `seconds` of office time after t (t itself moved into office hours first)."""
        remaining = max(0.0, seconds)
        while True:
            start, end = self._period_at_or_after(t)
            if start + remaining < end:
                return start + remaining
            remaining -= end - start
            t = end

    def add_working_days(self, t: float, days: float) -> float:
        return self.add_working(t, days * WORK_DAY_S)

    def work_overlap(self, hour_start: float) -> float:
        """Seconds of office time in the hour starting at `hour_start` (for arrival rates)."""
        start, end = hour_start, hour_start + HOUR
        total, t = 0.0, start
        while t < end:
            a, b = self._period_at_or_after(t)
            if a >= end:
                break
            total += min(b, end) - a
            t = b
        return total


def next_boundary(t: float, step: float) -> float:
    """The first multiple of `step` seconds strictly after t (hours and quarter hours: Vietnam's
    offset is a whole number of hours, so epoch boundaries are local boundaries)."""
    return (int(t // step) + 1) * step


def floor_boundary(t: float, step: float) -> float:
    return int(t // step) * step
