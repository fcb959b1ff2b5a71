"""The reports' words and numbers in the reader's language: the report's own strings
(strings.toml), the KPI catalogue the screens use (names and how each KPI reads), period labels,
and numbers written 1.234,5 in Vietnamese and 1,234.5 in English."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

LANGS = ("vi", "en")
STRINGS = Path(__file__).resolve().parent / "strings.toml"
MINUS = "\u2212"


@dataclass(frozen=True)
class KpiCatalogue:
    """KPI names per language and display formats, as the screens have them (i18n.json, kpis.json)."""

    names: Mapping[str, Mapping[str, str]]  # lang -> kpi -> name
    formats: Mapping[str, Mapping[str, Any]]  # kpi, or a family "index766.group.*" -> {"format", "decimals"}

    @property
    def order(self) -> list[str]:
        return list(self.names.get("vi", {}))

    def name(self, kpi: str, lang: str) -> str:
        return self.names.get(lang, {}).get(kpi) or kpi

    def format(self, kpi: str) -> tuple[str, int | None]:
        spec = self.formats.get(kpi)
        if spec is None:
            spec = next(
                (v for k, v in self.formats.items() if k.endswith("*") and kpi.startswith(k[:-1])), {}
            )
        return str(spec.get("format", "number")), spec.get("decimals")


def catalogue_from(i18n: Mapping[str, Mapping[str, str]], kpis: Mapping[str, Any]) -> KpiCatalogue:
    """From the screens' i18n.json ("kpi.<name>" keys) and kpis.json."""
    names = {
        lang: {k[4:]: v for k, v in words.items() if k.startswith("kpi.")} for lang, words in i18n.items()
    }
    return KpiCatalogue(names, {k: v for k, v in kpis.items() if isinstance(v, dict)})


@cache
def _strings() -> dict[str, Any]:
    return tomllib.loads(STRINGS.read_text(encoding="utf-8"))


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"language: one of {', '.join(LANGS)}, not {lang!r}")
    return lang


_DECIMALS = {"count": 0, "flag": 0, "percent": 1, "days": 2, "ms": 0, "points": 1, "number": 2}


class Text:
    """Words, numbers, periods and times for one language and time zone."""

    def __init__(self, lang: str, tz: ZoneInfo) -> None:
        self.lang, self.tz = check_lang(lang), tz
        self.words: dict[str, Any] = _strings()[lang]
        self.bases: dict[str, dict[str, str]] = _strings()["basis"]

    def __call__(self, key: str, **values: Any) -> str:
        return str(self.words[key]).format(**values)

    def number(self, value: float, decimals: int = 0) -> str:
        rounded = round(float(value), decimals)
        text = f"{abs(rounded):,.{decimals}f}"
        if self.lang == "vi":
            text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return (MINUS if rounded < 0 else "") + text

    def signed(self, value: float, decimals: int = 0) -> str:
        return ("+" if round(float(value), decimals) > 0 else "") + self.number(value, decimals)

    def kpi_value(self, catalogue: KpiCatalogue, kpi: str, value: float | None) -> str:
        if value is None:
            return "—"
        kind, decimals = catalogue.format(kpi)
        d = _DECIMALS.get(kind, 2) if decimals is None else decimals
        if kind == "percent":
            return self.number(value * 100, d) + "%"
        if kind == "days":
            return f"{self.number(value, d)} {self('unit_days')}"
        if kind == "ms":
            return f"{self.number(value, d)} {self('unit_ms')}"
        return self.number(value, d)

    def kpi_change(self, catalogue: KpiCatalogue, kpi: str, now: float | None, before: float | None) -> str:
        """The change in the KPI's own unit; a rate's in percentage points."""
        if now is None or before is None:
            return "—"
        kind, decimals = catalogue.format(kpi)
        d = _DECIMALS.get(kind, 2) if decimals is None else decimals
        if kind == "percent":
            return f"{self.signed((now - before) * 100, d)} {self('unit_pp')}"
        unit = {"days": self("unit_days"), "ms": self("unit_ms")}.get(kind)
        return self.signed(now - before, d) + (f" {unit}" if unit else "")

    def percent(self, ratio: float | None, decimals: int = 1) -> str:
        return "—" if ratio is None else self.number(ratio * 100, decimals) + "%"

    def period(self, grain: str, period: str) -> str:
        y = period[:4]
        if grain == "day":
            return self("period_day", d=period[8:10], m=period[5:7], y=y)
        if grain == "month":
            names = self.words.get("month_names", [])
            month = int(period[5:7])
            return self("period_month", m=period[5:7], y=y, month_name=names[month - 1] if names else month)
        if grain == "quarter":
            return self("period_quarter", q=period[-1], y=y)
        return self("period_year", y=y)

    def level(self, level: str) -> str:
        return self(f"level_{level}")

    def basis(self, basis: str | None) -> str:
        """The label of a component's basis; one the strings do not know is shown as written."""
        if basis is None:
            return ""
        return self.bases.get(basis, {}).get(self.lang) or basis

    def basis_fill(self, basis: str | None) -> str:
        return self.bases.get(basis or "", {}).get("fill", "")

    def known_bases(self) -> list[str]:
        return list(self.bases)

    def local(self, at: datetime | None) -> datetime | None:
        """Local wall time without an offset (what a spreadsheet cell holds)."""
        return None if at is None else at.astimezone(self.tz).replace(tzinfo=None)

    def when(self, at: datetime) -> str:
        return self.local(at).strftime("%d/%m/%Y %H:%M")  # type: ignore[union-attr]
