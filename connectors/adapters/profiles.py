"""Counter profiles (`config/telecom/pm-profiles.toml`) and operator blocks (wire-formats 3.1, 3.2):
which 3GPP counters make availability, traffic, data volume and users, and how one site-period's cells
add up into one `pm` record."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from contract.settings import ConfigReader

KPI_KEYS = ("availability", "traffic_erl", "data_mb", "users")


@dataclass(frozen=True)
class Profile:
    unavailable_time_s: tuple[str, ...] = ()
    availability_percent: tuple[str, ...] = ()
    traffic_erl: tuple[str, ...] = ()
    data_mb: tuple[str, ...] = ()
    data_factor: float = 1.0
    users: tuple[str, ...] = ()


DEFAULT_PROFILE = Profile(
    unavailable_time_s=("CellUnavailableTime",),
    traffic_erl=("VS.Voice.Erlang",),
    data_mb=("DRB.PdcpSduVolumeDL", "DRB.PdcpSduVolumeUL"),
    data_factor=0.125,
    users=("RRC.ConnMean",),
)


@dataclass(frozen=True)
class PmProfiles:
    profiles: dict[str, Profile] = field(default_factory=lambda: {"default": DEFAULT_PROFILE})
    vendors: dict[str, dict[str, Any]] = field(default_factory=dict)  # vendorName -> raw override table

    def for_file(self, name: str, vendor: str | None) -> Profile:
        base = self.profiles.get(name, DEFAULT_PROFILE)
        override = self.vendors.get(vendor or "")
        return base if override is None else _merge(base, override)


@dataclass(frozen=True)
class Operator:
    name: str
    ves_username: str = ""
    ves_password: str = ""  # empty: the VES paths refuse this operator
    site_regex: re.Pattern[str] | None = None
    site_id_template: str = "{site}"
    pm_profile: str = "default"

    def site_id(self, text: str) -> str:
        """The `site` group of `site_regex` (all of `text` if none or no match), then the template."""
        site = text
        if self.site_regex is not None:
            m = self.site_regex.search(text)
            if m and m.groupdict().get("site"):
                site = m.group("site")
        return self.site_id_template.replace("{site}", site)

    def site_from_ldn(self, ldn: str) -> str | None:
        """measCollec: the `site` group of `site_regex` over a measObjLdn, or None (use localDn)."""
        if self.site_regex is None:
            return None
        m = self.site_regex.search(ldn)
        return m.group("site") if m and m.groupdict().get("site") else None





def read_profiles(data: dict[str, Any], where: str, problems: list[str]) -> PmProfiles:
    top = ConfigReader(data, where, problems)
    profiles = {
        name: _profile(top.table("profile").table(name), DEFAULT_PROFILE if name == "default" else None)
        for name in top.table("profile").data
    }
    vendors = {}
    for vendor in top.table("vendor").data:
        table = top.table("vendor").table(vendor)
        _profile(table, DEFAULT_PROFILE)  # reported now: an override is checked as a profile
        vendors[vendor] = table.data
    if "default" not in profiles:
        problems.append(f"{where}: [profile.default] is required")
    return PmProfiles(profiles or {"default": DEFAULT_PROFILE}, vendors)


def _names(r: ConfigReader, table: str, key: str) -> tuple[str, ...]:
    value = r.table(table).get(
        key, list, [], lambda v: all(isinstance(x, str) and x for x in v), "a list of counter names"
    )
    return tuple(value)


def _profile(r: ConfigReader, base: Profile | None) -> Profile:
    unknown = set(r.data) - set(KPI_KEYS)
    if unknown:
        r.problems.append(
            f"{r.where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(KPI_KEYS)}"
        )
    availability = r.table("availability")
    seconds, percent = _names(r, "availability", "unavailable_time_s"), _names(r, "availability", "percent")
    if availability.data and bool(seconds) == bool(percent):
        r.problems.append(f"{availability.where}: give unavailable_time_s or percent (one of them)")
    if base is None and not availability.data:
        r.problems.append(f"{r.where}: availability is required (availability_pct is required in pm records)")
    factor = r.table("data_mb").get(
        "factor", float, 1.0, lambda v: math.isfinite(v) and v > 0, "a number > 0"
    )
    return Profile(
        unavailable_time_s=seconds if availability.data else (base.unavailable_time_s if base else ()),
        availability_percent=percent if availability.data else (base.availability_percent if base else ()),
        traffic_erl=_names(r, "traffic_erl", "sum")
        if "traffic_erl" in r.data
        else (base.traffic_erl if base else ()),
        data_mb=_names(r, "data_mb", "sum") if "data_mb" in r.data else (base.data_mb if base else ()),
        data_factor=factor if "data_mb" in r.data else (base.data_factor if base else 1.0),
        users=_names(r, "users", "sum") if "users" in r.data else (base.users if base else ()),
    )


def _merge(base: Profile, override: dict[str, Any]) -> Profile:
    return _profile(ConfigReader(override, "vendor", []), base)


# -- one site-period's cells into a pm record (3.1) --------------------------------------------------


def counter_value(text: Any) -> float | None:
    """An empty, NIL, non-numeric, non-finite or negative value is absent for that cell (3.1)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        value = float(text)
    elif isinstance(text, str):
        try:
            value = float(text.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _sum(cells: list[dict[str, float]], names: tuple[str, ...]) -> tuple[float, int] | None:
    """Σ over cells of the listed counters; None when no cell reports any of them."""
    total, reporting = 0.0, 0
    for cell in cells:
        present = [cell[n] for n in names if n in cell]
        if present:
            total += math.fsum(present)
            reporting += 1
    return (total, reporting) if reporting else None


def aggregate(cells: list[dict[str, float]], period_s: int, profile: Profile) -> dict[str, Any]:
    """`availability_pct`, `traffic_erl`, `data_mb`, `users` of a site-period's good cells (those
    absent are left out; availability absent means `missing_field:availability_pct`)."""
    out: dict[str, Any] = {}
    if profile.unavailable_time_s:
        down = _sum(cells, profile.unavailable_time_s)
        if down is not None and period_s > 0:
            pct = 100.0 * (1.0 - down[0] / (down[1] * period_s))
            out["availability_pct"] = round(min(100.0, max(0.0, pct)), 3)
    elif profile.availability_percent:
        up = _sum(cells, profile.availability_percent)
        if up is not None:
            out["availability_pct"] = round(min(100.0, max(0.0, up[0] / up[1])), 3)
    if (traffic := _sum(cells, profile.traffic_erl)) is not None:
        out["traffic_erl"] = round(traffic[0], 3)
    if (volume := _sum(cells, profile.data_mb)) is not None:
        out["data_mb"] = round(volume[0] * profile.data_factor, 3)
    if (users := _sum(cells, profile.users)) is not None:
        out["users"] = math.floor(users[0] + 0.5)  # half up
    return out
