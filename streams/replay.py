"""Every KPI from an archive in one process (`ioc replay`): the stages' pure logic without a broker.

The KPI workers fold each raw partition, sum the partials of every partition (Combiner) and score
the 766 index from the dvc KPIs. A replay does the same in memory: one fold per source over the
whole archive (partial sums are additive, so one partition gives the totals of many), a combiner
with that single sender, then the index. Same code, same numbers as the live pipeline; no Kafka,
no Faust, no record-by-record round trips through a broker.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from contract.records import KpiUpdate
from contract.units import UnitRegistry
from streams.kpis.base import (
    AggKey,
    Fold,
    KpiRow,
    SourceKpis,
    fold_record,
    live_vectors,
)
from streams.kpis.combine import Combiner
from streams.kpis.emit import kpi_updates
from streams.kpis.horizon import TooLate
from streams.kpis.index766.book import IndexBook
from streams.kpis.index766.rules import Index766
from streams.kpis.record_set import RecordSetFold
from streams.kpis.registry import KPIS

SOLE = 0   # the one "partition" a replay folds


@dataclass
class ReplayResult:
    updates: dict[str, KpiUpdate] = field(default_factory=dict)            # KPI key -> update
    details: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)   # source -> entity -> row
    records: Counter[str] = field(default_factory=Counter)    # folded, per source
    too_late: Counter[str] = field(default_factory=Counter)   # beyond the horizon, per source
    errors: Counter[str] = field(
        default_factory=Counter
    )  # refused by the fold, per source (dead letters live)
    forgotten: Counter[str] = field(default_factory=Counter)  # closed entities beyond the horizon, per source
    kept: Counter[str] = field(default_factory=Counter)  # entities still in memory, per source


class Replay:
    def __init__(self, units: UnitRegistry, index766: Index766 | None, late_us: int | None = None) -> None:
        self.units, self.index766 = units, index766
        self.folds: dict[str, Fold] = {source: kpis.new_fold(units, late_us) for source, kpis in KPIS.items()}
        self.result = ReplayResult()

    def fold(
        self, source: str, records: Sequence[str | bytes], arrivals: Sequence[int | None] | None = None
    ) -> None:
        """Fold raw records (the archive's JSON text, with their arrival times) in; a record the
        fold refuses was a dead letter when it first came, and is skipped here too."""
        fold = self.folds[source]
        done = late = errors = 0
        for text, arrival in zip(records, arrivals or [None] * len(records), strict=True):
            refused = fold_record(fold, text, arrival)
            if refused is None:
                done += 1
            elif isinstance(refused, TooLate):
                late += 1
            else:
                errors += 1
        self.result.records[source] += done
        self.result.too_late[source] += late
        self.result.errors[source] += errors

    def finish(self, now_us: int, updated_at: str) -> ReplayResult:
        """The KPI rows of every source, then the index over the dvc ones, and the drill-down rows."""
        for source, kpis in KPIS.items():
            fold = self.folds[source]
            for key, rows in _combined(kpis, self.units, fold, now_us):
                for update in kpi_updates(self.units, key, rows, updated_at):
                    self._add(update)
            if kpis.drill_down:
                self.result.details[source] = self.drain_details(source, everything=True)
            if isinstance(fold, RecordSetFold):  # entities that close: dossiers, documents
                self.result.forgotten[source] = len(fold.forgotten)
                self.result.kept[source] = len(fold.entities())
        if self.index766 is not None:
            self._index(self.index766, updated_at)
        return self.result

    def drain_details(self, source: str, everything: bool = False) -> dict[str, dict[str, Any]]:
        """Drill-down rows of the entities in memory (changed ones, or all with `everything`) and
        of those forgotten since the last drain."""
        return self.folds[source].drain_details(everything) if KPIS[source].drill_down else {}

    def drain_parting(self, source: str) -> dict[str, dict[str, Any]]:
        """The last drill-down rows of entities forgotten since the last drain: a caller that
        stores them as it goes keeps memory to what a worker holds."""
        return self.folds[source].drain_parting()

    def _add(self, update: KpiUpdate) -> None:
        self.result.updates[update.key] = update

    def _index(self, index766: Index766, updated_at: str) -> None:
        book = IndexBook(index766, self.units)
        domain = KPIS["dvc"].domain
        for u in list(self.result.updates.values()):
            if u.kpi.startswith(f"{domain}."):
                book.put(u.kpi, u.unit, u.grain, u.period, u)
        for _, updates, _ in book.drain(updated_at):
            for update in updates:
                self._add(update)


def _combined(
    kpis: SourceKpis, units: UnitRegistry, fold: Fold, now_us: int
) -> list[tuple[AggKey, list[KpiRow]]]:
    """The combine stage's rows for a single sender holding everything."""
    combiner = Combiner(kpis, units, 1, lambda key: True)
    combiner.put(
        SOLE, (0, 0, 0), list(fold.partials.sums.items()) + list(live_vectors(kpis, fold, now_us).items())
    )
    for key, values in fold.samples.values.items():
        combiner.put_samples(SOLE, key, 0, values)
    combiner.mark_ready(SOLE)
    return [(key, rows) for key, rows, _ in combiner.drain()]
