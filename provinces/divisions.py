"""The 34 provinces and their 3,321 communes, wards and special zones after 1 July 2025, from the
PyPI package `vietnam-provinces` (official codes and names), found by code or by name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import vietnam_provinces
from vietnam_provinces import Province, VietNamDivisionType, Ward

# A commune's kind as config/provinces/*/communes.csv writes it, and the prefix its official name
# carries ("Phường Đoàn Kết" is the ward Đoàn Kết).
KINDS = {
    VietNamDivisionType.PHUONG: ("phuong", "Phường "),
    VietNamDivisionType.XA: ("xa", "Xã "),
    VietNamDivisionType.DAC_KHU: ("dac_khu", "Đặc khu "),
}
CITY = "Thành phố "
SOURCE = f"vietnam-provinces {vietnam_provinces.__version__} (data of {vietnam_provinces.__data_version__})"


@dataclass(frozen=True)
class Commune:
    code: str  # five digits
    name: str  # without its kind: "Đoàn Kết"
    kind: str  # phuong | xa | dac_khu


@dataclass(frozen=True)
class ProvinceDivisions:
    code: str  # two digits
    official: str  # "Thành phố Hà Nội", "Lai Châu"
    name_vi: str  # "Hà Nội"
    name_en: str  # "Ha Noi"
    kind: str  # tinh | thanh_pho (a centrally-run city)
    slug: str  # the folder name: "ha-noi"
    communes: tuple[Commune, ...]


def fold(text: str) -> str:
    """Lower case without diacritics or separators: "Thành phố Hà Nội" -> "thanhphohanoi"."""
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)).lower())


def ascii_name(text: str) -> str:
    plain = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in plain if not unicodedata.combining(c))


@cache
def provinces() -> tuple[ProvinceDivisions, ...]:
    return tuple(_province(p) for p in sorted(Province.iter_all(), key=lambda p: int(p.code)))


def _province(p: Province) -> ProvinceDivisions:
    city = p.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG
    short = p.name.removeprefix(CITY) if city else p.name
    wards = sorted(Ward.iter_by_province(p.code), key=_order)
    return ProvinceDivisions(
        f"{int(p.code):02d}",
        p.name,
        short,
        ascii_name(short),
        "thanh_pho" if city else "tinh",
        p.codename.replace("_", "-"),
        tuple(_commune(w) for w in wards),
    )


def _order(w: Ward) -> tuple[int, int]:
    """Wards first, then communes, then special zones, each by code (as the shipped Lai Châu file)."""
    return list(KINDS).index(w.division_type), int(w.code)


def _commune(w: Ward) -> Commune:
    kind, prefix = KINDS[w.division_type]
    return Commune(f"{int(w.code):05d}", w.name.removeprefix(prefix), kind)


def find_province(query: str) -> ProvinceDivisions:
    """By code ("12", "1", "01") or name, with or without diacritics, "Thành phố"/"Tỉnh" or dashes:
    "Lai Châu", "lai chau", "ha-noi", "TP Hồ Chí Minh". ValueError names the candidates."""
    q = query.strip()
    everything = provinces()
    if q.isdigit():
        found = [p for p in everything if int(p.code) == int(q)]
    else:
        key = re.sub(r"^(thanhpho|tinh|tp)", "", fold(q))
        found = [p for p in everything if key and key in (fold(p.name_vi), fold(p.official), fold(p.slug))]
        found = found or [p for p in everything if key and fold(p.name_vi).startswith(key)]
    if len(found) == 1:
        return found[0]
    listed = ", ".join(f"{p.code} {p.name_vi}" for p in (found or everything))
    raise ValueError(f"{'several' if found else 'no'} provinces match {query!r}: {listed}")
