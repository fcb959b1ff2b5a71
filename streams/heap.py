"""The garbage collector's policy for long-lived KPI state, shared by the workers and `ioc replay`.

KPI state is millions of long-lived objects without reference cycles; left in the collected
generations, every full collection scans all of them (on a year of records, 3-4x the folding
time). What survived a collection moves into the permanent generation, now and then.
"""
from __future__ import annotations

import gc
import time


class HeapSettler:
    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s, self.last = every_s, 0.0

    def __call__(self) -> None:
        """Collect and freeze, at most every `every_s` seconds."""
        if time.monotonic() - self.last >= self.every_s:
            gc.collect()
            settle()
            self.last = time.monotonic()


def settle() -> None:
    """What exists now lives long (state just rebuilt, a replay's batch folded): move it to the
    permanent generation, out of every later collection."""
    gc.freeze()
