"""Comparing KPI rows with hand-worked values, the same way in the unit tests, the integration
tests and the fault trials: None only equals None, text must be equal, numbers may differ by a
relative 1e-9 (float sums in another order)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Key = tuple[str, str, str, str]   # (kpi, unit, grain, period)


def close(got: Any, want: Any) -> bool:
    """One value of a KPI row: equal, or both numbers within a relative 1e-9."""
    if got is None or want is None:
        return got is None and want is None
    if isinstance(got, str) or isinstance(want, str):
        return got == want
    return got == want or math.isclose(got, want, rel_tol=1e-9, abs_tol=0.0)


def kpi_problems(actual: Mapping[Key, Sequence[Any]], expected: Mapping[Key, Sequence[Any]],
                 absent: Sequence[Key]) -> list[str]:
    """Every expected row missing or with another value, and every row present that must not be."""
    problems = []
    for key, want in expected.items():
        got = actual.get(key)
        if got is None or not all(close(g, w) for g, w in zip(got, want)):
            problems.append(f"{key}: expected {want}, got {got}")
    problems += [f"{key}: expected no row, got {actual[key]}" for key in absent if key in actual]
    return problems


def assert_kpis(actual: Mapping[Key, Sequence[Any]], expected: Mapping[Key, Sequence[Any]],
                absent: Sequence[Key]) -> None:
    """`actual` holds every `expected` row (values `close`) and none of the `absent` keys."""
    problems = kpi_problems(actual, expected, absent)
    assert not problems, "\n".join(problems)
