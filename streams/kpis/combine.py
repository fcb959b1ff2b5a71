"""Combine partial sums from every source partition into KPI values (pure).

Each source partition reports its latest partial vector per aggregate key, ordered by the
offset it had applied up to; the latest report wins, so a repeated or re-ordered report after a
rebalance or restart can never count twice. Values are emitted only once every source partition
has rebuilt its state, so a restart never shows half-summed numbers.
"""
from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from contract.units import UnitRegistry
from streams.kpis.base import AggKey, KpiRow, SourceKpis, Vector, live_key

Order = tuple[int, int, int]   # (broker epoch, next input offset of the reporting state, emission time)


class Combiner:
    def __init__(
        self, kpis: SourceKpis, units: UnitRegistry, sources: int, owns: Callable[[AggKey], bool]
    ) -> None:
        self.kpis, self.units, self.sources, self.owns = kpis, units, sources, owns
        self.parts: dict[AggKey, dict[int, tuple[Order, Vector]]] = {}
        self.samples: dict[AggKey, dict[int, array[float]]] = {}   # doubles: 8 bytes a value, not 32
        self.ready: set[int] = set()
        self.emitted: dict[AggKey, dict[str, KpiRow]] = {}
        self.dirty: set[AggKey] = set()

    @property
    def all_ready(self) -> bool:
        return len(self.ready) >= self.sources

    def mark_ready(self, src: int) -> None:
        if not self.all_ready:
            self.ready.add(src)
            if self.all_ready:  # first complete view: emit everything, live keys of all units too
                self.dirty.update(self.parts)
                self.dirty.update(self.samples)
                self.dirty.update(self._live_keys())

    def put(self, src: int, order: Order, items: Sequence[tuple[AggKey, Vector]]) -> None:
        for key, vec in items:
            per_src = self.parts.setdefault(key, {})
            previous = per_src.get(src)
            if previous is None or previous[0] <= order:
                per_src[src] = (order, vec)
                self.dirty.add(key)

    def put_samples(self, src: int, key: AggKey, start: int, values: Sequence[float]) -> None:
        """Append a source partition's new values; a resend (after a rebuild) adds only the rest."""
        known = self.samples.setdefault(key, {}).setdefault(src, array("d"))
        if start <= len(known) < start + len(values):
            known.extend(values[len(known) - start :])
            self.dirty.add(key)

    def drain(self) -> list[tuple[AggKey, list[KpiRow], list[str]]]:
        """Changed KPI rows and retracted KPI names per key; empty until all sources are ready."""
        if not self.all_ready:
            return []
        out: list[tuple[AggKey, list[KpiRow], list[str]]] = []
        for key in self.dirty:
            family = self.kpis.family(key[0])
            vec = self._merged(key) if family.samples else self._sum(key, family.size)
            previous = self.emitted.get(key, {})
            if not family.live and (not vec if family.samples else vec[0] == 0):  # no base set: no row
                if previous:
                    out.append((key, [], list(previous)))
                    self.emitted.pop(key, None)
                continue
            rows = {row[0]: row for row in family.kpis(vec)}
            changed = [row for name, row in rows.items() if previous.get(name) != row]
            if changed:
                out.append((key, changed, []))
                self.emitted[key] = rows
        self.dirty.clear()
        return out

    def _sum(self, key: AggKey, size: int) -> Vector:
        total = [0] * size
        for _, vec in self.parts.get(key, {}).values():
            for i, v in enumerate(vec):
                total[i] += v
        return total

    def _merged(self, key: AggKey) -> list[float]:
        return sorted(v for values in self.samples.get(key, {}).values() for v in values)

    def _live_keys(self) -> list[AggKey]:
        keys: list[AggKey] = []
        for family in self.kpis.families:
            if family.live:
                keys += [
                    k
                    for u in self.units.of_level(*family.levels)
                    if self.owns(k := live_key(family.name, u.code))
                ]
        return keys
