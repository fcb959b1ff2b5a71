"""The province and its units (communes and agencies), loaded from the province folder in config/."""
from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROVINCE, AGENCY, COMMUNE = "province", "agency", "commune"
_COMMUNE_CODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    level: str      # province | agency | commune
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class UnitRegistry:
    province: Unit
    timezone: ZoneInfo
    units: dict[str, Unit]

    def level(self, code: str) -> str | None:
        unit = self.units.get(code)
        return unit.level if unit else None

    def is_commune(self, code: str) -> bool:
        return self.level(code) == COMMUNE

    def is_handling_unit(self, code: str) -> bool:
        """A commune or an agency: the units that handle dossiers and documents."""
        return self.level(code) in (COMMUNE, AGENCY)

    def of_level(self, *levels: str) -> list[Unit]:
        return [u for u in self.units.values() if u.level in levels]


# Stands in for the units of a province folder that could not be read: only ever beside the
# problem that says why, which stops the pipeline before anything uses it.
NO_UNITS = UnitRegistry(Unit("", PROVINCE, "", ""), ZoneInfo("Asia/Ho_Chi_Minh"), {})


def load_units(province_dir: Path, problems: list[str]) -> UnitRegistry | None:
    """Read province.toml and its CSVs; append every problem found to `problems`."""
    meta_path = province_dir / "province.toml"
    try:
        meta = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{meta_path}: {exc}")
        return None
    code = str(meta.get("code", ""))
    if not re.fullmatch(r"\d{2}", code):
        problems.append(f"{meta_path}: code = {code!r}: a two-digit province code")
    try:
        tz = ZoneInfo(str(meta.get("timezone", "Asia/Ho_Chi_Minh")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{meta_path}: timezone = {meta.get('timezone')!r}: an IANA time zone")
        tz = ZoneInfo("Asia/Ho_Chi_Minh")
    province = Unit(code, PROVINCE, str(meta.get("name_vi", code)), str(meta.get("name_en", code)))
    units = {code: province}
    for row, where in _rows(
        province_dir / str(meta.get("communes", "communes.csv")), ("code", "name"), problems
    ):
        if not _COMMUNE_CODE.match(row["code"]):
            problems.append(f"{where}: commune code {row['code']!r}: five digits")
        _add(
            units, Unit(row["code"], COMMUNE, row["name"], row.get("name_en") or row["name"]), where, problems
        )
    for row, where in _rows(
        province_dir / str(meta.get("agencies", "agencies.csv")), ("code", "name_vi"), problems
    ):
        if not row["code"].startswith(code + "."):
            problems.append(f"{where}: agency code {row['code']!r} must start with the province code {code}.")
        _add(
            units,
            Unit(row["code"], AGENCY, row["name_vi"], row.get("name_en") or row["name_vi"]),
            where,
            problems,
        )
    return UnitRegistry(province, tz, units)


def _rows(path: Path, required: tuple[str, ...], problems: list[str]) -> Iterator[tuple[dict[str, str], str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                problems.append(f"{path}: missing column(s) {', '.join(missing)}")
                return
            for n, row in enumerate(reader, start=2):
                yield {k: (v or "").strip() for k, v in row.items() if k}, f"{path.name}:{n}"
    except OSError as exc:
        problems.append(f"{path}: {exc}")


def _add(units: dict[str, Unit], unit: Unit, where: str, problems: list[str]) -> None:
    if unit.code in units:
        problems.append(f"{where}: duplicate unit code {unit.code}")
    units[unit.code] = unit
