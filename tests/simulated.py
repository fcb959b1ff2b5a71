"""What the simulator's unit tests share: the project's settings, a simulated world from a fixed
start, and an independent reading of the contract (sections 2, 3 and 7) to check records against:
required fields, strict types, closed lists, unit codes, no personal id, event time at most
10 minutes after arrival.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from connectors.privacy import contains_personal_id
from contract.settings import load_settings
from contract.timestamps import parse_ts
from contract.units import UnitRegistry
from simulator.run import GENERATORS
from simulator.world import World

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = load_settings(ROOT / "config" / "pipeline.toml")
UNITS = SETTINGS.units
TZ7 = timezone(timedelta(hours=7))
START = datetime(2025, 9, 1, tzinfo=TZ7).timestamp()          # a Monday, after the 2025 merger
ALL = tuple(GENERATORS)
DIGIT_RUN_12 = re.compile(rb"[0-9]{12}")


def world(seed: int = 7, sites: int = 300, rate_scale: float = 1.0, start: float = START) -> World:
    return World(seed, start, UNITS, rate_scale, sites)


# -- an independent reading of contract sections 2, 3 and 7 -----------------------------------------
TS = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
HANDLING = "handling"
COMMUNE = "commune"
DVC = {
    "MaHoSo": ("str", True),
    "MaTTHC": ("str", True),
    "MaDonVi": (HANDLING, True),
    "KenhThucHien": ({1, 2, 3}, True),
    "TrangThaiHoSo": (set(range(1, 11)), True),
    "ThoiGianCapNhat": ("ts", True),
    "NgayTiepNhan": ("ts", True),
    "NgayHenTra": ("ts", False),
    "NgayKetThucXuLy": ("ts", False),
    "DichVuToanTrinh": ("bool", False),
    "CoNghiaVuTaiChinh": ("bool", False),
    "DuocThanhToanTrucTuyen": ({0, 1, 2}, False),
    "HoSoCoThanhPhanSoHoa": ("bool", False),
    "CoKetQuaDienTu": ("bool", False),
    "TaiKhoanDuocXacThucVoiVNeID": ("bool", False),
    "MucDoHaiLong": ({1, 2, 3, 4, 5}, False),
}
EOFFICE = {
    "doc_id": ("str", True),
    "unit": (HANDLING, True),
    "direction": ({"incoming", "outgoing"}, True),
    "status": (
        {"received", "registered", "assigned", "processing", "completed", "issued", "rejected", "recalled"},
        True,
    ),
    "event_time": ("ts", True),
    "deadline": ("ts", False),
    "urgency": ({"normal", "urgent", "very_urgent", "flash"}, False),
    "electronic": ("bool", False),
    "digitally_signed": ("bool", False),
}
POPULATION = {
    "event_id": ("str", True),
    "kind": ({"eid_application", "eid_activated", "verification", "record_corrected"}, True),
    "commune": (COMMUNE, True),
    "event_time": ("ts", True),
    "level": ({1, 2}, False),
    "citizen_ref": ("str", False),
    "result": ({"ok", "mismatch", "not_found", "error"}, False),
    "latency_ms": ("num", False),
    "requester": ("str", False),
}
TELECOM = {
    "site": {
        "site_id": ("str", True),
        "operator": ("str", False),
        "commune": (COMMUNE, True),
        "technologies": ("techs", False),
        "villages": ("strlist", False),
        "valid_from": ("ts", True),
    },
    "alarm": {
        "alarm_id": ("str", True),
        "site_id": ("str", True),
        "operator": ("str", False),
        "probable_cause": ("str", True),
        "severity": ({"critical", "major", "minor", "warning"}, True),
        "state": ({"raised", "cleared"}, True),
        "event_time": ("ts", True),
    },
    "pm": {
        "site_id": ("str", True),
        "period_start": ("ts", True),
        "period_s": ("int", False),
        "availability_pct": ("pct", True),
        "traffic_erl": ("num", False),
        "data_mb": ("num", False),
        "users": ("int", False),
    },
}
EVENT_TIME = {
    "dvc": "ThoiGianCapNhat",
    "eoffice": "event_time",
    "population": "event_time",
    "site": "valid_from",
    "alarm": "event_time",
    "pm": "period_start",
}


def value_ok(kind: Any, v: Any, units: UnitRegistry) -> bool:
    is_int = isinstance(v, int) and not isinstance(v, bool)
    if isinstance(kind, set):
        return (is_int or isinstance(v, str)) and v in kind
    return {
        "str": lambda: isinstance(v, str) and v.strip() != "",
        "bool": lambda: isinstance(v, bool),
        "int": lambda: is_int and v >= 0,
        "num": lambda: (is_int or isinstance(v, float)) and v >= 0,
        "pct": lambda: (is_int or isinstance(v, float)) and 0 <= v <= 100,
        "ts": lambda: isinstance(v, str) and TS.fullmatch(v) is not None,
        "strlist": lambda: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "techs": lambda: isinstance(v, list) and bool(v) and set(v) <= {"2G", "3G", "4G", "5G"},
        HANDLING: lambda: isinstance(v, str) and units.is_handling_unit(v),
        COMMUNE: lambda: isinstance(v, str) and units.is_commune(v),
    }[kind]()


def contract_problems(source: str, rec: dict[str, Any], now: float) -> list[str]:
    kind = rec.get("kind") if source == "telecom" else source
    table = (
        TELECOM.get(kind)
        if source == "telecom"
        else {"dvc": DVC, "eoffice": EOFFICE, "population": POPULATION}[source]
    )
    if table is None:
        return [f"kind {kind!r}"]
    problems = [
        f
        for f, (k, required) in table.items()
        if (rec.get(f) is None and required) or (rec.get(f) is not None and not value_ok(k, rec[f], UNITS))
    ]
    if contains_personal_id(rec) or DIGIT_RUN_12.search(orjson.dumps(rec)):
        problems.append("twelve digits")
    event = parse_ts(rec[EVENT_TIME[kind]]) / 1e6
    if event > now + 600:
        problems.append("future_time")
    return problems
