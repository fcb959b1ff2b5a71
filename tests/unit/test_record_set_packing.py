"""Closed entities are kept packed (pickled records, no view): packing never changes a number."""
from __future__ import annotations

import pickle
import random
from typing import Any

import pytest

from streams.kpis.record_set import RecordSetFold
from streams.kpis.registry import KPIS
from tests.unit.test_horizon import UNITS, closing, partials_of, rating


def test_a_closed_dossier_is_packed_and_a_later_record_opens_it_again() -> None:
    fold = KPIS["dvc"].new_fold(UNITS)
    assert isinstance(fold, RecordSetFold)
    received, finished = closing("X")
    fold.apply(received)
    assert "X" in fold.entities_ and "X" not in fold.packed   # open: objects and a view
    fold.apply(finished)
    assert "X" in fold.packed and "X" not in fold.entities_ and "X" not in fold.views.views
    closed_detail = fold.detail("X")
    assert closed_detail["status"] == 9 and fold.entities() == ["X"]
    fold.apply(rating("X", 3))                 # one more record: read, re-derived, packed again
    assert "X" in fold.packed and fold.detail("X")["status"] == 10
    fold.apply(rating("X", 3))                 # the same identity again: nothing moves
    assert fold.detail("X")["status"] == 10


def fold_all(records: list[dict[str, Any]], packing: bool, monkeypatch: pytest.MonkeyPatch) -> RecordSetFold:
    with monkeypatch.context() as m:
        if not packing:
            m.setattr(RecordSetFold, "_pack", lambda self, entity, records: None)
        fold = KPIS["dvc"].new_fold(UNITS)
        for r in records:
            fold.apply(r)
        fold.drain_details()
        assert isinstance(fold, RecordSetFold)
        return fold


@pytest.mark.parametrize("seed", range(20))
def test_packing_never_changes_a_number(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dossiers whose records come in any order and some twice (a rating after closing, a
    closing record before the receipt): a packing fold and one that keeps every entity as
    objects hold the same sums, details and overdue clocks, and the packing one survives a
    snapshot."""
    rng = random.Random(seed)
    records = []
    for i in range(40):
        records += closing(f"D{i}") + [rating(f"D{i}", rng.choice([2, 5])) for _ in range(rng.randrange(3))]
        if rng.random() < 0.3:
            records.append(closing(f"O{i}")[0])   # stays open
    records += rng.sample(records, 10)
    rng.shuffle(records)
    packed, plain = fold_all(records, True, monkeypatch), fold_all(records, False, monkeypatch)
    assert packed.packed and not plain.packed
    assert partials_of(packed) == partials_of(plain)
    assert packed.open_due == plain.open_due
    details = {e: plain.detail(e) for e in plain.entities()}
    assert {e: packed.detail(e) for e in packed.entities()} == details
    restored = pickle.loads(pickle.dumps(packed))
    for r in records:                            # everything again after a restore: nothing moves
        restored.apply(r)
    assert partials_of(restored) == partials_of(plain)
