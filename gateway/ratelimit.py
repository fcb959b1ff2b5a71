"""A bounded request rate per ingest token (token bucket): a runaway source cannot starve others."""
from __future__ import annotations

import time


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: float) -> None:
        self.rate, self.burst = rate_per_s, burst
        self._level, self._at = burst, time.monotonic()

    def take(self) -> float:
        """0 if a request may pass now, else the seconds to wait before the next one."""
        now = time.monotonic()
        self._level = min(self.burst, self._level + (now - self._at) * self.rate)
        self._at = now
        if self._level >= 1:
            self._level -= 1
            return 0.0
        return (1 - self._level) / self.rate
