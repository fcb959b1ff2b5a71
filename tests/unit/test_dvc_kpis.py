"""The pure dvc fold and combiner, without any broker: same hand-worked values as the integration test."""
from __future__ import annotations

import random
from typing import Any

import pytest

from contract.settings import load_settings
from streams.kpis.dvc import DvcKpis, Rec, outcome
from tests import dvc_dataset as ds
from tests.kpi_checks import assert_kpis
from tests.kpi_compute import KpiRows, fold_and_combine

UNITS = load_settings().units
KPIS = DvcKpis()


def compute(
    records: list[dict[str, Any]], partitions: int = 1, now_us: int = 2_000_000_000_000_000
) -> KpiRows:
    """Fold records over `partitions` folds (as the workers do), then combine."""
    return fold_and_combine(KPIS, UNITS, records, lambda r: hash(r["MaHoSo"]), partitions, now_us)


ALL = ds.PHASE1 + ds.PHASE2


def test_hand_worked_values() -> None:
    assert_kpis(compute(ALL), ds.EXPECTED, ds.ABSENT)


def test_phase1_values() -> None:
    assert_kpis(compute(ds.PHASE1), ds.EXPECTED_PHASE1, ds.ABSENT_PHASE1)


@pytest.mark.parametrize("seed", range(5))
def test_order_and_partitioning_do_not_matter(seed: int) -> None:
    shuffled = ALL[:]
    random.Random(seed).shuffle(shuffled)
    assert compute(shuffled, partitions=3) == compute(ALL)


def test_redelivered_records_count_once() -> None:
    assert compute(ALL + ALL[:7]) == compute(ALL)


def _r(ts: int, status: int, due: int | None = 100, end: int | None = None) -> Rec:
    return Rec(ts, status, ds.A, 1, False, False, False, False, False, False, 0, due, end, None, "1.001757")


def test_supplement_time_is_subtracted() -> None:
    # asked at 10, resumed at 40 (30 of waiting); finished at 120 <= due 100 + 30
    assert outcome([_r(0, 2), _r(10, 5), _r(40, 4), _r(120, 9, end=120)]).on_time  # type: ignore[union-attr]
    assert not outcome([_r(0, 2), _r(10, 5), _r(20, 4), _r(120, 9, end=120)]).on_time  # type: ignore[union-attr]


def test_two_supplement_requests_are_late_even_without_due() -> None:
    done = outcome(
        [_r(0, 2, None), _r(1, 5, None), _r(2, 4, None), _r(3, 5, None), _r(4, 4, None), _r(5, 9, None)]
    )
    assert done is not None and not done.on_time


def test_no_due_is_on_time_and_first_finishing_record_counts() -> None:
    done = outcome([_r(0, 2, None), _r(50, 10, None, end=60), _r(30, 9, None, end=30)])
    assert done is not None and (done.finished_at, done.on_time, done.processing_us) == (30, True, 30)


def test_not_finished_has_no_outcome() -> None:
    assert outcome([_r(0, 2), _r(5, 3, end=5)]) is None


def test_a_moved_dossier_leaves_no_empty_row() -> None:
    """A correction moving a dossier to another receipt month retracts the old month's rows."""
    first = ds.rec("M1", ds.A, 2, ds.L("11-02T08:00"), ds.L("11-02T08:00"))
    moved = ds.rec("M1", ds.A, 4, ds.L("11-03T08:00"), "2026-10-30T08:00:00+07:00")
    out = compute([first, moved])
    assert ("dvc.received", ds.A, "month", "2026-10") in out
    assert ("dvc.received", ds.A, "month", "2026-11") not in out


def test_overdue_follows_the_clock() -> None:
    open_dossier = ds.rec("O1", ds.B, 4, ds.L("11-01T08:00"), ds.L("11-01T08:00"), ds.L("11-10T17:00"))
    due_us = 1_794_304_800_000_000  # 2026-11-10T17:00+07:00
    assert compute([open_dossier], now_us=due_us - 1)[("dvc.overdue_open", ds.B, "live", "live")][0] == 0
    assert compute([open_dossier], now_us=due_us + 1)[("dvc.overdue_open", ds.B, "live", "live")][0] == 1
