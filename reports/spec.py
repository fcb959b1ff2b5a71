"""What a report is about: a period of the contract (a day, month, quarter or year), the one before
it of the same grain, the province or one of its units, the reader's language and the moment it
is made. Everything here is checked before it reaches SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.periods import grain_of, period_bounds, previous_period
from contract.units import UnitRegistry
from reports.text import check_lang

FORMATS = ("xlsx", "pdf")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ReportSpec:
    grain: str
    period: str
    previous: str
    unit: str | None  # None: the whole province
    lang: str
    start: datetime  # the period's bounds in local time, [start, end)
    end: datetime
    now: datetime  # when the report is made (aware)

    @property
    def start_ms(self) -> int:
        return int(self.start.timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int(self.end.timestamp() * 1000)

    @property
    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    def file_name(self, province: str, fmt: str) -> str:
        scope = f"-{self.unit}" if self.unit else ""
        return f"ioc-report-{province}{scope}-{self.period}-{self.lang}.{fmt}"


def report_spec(period: str, unit: str | None, lang: str, units: UnitRegistry, now: datetime) -> ReportSpec:
    """ValueError with the reason when the period, unit or language is not one of this installation's."""
    grain = grain_of(period)
    if unit == units.province.code:
        unit = None
    if unit is not None and unit not in units.units:
        raise ValueError(
            f"unit: {unit!r} is not a unit of {units.province.name_en} (a commune or agency code)"
        )
    start, end = period_bounds(grain, period, units.timezone)
    return ReportSpec(grain, period, previous_period(grain, period), unit, check_lang(lang), start, end, now)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt
