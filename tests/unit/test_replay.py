"""The replay (every KPI from archived records in one process) against the hand-worked values."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import orjson
import pytest

from ioc.config import load_config
from streams.kpis.index766.rules import Index766, load_supplied
from streams.replay import Replay, ReplayResult
from tests import dvc_dataset as ds
from tests.integration.test_index766 import SUPPLIED

CONFIG = load_config()
SETTINGS = CONFIG.settings
assert CONFIG.index766 is not None
RULES = CONFIG.index766.rules
NOW_US = 2_000_000_000_000_000   # 2033: after every due time of the data set
UPDATED = "2026-11-18T00:00:00Z"


def replay(records: list[dict[str, Any]], tmp_path: Path) -> ReplayResult:
    path = tmp_path / "supplied.toml"
    path.write_text(SUPPLIED)
    problems: list[str] = []
    supplied = load_supplied(path, RULES, problems)
    assert not problems
    r = Replay(SETTINGS.units, Index766(RULES, supplied))
    r.fold("dvc", [orjson.dumps(x) for x in records])
    return r.finish(NOW_US, UPDATED)


def value(result: ReplayResult, kpi: str, unit: str, grain: str, period: str) -> tuple[Any, Any, Any] | None:
    u = result.updates.get(f"{kpi}|{unit}|{grain}|{period}")
    return None if u is None else (u.value, u.numerator, u.denominator)


def close(a: Any, b: Any) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))


def test_every_hand_worked_dvc_row(tmp_path: Path) -> None:
    result = replay(ds.PHASE1 + ds.PHASE2, tmp_path)
    for key, expected in ds.EXPECTED.items():
        got = value(result, *key)
        assert got is not None and all(close(a, b) for a, b in zip(got, expected)), (key, got, expected)
    for key in ds.ABSENT:
        assert value(result, *key) is None, key
    assert result.records["dvc"] == len(ds.PHASE1 + ds.PHASE2) and not result.errors["dvc"]


@pytest.mark.parametrize(
    "unit,expected",
    [
        (ds.A, 9 + 15 + 12 + 3 + 8 + 12 + 6 * (2 / 3) / 0.9),
        (ds.P, 6 + 15 + 12 + 3 + 3 + 8 / 7 + 2 + 6 / 7 + 12 + 6 * (2 / 3) / 0.9),
        (ds.S, 24.0),
    ],
)
def test_the_766_index_worked_by_hand(tmp_path: Path, unit: str, expected: float) -> None:
    result = replay(ds.PHASE1 + ds.PHASE2, tmp_path)
    total = result.updates[f"index766.total|{unit}|month|2026-11"]
    assert math.isclose(total.value or 0, expected, rel_tol=1e-9)
    assert total.detail is not None and total.detail["total"] == total.value


def test_phase_one_only_is_the_phase_one_state(tmp_path: Path) -> None:
    result = replay(ds.PHASE1, tmp_path)
    for key, expected in ds.EXPECTED_PHASE1.items():
        assert value(result, *key) == expected
    for key in ds.ABSENT_PHASE1:
        assert value(result, *key) is None


def test_drill_down_rows_of_every_dossier(tmp_path: Path) -> None:
    result = replay(ds.PHASE1 + ds.PHASE2, tmp_path)
    dossiers = result.details["dvc"]
    assert {r["MaHoSo"] for r in ds.PHASE1 + ds.PHASE2} == set(dossiers)
    assert {d for d, row in dossiers.items() if row["on_time"] is False} == {"D3", "D6"}


def test_a_record_the_fold_refuses_is_counted_not_raised(tmp_path: Path) -> None:
    broken = {k: v for k, v in ds.PHASE1[0].items() if k != "MaDonVi"}
    result = replay([broken, *ds.PHASE1[1:]], tmp_path)
    assert result.errors["dvc"] == 1 and result.records["dvc"] == len(ds.PHASE1) - 1


def test_the_replay_forgets_closed_dossiers_beyond_the_horizon_and_says_how_many() -> None:
    from streams.kpis import horizon

    late = 30 * horizon.DAY_US
    r = Replay(SETTINGS.units, None, late)
    t0 = 1_793_000_000_000_000
    d1 = [orjson.dumps(x) for x in ds.D1]
    r.fold("dvc", d1, [t0] * len(d1))
    d8 = [orjson.dumps(x) for x in ds.D8]
    r.fold("dvc", d8, [t0 + late + horizon.MARGIN_US + horizon.PASS_EVERY_US + 1] * len(d8))
    assert r.drain_parting("dvc").keys() == {"D1"}  # its last drill-down row, before it went
    result = r.finish(NOW_US, UPDATED)
    assert result.forgotten["dvc"] == 1 and result.kept["dvc"] == 1
    assert value(result, "dvc.received", ds.A, "month", "2026-11") == (2, None, None)  # D1 still counts
