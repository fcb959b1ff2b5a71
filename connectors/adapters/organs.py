"""Organ codes and names (`organs.csv`, wire-formats 0.8), shared by `dvcqg` and `edxml`.

`organ_id` is the organ's electronic identifier (`mã định danh`), `names` what one-stop systems write
in `DonViXuLy`. Names compare after NFC, case folding, collapsing spaces and one tone placement (old
`Uỷ`/`hoà` and new `Ủy`/`hòa` read alike).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from contract.units import AGENCY, COMMUNE, UnitRegistry

COLUMNS = ("organ_id", "unit", "names", "verified")
# Old-style tone placement on the second vowel of oa/oe/uy and the new style on the first.
_TONES = "\u0301\u0300\u0309\u0303\u0323"  # sắc, huyền, hỏi, ngã, nặng (combining, after NFD)


@dataclass(frozen=True)
class Organs:
    by_id: dict[str, str] = field(default_factory=dict)  # organ_id -> unit
    by_name: dict[str, str] = field(default_factory=dict)  # normalised name -> unit

    def unit_of_id(self, organ_id: str) -> str | None:
        return self.by_id.get(organ_id.strip())

    def unit_of_name(self, name: str) -> str | None:
        return self.by_name.get(normalise(name))


def normalise(name: str) -> str:
    """NFC, case folded, spaces collapsed, tone marks of oa/oe/uy on their first vowel."""
    decomposed = unicodedata.normalize("NFD", " ".join(name.split()).casefold())
    chars = list(decomposed)
    for i in range(len(chars) - 2):
        pair = chars[i] + chars[i + 1]
        if pair in ("oa", "oe", "uy") and chars[i + 2] in _TONES and _syllable_ends(chars, i + 3):
            # an old-style mark on the second vowel moves onto the first
            chars[i + 1], chars[i + 2] = chars[i + 2], chars[i + 1]
    return unicodedata.normalize("NFC", "".join(chars))


def _syllable_ends(chars: list[str], at: int) -> bool:
    """Only an open syllable has two placements (hòa/hoà, thủy/thuỷ); Đoàn has one."""
    return at >= len(chars) or not (chars[at].isalpha() or unicodedata.combining(chars[at]))


def load_organs(path: Path, units: UnitRegistry, problems: list[str]) -> Organs:
    """Read organs.csv; every problem is appended to `problems`. No file: no organ known."""
    if not path.exists():
        problems.append(f"{path}: missing (wire-formats 0.8: a row per commune and agency)")
        return Organs()
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            problems.append(f"{path}: missing column(s) {', '.join(missing)}")
            return Organs()
        for n, row in enumerate(reader, start=2):
            where = f"{path.name}:{n}"
            unit, organ_id = (row["unit"] or "").strip(), (row["organ_id"] or "").strip()
            if not units.is_handling_unit(unit):
                problems.append(f"{where}: unit {unit!r} is not a commune or agency of the province")
                continue
            if (row["verified"] or "").strip() not in ("yes", "no"):
                problems.append(f"{where}: verified = {row['verified']!r}: yes or no")
            if organ_id:
                if by_id.get(organ_id, unit) != unit:
                    problems.append(f"{where}: organ_id {organ_id} is given to {by_id[organ_id]} and {unit}")
                by_id[organ_id] = unit
            for name in filter(None, (x.strip() for x in (row["names"] or "").split("|"))):
                key = normalise(name)
                if by_name.get(key, unit) != unit:
                    problems.append(f"{where}: name {name!r} is given to {by_name[key]} and {unit}")
                by_name[key] = unit
    return Organs(by_id, by_name)


def _swap_tones(name: str) -> str:
    chars = list(unicodedata.normalize("NFD", name))
    i = 0
    while i < len(chars) - 2:
        a, b, c = chars[i], chars[i + 1], chars[i + 2]
        if not _syllable_ends(chars, i + 3):
            i += 1
        elif ((a + c).lower() in ("oa", "oe", "uy") and b in _TONES) or (
            (a + b).lower() in ("oa", "oe", "uy") and c in _TONES
        ):  # new style: mark on the first
            chars[i + 1], chars[i + 2] = c, b
            i += 3
        else:
            i += 1
    return unicodedata.normalize("NFC", "".join(chars))


def generate(
    units: UnitRegistry, province_id_rows: list[tuple[str, str, list[str]]], commune_kinds: dict[str, str]
) -> str:
    """The default organs.csv of a province (0.8): a row per commune and agency with no organ_id and
    generated names, then the given (organ_id, unit, names) rows, unverified."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    province = units.province.name_vi
    for unit in units.of_level(COMMUNE):
        word = "phường" if commune_kinds.get(unit.code) == "phuong" else "xã"
        names = [
            f"UBND {word} {unit.name_vi}",
            f"Ủy ban nhân dân {word} {unit.name_vi}",
            f"Uỷ ban nhân dân {word} {unit.name_vi}",
            f"{word} {unit.name_vi}",
        ]
        writer.writerow(["", unit.code, "|".join(_with_variants(names)), "no"])
    for unit in units.of_level(AGENCY):
        # "Văn phòng Ủy ban nhân dân tỉnh" + " Lai Châu", "Sở Nội vụ" + " tỉnh Lai Châu"
        suffix = f" {province}" if unit.name_vi.endswith(" tỉnh") else f" tỉnh {province}"
        writer.writerow(
            ["", unit.code, "|".join(_with_variants([unit.name_vi, unit.name_vi + suffix])), "no"]
        )
    for organ_id, unit_code, names in province_id_rows:
        writer.writerow([organ_id, unit_code, "|".join(_with_variants(names)), "no"])
    return out.getvalue()


def _with_variants(names: list[str]) -> list[str]:
    seen: list[str] = []
    for name in names:
        for variant in (name, _swap_tones(name)):
            if variant not in seen:
                seen.append(variant)
    return seen


# The People's Committee's organ code where the spec found it (wire-formats 0.8, 6: unverified).
PROVINCE_ORGAN_IDS = {"12": "000.00.00.H35"}


def default_organs(province_dir: Path, units: UnitRegistry) -> str:
    """The organs.csv a province starts with: generated names, no guessed organ codes."""
    kinds: dict[str, str] = {}
    with (province_dir / "communes.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            kinds[(row.get("code") or "").strip()] = (row.get("kind") or "").strip()
    code, name = units.province.code, units.province.name_vi
    committee = [f"UBND tỉnh {name}", f"Ủy ban nhân dân tỉnh {name}", f"Uỷ ban nhân dân tỉnh {name}"]
    return generate(units, [(PROVINCE_ORGAN_IDS.get(code, ""), f"{code}.VP", committee)], kinds)
