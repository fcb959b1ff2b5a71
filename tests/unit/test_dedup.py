"""The duplicate index: exact within the horizon, in memory that does not grow with the archive."""
from __future__ import annotations

import hashlib
from array import array

import pytest

from connectors.dedup import DAY_US, SLOT_US, Identity, IdentityIndex

NOW_US = 1_795_000_000_000_000 // DAY_US * DAY_US   # a midnight (UTC)


def ident(n: int, event_us: int, grid: tuple[str, int] | None = None) -> Identity:
    return Identity(hashlib.blake2b(str(n).encode(), digest_size=16).digest(), event_us, grid)


def test_first_copy_wins_and_reservations_hold_until_commit_or_release() -> None:
    index = IdentityIndex()
    a, b = ident(1, NOW_US), ident(2, NOW_US)
    assert index.reserve("dvc", a) and not index.reserve("dvc", a)   # reserved by the first batch
    index.release("dvc", [a])
    assert index.reserve("dvc", a) and index.reserve("dvc", b)
    index.commit("dvc", [a, b])
    assert not index.reserve("dvc", a) and index.contains("dvc", b) and index.count("dvc") == 2
    assert index.reserve("eoffice", a)   # per source


def test_counters_on_the_grid_are_one_bit_each() -> None:
    index = IdentityIndex()
    starts = [NOW_US - d * DAY_US + q * SLOT_US for d in range(400) for q in range(96)]
    index.commit("telecom", [ident(i, s, ("S1", s)) for i, s in enumerate(starts)])
    assert index.count("telecom") == len(starts)
    again = [ident(i, s, ("S1", s)) for i, s in enumerate(starts)]
    assert not any(index.reserve("telecom", x) for x in again)
    assert index.reserve("telecom", ident(0, NOW_US, ("S2", NOW_US)))   # another site
    row = index._sources["telecom"].grid["S1"]
    assert len(row.bits) == 400 * 12   # 12 bytes a day


def test_a_day_loaded_as_a_mask_equals_its_records() -> None:
    index = IdentityIndex()
    day = NOW_US // DAY_US
    index.load_grid("telecom", "S1", day, (1 << 0) | (1 << 95) | (1 << 40))
    assert index.contains("telecom", ident(0, NOW_US, ("S1", NOW_US)))
    assert index.contains("telecom", ident(0, NOW_US, ("S1", NOW_US + 95 * SLOT_US)))
    assert not index.contains("telecom", ident(0, NOW_US, ("S1", NOW_US + 1 * SLOT_US)))
    assert index.count("telecom") == 3


def test_masks_over_days_already_held_count_each_quarter_hour_once() -> None:
    index = IdentityIndex()
    day = NOW_US // DAY_US
    index.load_grid("telecom", "S1", day, 0b1011)
    index.load_grid("telecom", "S1", day, 0b0110 | (1 << 95))    # overlaps the first mask
    index.load_grid("telecom", "S1", day - 2, 1 << 50)           # before the first day: room in front
    one_by_one = IdentityIndex()
    starts = [day * DAY_US + q * SLOT_US for q in (0, 1, 2, 3, 95)] + [(day - 2) * DAY_US + 50 * SLOT_US]
    one_by_one.commit("telecom", [ident(0, s, ("S1", s)) for s in starts])
    assert index.count("telecom") == one_by_one.count("telecom") == 6
    assert index._sources["telecom"].grid["S1"].bits == one_by_one._sources["telecom"].grid["S1"].bits


@pytest.mark.parametrize("dated", [True, False])
def test_days_loaded_at_once_equal_the_identities_one_by_one(dated: bool) -> None:
    """The restart's load (ioc/restore.py: a sorted array of digests per event day, from DuckDB)."""
    times = [NOW_US - (n % 9) * DAY_US + n for n in range(5_000)]
    identities = [Identity(ident(n, 0).digest, t, None, dated) for n, t in enumerate(times)]
    one_by_one, at_once = IdentityIndex(), IdentityIndex()
    one_by_one.load("population", identities)
    days: dict[int, list[int]] = {}
    for i in identities:
        days.setdefault(i.event_us // DAY_US, []).append(i.prefix)
    at_once.load_days("population", [(d, array("q", sorted(v[::2]))) for d, v in days.items()], dated)
    at_once.load_days("population", [(d, array("q", sorted(v[1::2]))) for d, v in days.items()], dated)
    assert at_once.count("population") == one_by_one.count("population") == 5_000
    moved = [Identity(i.digest, i.event_us + 3 * DAY_US, None, dated) for i in identities[:50]]
    for probe in identities + moved + [ident(n, NOW_US) for n in range(5_000, 5_100)]:
        assert at_once.contains("population", probe) == one_by_one.contains("population", probe)


def test_identities_beyond_the_horizon_are_forgotten() -> None:
    horizon = 30 * DAY_US
    index = IdentityIndex(horizon)
    old, recent = NOW_US - 40 * DAY_US, NOW_US - 1 * DAY_US
    index.load("dvc", [ident(1, old), ident(2, recent)])
    index.load_grid("telecom", "S1", old // DAY_US, 1)
    index.load_grid("telecom", "S1", recent // DAY_US, 1)
    for source in index._sources.values():
        source.forget_before(index.horizon_start_us(NOW_US) // DAY_US)
    assert not index.contains("dvc", ident(1, old)) and index.contains("dvc", ident(2, recent))
    assert not index.contains("telecom", ident(0, old, ("S1", old)))
    assert index.contains("telecom", ident(0, recent, ("S1", recent)))
    assert index.count("dvc") == 1 and index.count("telecom") == 1


def test_a_copy_at_another_time_is_a_duplicate_when_the_identity_holds_no_time() -> None:
    """A population event is its event_id: a copy re-sent with another event time is the same record
    (found by the fault trials: accepted twice, archived once)."""
    horizon = 30 * DAY_US
    index = IdentityIndex(horizon)
    old, first, later = NOW_US - 40 * DAY_US, NOW_US - 3 * DAY_US, NOW_US - 1 * DAY_US
    undated = [Identity(ident(n, t).digest, t, None, dated=False) for n, t in ((1, old), (2, first))]
    index.commit("population", undated)
    assert not index.reserve("population", Identity(undated[1].digest, later, None, dated=False))
    source = index._sources["population"]
    source.forget_before(index.horizon_start_us(NOW_US) // DAY_US)
    assert index.reserve("population", Identity(undated[0].digest, later, None, dated=False))   # forgotten
    assert not index.reserve("population", Identity(undated[1].digest, old, None, dated=False))
    assert index.count("population") == 1


def test_population_identities_are_undated_the_others_dated() -> None:
    from connectors.registry import SOURCES

    assert [s for s, spec in SOURCES.items() if not spec.dated_identity] == ["population"]
