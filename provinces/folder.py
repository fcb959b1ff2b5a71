"""A province's configuration folder, as config/provinces/lai-chau/ has it: province.toml,
communes.csv (official codes and names after 1 July 2025) and agencies.csv from a template.

The texts are made by pure functions; write_folder() only writes them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from provinces.divisions import SOURCE, ProvinceDivisions

# The words a template may hold, by the province's kind: a centrally-run city's office is the
# "Văn phòng Ủy ban nhân dân thành phố", its police the "Công an thành phố".
LEVEL_WORDS = {"tinh": {"cap": "tỉnh", "Cap": "Provincial"}, "thanh_pho": {"cap": "thành phố", "Cap": "City"}}
KIND_WORDS = {"phuong": "wards", "xa": "communes", "dac_khu": "special zones"}


@dataclass(frozen=True)
class AgencyTemplate:
    abbr: str
    name_vi: str
    name_en: str


def read_agency_template(path: Path) -> list[AgencyTemplate]:
    """abbr,name_vi,name_en; ValueError with the file and line of a bad row."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for n, row in enumerate(rows, start=2):
        abbr, vi, en = ((row.get(k) or "").strip() for k in ("abbr", "name_vi", "name_en"))
        if not abbr.isalnum() or not abbr.isupper() or not vi:
            raise ValueError(f"{path}:{n}: abbr (upper-case letters and digits) and name_vi are required")
        out.append(AgencyTemplate(abbr, vi, en or vi))
    if not out:
        raise ValueError(f"{path}: no agencies")
    return out


def province_toml(p: ProvinceDivisions) -> str:
    counts = ", ".join(f"{n} {KIND_WORDS[k]}" for k, n in _counts(p).items())
    return f"""# {p.official} after 1 July 2025: {counts} ({len(p.communes)} units).
# Written by `ioc province init` from {SOURCE}:
# official codes and names. The agencies are the standard departments of a province after
# the 2025 reorganisation (config/agency-template.csv), not checked against {p.name_vi}'s own
# list: edit agencies.csv.
# Agency codes are this pipeline's own (province code + abbreviation).
code = "{p.code}"
name_vi = "{p.name_vi}"
name_en = "{p.name_en}"
kind = "{p.kind}"               # tinh | thanh_pho (a centrally-run city)
timezone = "Asia/Ho_Chi_Minh"
communes = "communes.csv"   # code,name,kind,population
agencies = "agencies.csv"   # code,name_vi,name_en,verified
"""


def _counts(p: ProvinceDivisions) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in p.communes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts


def communes_csv(p: ProvinceDivisions) -> str:
    """code,name,kind,population; the population is not in the package: left empty."""
    return _csv(["code", "name", "kind", "population"], [[c.code, c.name, c.kind, ""] for c in p.communes])


def agencies_csv(p: ProvinceDivisions, template: list[AgencyTemplate]) -> str:
    """code,name_vi,name_en,verified: `<province code>.<abbr>`, verified "template" (not yet checked)."""
    words = LEVEL_WORDS[p.kind]
    rows = [
        [f"{p.code}.{a.abbr}", a.name_vi.format(**words), a.name_en.format(**words), "template"]
        for a in template
    ]
    return _csv(["code", "name_vi", "name_en", "verified"], rows)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def province_files(p: ProvinceDivisions, template: list[AgencyTemplate]) -> dict[str, str]:
    return {
        "province.toml": province_toml(p),
        "communes.csv": communes_csv(p),
        "agencies.csv": agencies_csv(p, template),
    }


def write_folder(out: Path, files: dict[str, str], force: bool = False) -> list[Path]:
    """Write the files; an existing file is an error unless `force` (nothing is written then)."""
    existing = [out / name for name in files if (out / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{', '.join(map(str, existing))} exist(s): --force replaces them")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]
