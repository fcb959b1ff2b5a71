"""The fold stage's reports to the combine stage never grow with history: however large a state a
fold reports at once (after folding a year from offset 0), every message stays small, and the
combine rebuilds exactly the same sums and samples from the pieces."""
from __future__ import annotations

import random

from contract.records import stable_partition, unit_period
from streams.engine import partials
from streams.kpis.combine import Combiner
from streams.kpis.registry import KPIS
from tests.simulated import SETTINGS

LIMIT = 256 << 10


def big_state(keys: int, samples: int) -> tuple[dict, dict]:
    rng = random.Random(7)
    units = [u.code for u in SETTINGS.units.units.values()]
    vectors = {("verify", rng.choice(units), "day", f"2026-{i // 28 % 12 + 1:02d}-{i % 28 + 1:02d}#{i}"):
               [rng.randrange(10**9), rng.randrange(10**9)] for i in range(keys)}
    values = {("latency", "12", "year", "2026"): (0, [rng.uniform(1, 5000) for _ in range(samples)])}
    return vectors, values


def test_every_message_stays_under_the_bound_whatever_the_state() -> None:
    vectors, samples = big_state(keys=200_000, samples=1_000_000)
    sizes = [len(value) for _, value in partials.messages(partials.items_of(vectors, samples), 4)]
    assert sum(sizes) > 20 * LIMIT   # a state far larger than one message
    assert max(sizes) <= LIMIT, max(sizes)


def test_the_combine_puts_the_pieces_back_together() -> None:
    vectors, samples = big_state(keys=5_000, samples=20_000)
    combiners = {q: Combiner(KPIS["population"], SETTINGS.units, 1, lambda key: True) for q in range(4)}
    for q, value in partials.messages(partials.items_of(vectors, samples), 4):
        combiner = combiners[q]
        items = partials.decode(value)
        for f, u, g, p, payload in items:
            assert stable_partition(unit_period(u, g, p), 4) == q   # every key where its unit-period goes
            if isinstance(payload, dict):
                combiner.put_samples(0, (f, u, g, p), payload["start"], payload["values"])
            else:
                combiner.put(0, (1, 1, 1), [((f, u, g, p), payload)])
    got = {key: vec for c in combiners.values() for key, per in c.parts.items() for _, vec in per.values()}
    assert got == vectors
    merged = {key: v.tolist()
              for c in combiners.values() for key, per in c.samples.items() for v in per.values()}
    assert merged == {key: values for key, (_, values) in samples.items()}
