"""What the e-office, population and telecom data sets share: unit codes, local time, the
record helpers and the key and row shapes of the expected KPI tables (see tests/datasets/__init__.py).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

A, B, C, D = "03388", "03408", "03390", "03394"
S, T = "12.SNV", "12.STC"
P = "12"
LIVE = ("live", "live")
BIG = "x" * (1024 * 1024 + 10)   # makes any record too_large (over 1 MiB)

Key = tuple[str, str, str, str]
Row = tuple[Any, Any, Any]


def L(day_time: str) -> str:
    return f"2026-{day_time}:00+07:00"


def drop(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


def reasons(bad: list[tuple[Any, str]]) -> dict[str, int]:
    return dict(Counter(reason for _, reason in bad))

