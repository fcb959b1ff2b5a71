"""The horizon: too-late records are refused by rule, and forgetting state never changes a number."""
from __future__ import annotations

import random
from typing import Any

import pytest

from contract.settings import load_settings
from streams.kpis import horizon
from streams.kpis.base import Fold
from streams.kpis.horizon import DAY_US, Tombstones, TooLate
from streams.kpis.registry import KPIS
from tests import dvc_dataset as ds

UNITS = load_settings().units
LATE = 30 * DAY_US
T0 = 1_793_000_000_000_000   # an arrival time in late October 2026


def closing(dossier: str, unit: str = ds.A) -> list[dict[str, Any]]:
    """A dossier received and finished (status 9): closed once both arrived."""
    due = ds.L("11-06T17:00")
    return [ds.rec(dossier, unit, 2, ds.L("11-02T08:00"), ds.L("11-02T08:00"), due),
            ds.rec(dossier, unit, 9, ds.L("11-05T10:00"), ds.L("11-02T08:00"), due,
                   NgayKetThucXuLy=ds.L("11-05T10:00"))]


def rating(dossier: str, stars: int = 5) -> dict[str, Any]:
    return ds.rec(dossier, ds.A, 10, ds.L("11-09T10:00"), ds.L("11-02T08:00"), ds.L("11-06T17:00"),
                  NgayKetThucXuLy=ds.L("11-05T10:00"), MucDoHaiLong=stars)


def test_a_record_arriving_beyond_the_horizon_after_closing_is_refused() -> None:
    fold = KPIS["dvc"].new_fold(UNITS, LATE)
    for r in closing("X"):
        fold.apply(r, T0)
    fold.apply(rating("X", 4), T0 + LATE)           # just within: applied
    with pytest.raises(TooLate, match="closed more than 30 days"):
        fold.apply(rating("X", 5), T0 + LATE + 1)
    assert fold.detail("X")["status"] == 10


def test_an_open_dossier_is_never_too_late() -> None:
    fold = KPIS["dvc"].new_fold(UNITS, LATE)
    fold.apply(closing("Y")[0], T0)
    fold.apply(closing("Y")[1], T0 + 10 * LATE)     # open for ten horizons, then finished: counted
    assert fold.detail("Y")["finished_at"] is not None


def test_a_closed_dossier_is_forgotten_and_leaves_only_a_digest() -> None:
    fold = KPIS["dvc"].new_fold(UNITS, LATE)
    for r in closing("X"):
        fold.apply(r, T0)
    fold.drain_details()
    later = T0 + LATE + horizon.MARGIN_US + horizon.PASS_EVERY_US + 1
    for r in closing("Z"):
        fold.apply(r, later)                         # the partition's clock moves on
    assert "X" not in fold.entities() and "X" in fold.forgotten and "Z" in fold.entities()
    with pytest.raises(TooLate):
        fold.apply(rating("X"), later)


def partials_of(fold: Fold) -> dict[Any, list[int]]:
    return {k: v for k, v in fold.partials.sums.items() if any(v)}


@pytest.mark.parametrize("seed", range(20))
def test_forgetting_never_changes_a_number_or_a_refusal(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random dossiers and arrivals: a fold that forgets and one that keeps everything (the
    same refusal rule) accept the same records and hold the same sums."""
    rng = random.Random(seed)
    records = []
    for i in range(60):
        opened = T0 + rng.randrange(0, 200) * DAY_US
        late_ones = [rating(f"D{i}", rng.choice([2, 5])) for _ in range(rng.randrange(0, 3))]
        records += [(opened, r) for r in closing(f"D{i}")]
        records += [(opened + rng.randrange(0, 2 * LATE), r) for r in late_ones]
    records.sort(key=lambda x: x[0])

    def run(margin: int) -> tuple[dict[Any, list[int]], list[int], int]:
        monkeypatch.setattr(horizon, "MARGIN_US", margin)
        fold, refused = KPIS["dvc"].new_fold(UNITS, LATE), []
        for n, (arrival, r) in enumerate(records):
            try:
                fold.apply(r, arrival)
            except TooLate:
                refused.append(n)
        return partials_of(fold), refused, len(fold.forgotten)   # type: ignore[attr-defined]

    forgetting, keeping = run(DAY_US), run(10_000 * DAY_US)
    assert forgetting[:2] == keeping[:2]
    assert forgetting[1], "the data should include refused records"
    assert forgetting[2] > 0 and keeping[2] == 0, "one fold should have forgotten dossiers"


def test_events_older_than_the_horizon_are_refused_and_old_years_forgotten() -> None:
    fold = KPIS["population"].new_fold(UNITS, LATE)
    event = {
        "event_id": "v1",
        "kind": "verification",
        "commune": ds.A,
        "event_time": "2025-06-01T08:00:00+07:00",
        "result": "ok",
        "latency_ms": 10,
    }
    arrival_2025 = 1_749_000_000_000_000  # 2025-06-04
    fold.apply(event, arrival_2025)
    fold.samples.drain()
    with pytest.raises(TooLate, match="more than 30 days before it arrived"):
        fold.apply({**event, "event_id": "v2"}, arrival_2025 + LATE)
    assert 2025 in fold.verified  # type: ignore[attr-defined]
    in_2026 = 1_770_000_000_000_000  # 2026-02-02: 2025 ended > 30 days + margin before
    fold.apply({**event, "event_id": "v3", "event_time": "2026-02-01T08:00:00+07:00"}, in_2026)
    assert 2025 not in fold.verified and 2026 in fold.verified  # type: ignore[attr-defined]
    assert not [k for k in fold.samples.values if k[3].startswith("2025")]
    assert fold.partials.sums[("verify", ds.A, "year", "2025")] == [1, 1]  # the numbers stay


def test_without_arrival_times_nothing_is_refused_or_forgotten() -> None:
    fold = KPIS["dvc"].new_fold(UNITS, LATE)
    for r in closing("X") + [rating("X")]:
        fold.apply(r)
    assert "X" in fold.entities()


def test_tombstones_hold_digests_in_a_sorted_array() -> None:
    stones = Tombstones()
    names = [f"dossier-{i}" for i in range(Tombstones.MERGE_AT + 10)]
    for name in names:
        stones.add(name)
    assert len(stones) == len(names) and all(n in stones for n in names[::997])
    assert "dossier-x" not in stones
