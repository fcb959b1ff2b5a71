"""Declarative field rules and the checker that applies them in the contract's reason order.

Reasons are decided category by category (missing_field, bad_type, bad_enum, unknown_unit,
future_time), and within a category by the field's position in the source's table (contract 7).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from contract.timestamps import parse_ts
from contract.units import UnitRegistry

STR, INT, BOOL, TS, NUMBER, STR_LIST = "str", "int", "bool", "ts", "number", "str_list"

UnitCheck = Callable[[UnitRegistry, str], bool]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: str
    required: bool = False
    enum: frozenset[Any] | None = None
    unit: UnitCheck | None = None    # the value must be a unit code accepted by this check
    within: tuple[float, float] | None = (
        None  # a number outside this range is `bad_enum` (its list of values)
    )


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _type_ok(kind: str, v: Any) -> bool:
    if kind == STR:
        return isinstance(v, str)
    if kind == INT:
        return is_int(v)
    if kind == BOOL:
        return isinstance(v, bool)
    if kind == TS:
        return isinstance(v, str) and parse_ts(v) is not None
    if kind == NUMBER:
        return _finite_number(v)
    if kind == STR_LIST:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    raise ValueError(f"unknown field kind {kind}")


def _finite_number(v: Any) -> bool:
    """A JSON number a double holds. Parsing already refuses an integer beyond a double (as the KPI
    worker's orjson does), but math.isfinite() of one would raise OverflowError: never let it."""
    if isinstance(v, float):
        return math.isfinite(v)
    if not is_int(v):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def _enum_ok(f: Field, v: Any) -> bool:
    if f.within is not None:
        return bool(f.within[0] <= v <= f.within[1])
    if f.enum is None:
        return True
    values = v if f.kind == STR_LIST else [v]
    return all(x in f.enum for x in values)


def _absent(v: Any, f: Field) -> bool:
    return v is None or (f.kind == STR and isinstance(v, str) and not v.strip())


def first_problem(record: dict[str, Any], fields: tuple[Field, ...], units: UnitRegistry) -> str | None:
    """The reason the record cannot be used, or None. Optional null fields count as absent."""
    present = [(f, record.get(f.name)) for f in fields]
    for f, v in present:
        if f.required and _absent(v, f):
            return f"missing_field:{f.name}"
    present = [(f, v) for f, v in present if v is not None]
    for f, v in present:
        if not _type_ok(f.kind, v):
            return f"bad_type:{f.name}"
    for f, v in present:
        if not _enum_ok(f, v):
            return f"bad_enum:{f.name}"
    for f, v in present:
        if f.unit is not None and not f.unit(units, str(v)):
            return f"unknown_unit:{v}"
    return None
