"""KPI rows from validated records without a broker: the records folded per partition and the
folds combined, as the KPI workers do it, for the unit tests of the hand-worked data sets."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contract.units import UnitRegistry
from streams.kpis.base import Fold, SourceKpis
from streams.kpis.combine import Combiner
from tests.kpi_checks import Key

Record = dict[str, Any]
KpiRows = dict[Key, tuple[Any, Any, Any]]   # (kpi, unit, grain, period) -> (value, numerator, denominator)


def fold_and_combine(kpis: SourceKpis, units: UnitRegistry, records: list[Record],
                     partition_of: Callable[[Record], int], partitions: int, now_us: int) -> KpiRows:
    """Fold each record into fold `partition_of(record) % partitions`, hand every fold's partial
    sums, samples and live counters at `now_us` to one combiner, and return what it computes."""
    folds = [kpis.new_fold(units) for _ in range(partitions)]
    for r in records:
        folds[partition_of(r) % partitions].apply(r)
    combiner = Combiner(kpis, units, partitions, owns=lambda key: True)
    for src, fold in enumerate(folds):
        _hand_over(combiner, src, fold, now_us)
        combiner.mark_ready(src)
    return _rows(combiner)


def _hand_over(combiner: Combiner, src: int, fold: Fold, now_us: int) -> None:
    combiner.put(src, (1, 1), list(fold.partials.sums.items()))
    for key, (start, values) in fold.samples.drain().items():
        combiner.put_samples(src, key, start, values)
    for family, per_unit in fold.live(now_us).items():
        combiner.put(src, (1, 1), [((family, unit, "live", "live"), list(v) if isinstance(v, tuple) else [v])
                                   for unit, v in per_unit.items()])


def _rows(combiner: Combiner) -> KpiRows:
    out = {}
    for key, rows, _ in combiner.drain():
        for kpi, value, num, den in rows:
            out[(kpi, key[1], key[2], key[3])] = (value, num, den)
    return out
