"""The input of every fault trial: a realistic, reproducible stream of all four sources.

Records come from the project's simulator (`ioc simulate --dump` does the same: `generate` plus
`Faults`), started on 10 March 2025 so that every due time and deadline is long past: the live
KPIs (`overdue_open`) then do not depend on when a run happens, and the whole `kpi_latest`
(live rows included) of a disturbed run must equal that of the undisturbed run. On top of the
simulator's bad copies (missing field, no offset, bad enum, unknown unit, cut line), a seeded
share of lines is delivered a second time later in the stream (sources deliver at least once).

The stream is cut into many small NDJSON batches, sources interleaved, so that a fault lands
while records of every source are flowing.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from contract.settings import load_settings
from simulator.clock import HOUR
from simulator.faults import Faults
from simulator.run import generate
from simulator.world import World

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("dvc", "eoffice", "population", "telecom")
START = datetime(2025, 3, 10, 0, 0, tzinfo=UTC).timestamp()   # 07:00 in Lai Châu


@dataclass(frozen=True)
class Batch:
    source: str
    lines: tuple[bytes, ...]

    @property
    def body(self) -> bytes:
        return b"\n".join(self.lines)


@dataclass(frozen=True)
class Workload:
    name: str
    batches: tuple[Batch, ...]

    def records(self, source: str | None = None) -> int:
        return sum(len(b.lines) for b in self.batches if source is None or b.source == source)

    def split(self, *fractions: float) -> list[tuple[Batch, ...]]:
        """Consecutive parts of the stream at the given cumulative fractions of its batches."""
        cuts = [0] + [round(f * len(self.batches)) for f in fractions] + [len(self.batches)]
        return [self.batches[a:b] for a, b in itertools.pairwise(cuts)]


# quick: for `make test` (seconds of work per run); full: for `make test-faults`.
SIZES = {"quick": dict(sim_hours=4.0, sites=6, rate_scale=0.5, batch=(4, 14)),
         "full": dict(sim_hours=12.0, sites=30, rate_scale=1.0, batch=(5, 40))}


@cache
def workload(size: str, seed: int = 20250310) -> Workload:
    spec = SIZES[size]
    units = load_settings(ROOT / "config" / "pipeline.toml").units
    world = World(seed, START, units, float(spec["rate_scale"]), int(spec["sites"]))  # type: ignore[arg-type]
    records = generate(world, SOURCES, START + float(spec["sim_hours"]) * HOUR)  # type: ignore[arg-type]
    faults = Faults(world, 0.03)
    rng = random.Random(f"{seed}:{size}:stream")
    streams: dict[str, list[bytes]] = {}
    for source in SOURCES:
        lines = faults.lines(source, records[source])
        for i in rng.sample(range(len(lines)), k=len(lines) // 30):   # ~3 % delivered again, later
            lines.insert(rng.randrange(i, len(lines) + 1), lines[i])
        streams[source] = lines
    lo, hi = spec["batch"]  # type: ignore[misc]
    batches: list[Batch] = []
    cursors = dict.fromkeys(SOURCES, 0)
    while any(cursors[s] < len(streams[s]) for s in SOURCES):
        left = [s for s in SOURCES if cursors[s] < len(streams[s])]
        # pick a source in proportion to what it has left, so all four flow until near the end
        source = rng.choices(left, weights=[len(streams[s]) - cursors[s] for s in left])[0]
        n = rng.randint(lo, hi)
        batches.append(Batch(source, tuple(streams[source][cursors[source]:cursors[source] + n])))
        cursors[source] += n
    return Workload(size, tuple(batches))
