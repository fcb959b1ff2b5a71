"""The Quix peer's pure dossier fold (tests/bench/peer_quix.py), without Quix or a broker: the
hand-worked values, and the same numbers as the pipeline's own fold on random dossiers (the bench's
comparison means something only if both read the contract alike)."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from contract.settings import load_settings
from streams.kpis.dvc import DvcKpis
from tests import dvc_dataset as ds
from tests.bench.peer_quix import Contribution, Slim, apply, kpi_rows
from tests.kpi_checks import assert_kpis
from tests.kpi_compute import KpiRows, fold_and_combine

UNITS = load_settings().units
KPIS = ("dvc.received", "dvc.on_time_rate")


def peer(records: list[dict[str, Any]]) -> KpiRows:
    """Each record through `apply` with its dossier's state, the deltas summed per (unit, month):
    what the two Quix stages do, in one process."""
    dossiers: dict[str, tuple[dict[str, Slim], Contribution]] = {}
    sums: dict[tuple[str, str], list[int]] = {}
    for r in records:
        held, sent = dossiers.get(r["MaHoSo"], ({}, []))
        step = apply(held, sent, r, UNITS.timezone, UNITS.province.code)
        if step is None:
            continue
        dossiers[r["MaHoSo"]] = (held, step[0])
        for d in step[1]:
            acc = sums.setdefault((d["unit"], d["month"]), [0, 0, 0])
            for i, v in enumerate(d["d"]):
                acc[i] += v
    return kpi_rows([{"unit": u, "month": m, "received": r, "finished": f, "on_time": o}
                     for (u, m), (r, f, o) in sums.items()])


def ours(records: list[dict[str, Any]]) -> KpiRows:
    rows = fold_and_combine(DvcKpis(), UNITS, records, lambda r: 0, 1, 2_000_000_000_000_000)
    return {k: v for k, v in rows.items() if k[0] in KPIS and k[2] == "month"}


def two_kpis(rows: dict[Any, Any]) -> dict[Any, Any]:
    return {k: v for k, v in rows.items() if k[0] in KPIS and k[2] == "month"}


ALL = ds.PHASE1 + ds.PHASE2


def test_hand_worked_values() -> None:
    assert_kpis(peer(ALL), two_kpis(ds.EXPECTED), [k for k in ds.ABSENT if k[0] in KPIS])
    assert_kpis(peer(ds.PHASE1), two_kpis(ds.EXPECTED_PHASE1), [k for k in ds.ABSENT_PHASE1 if k[0] in KPIS])


@pytest.mark.parametrize("seed", range(3))
def test_order_and_redelivery_do_not_matter(seed: int) -> None:
    shuffled = ALL + ALL[:7]
    random.Random(seed).shuffle(shuffled)
    assert peer(shuffled) == peer(ALL)


def random_dossier(rnd: random.Random, i: int, units: list[str]) -> list[dict[str, Any]]:
    """Status changes with supplement rounds, a due time or none (sometimes moved), an end or none, a
    unit move, times written in UTC or local near month edges; some records sent twice."""
    tz = UNITS.timezone
    received = datetime(2026, rnd.randint(1, 11), 1, tzinfo=tz) + timedelta(minutes=rnd.randint(-180, 180))
    due = received + timedelta(days=rnd.choice((1, 3, 7))) if rnd.random() < 0.8 else None
    unit, t = rnd.choice(units), received
    statuses = [2, 4] + [s for _ in range(rnd.choice((0, 0, 1, 2))) for s in (5, 4)]
    statuses += [rnd.choice((9, 10, 9, 3))] + ([10] if rnd.random() < 0.5 else [])
    out = []
    for status in statuses[: rnd.randint(2, len(statuses))]:
        t += timedelta(hours=rnd.randint(1, 60))
        if rnd.random() < 0.1:
            unit = rnd.choice(units)
        if due is not None and rnd.random() < 0.15:
            due += timedelta(days=rnd.choice((-2, 2)))   # a later record moves the due time
        written = t.astimezone(UTC) if rnd.random() < 0.5 else t.astimezone(tz)
        extra = {"NgayKetThucXuLy": t.isoformat()} if status in (3, 9, 10) and rnd.random() < 0.8 else {}
        out.append(ds.rec(f"R{i}", unit, status, written.isoformat(), received.isoformat(),
                          due.isoformat() if due else None, **extra))
    return out + [dict(r, KenhThucHien=2) for r in out if rnd.random() < 0.1]   # copies: the first wins


@pytest.mark.parametrize("seed", range(4))
def test_same_numbers_as_the_pipeline_fold(seed: int) -> None:
    rnd = random.Random(seed)
    units = [u.code for u in UNITS.of_level("commune", "agency")][:6]
    records = [r for i in range(300) for r in random_dossier(rnd, i, units)]
    rnd.shuffle(records)
    want = ours(records)
    assert sum(1 for k in want if k[0] == "dvc.on_time_rate") > 10
    got = peer(records)
    assert set(got) == set(want)
    assert_kpis(got, want, [])
