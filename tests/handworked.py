"""Every hand-worked data set in one sequence of requests, and the values worked out for its end.

The same request bodies in the same order as the source tests send them (tests/dvc_dataset.py,
tests/datasets/): dvc, e-office, population and telecom, each phase 1 with its duplicates and bad
records, then phase 2, then the telecom cut-off steps one alarm at a time. Used wherever a whole
pipeline must give the hand-worked values under other conditions: two workers instead of one
(tests/integration/test_scale_out.py), Apache Kafka instead of the embedded broker (tests/kafka).
"""
from __future__ import annotations

from typing import Any

from tests import datasets as ds
from tests import dvc_dataset as dvc
from tests.kpi_checks import Key


def requests() -> list[tuple[str, list[Any], int]]:
    """(source, records, accepted) in the order the source tests send them."""
    out: list[tuple[str, list[Any], int]] = [
        ("dvc", dvc.PHASE1 + [bad for bad, _ in dvc.BAD], 21), ("dvc", dvc.PHASE2, len(dvc.PHASE2)),
        ("eoffice", ds.EOFFICE_PHASE1 + [b for b, _ in ds.EOFFICE_BAD], ds.EOFFICE_ACCEPTED_PHASE1),
        ("eoffice", ds.EOFFICE_PHASE2, ds.EOFFICE_ACCEPTED_PHASE2),
        ("population", ds.POP_PHASE1 + [b for b, _ in ds.POP_BAD], ds.POP_ACCEPTED_PHASE1),
        ("population", ds.POP_PHASE2, ds.POP_ACCEPTED_PHASE2),
        ("telecom", ds.TEL_PHASE1 + [b for b, _ in ds.TEL_BAD], ds.TEL_ACCEPTED_PHASE1),
        ("telecom", ds.TEL_PHASE2, ds.TEL_ACCEPTED_PHASE2)]
    out += [("telecom", [record], 1) for record, *_ in ds.TEL_STEPS]
    return out


def expected() -> dict[str, tuple[dict[Key, tuple[Any, Any, Any]], list[Key]]]:
    """Per source, (expected rows, absent keys) once every request above is reflected in DuckDB."""
    return {"dvc": (dvc.EXPECTED, dvc.ABSENT),
            "eoffice": (ds.EOFFICE_EXPECTED, ds.EOFFICE_ABSENT),
            "population": (ds.POP_EXPECTED, ds.POP_ABSENT),
            "telecom": (ds.TEL_EXPECTED, ds.TEL_ABSENT)}


def dead_letters() -> dict[str, int]:
    """Dead letters per source the gateway makes of those requests (every bad record, once)."""
    return {"dvc": len(dvc.BAD), "eoffice": len(ds.EOFFICE_BAD), "population": len(ds.POP_BAD),
            "telecom": len(ds.TEL_BAD)}
