"""3GPP TS 32.435 measurement files (measCollec) -> `telecom` `pm` records (wire-formats 3).

Read as a stream (lxml's pull parser, each `measData` dropped once read), one wire item per
(site, granPeriod@endTime, @duration) across the file: the site's good cells add up by the operator's
counter profile into one `pm` record. `userLabel` (a place name) and the vendor's other attributes are
not kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from functools import lru_cache
from typing import Any

import isodate

from connectors.adapters.base import Adapter, Context, Mapped, Meta, Problems, dead, ignored
from connectors.adapters.profiles import Operator, Profile, aggregate, counter_value
from connectors.adapters.wiretime import BadTime, read_time, write_time
from connectors.adapters.xml import XmlRejected, events, inflate, local, rejected_item

DEFAULT_MAX_BYTES = 16 << 20


@dataclass
class SitePeriod:
    """One wire item: a site's cells for one period, in document order."""

    site: str | None
    end_time: str | None
    duration: str | None
    cells: dict[str, dict[str, float]] = field(default_factory=dict)
    suspect: set[str] = field(default_factory=set)


class MeasCollecAdapter(Adapter):
    name = "meascollec"
    target = "telecom"
    needs_operator = True
    file_suffixes = (".xml", ".gz")

    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        operator = ctx.operators.get(meta.operator or "") or Operator(meta.operator or "")
        limit = ctx.max_document_bytes.get(self.name, DEFAULT_MAX_BYTES)
        data = body
        try:
            data = inflate(body, limit)
            vendor, periods = read_file(data, operator)
        except XmlRejected as exc:
            yield dead(exc.reason, rejected_item(data, exc.detail))
            return
        profile = ctx.profiles.for_file(operator.pm_profile, vendor)
        for period in periods.values():
            yield map_site_period(period, operator, meta.filename, profile, ctx)


def read_file(data: bytes, operator: Operator) -> tuple[str | None, dict[tuple[Any, ...], SitePeriod]]:
    """The vendor name and every site-period of the file, its cells' counters by name."""
    vendor: str | None = None
    periods: dict[tuple[Any, ...], SitePeriod] = {}
    root_seen = False
    for event, element in events(data):
        name = local(element.tag)
        if not root_seen:
            root_seen = True
            if name != "measCollecFile":
                raise XmlRejected("unparseable", f"root element {name!r}, not measCollecFile")
        if event == "start" and name == "fileHeader":
            vendor = element.get("vendorName")
        elif event == "end" and name == "measData":
            _read_meas_data(element, operator, periods)
            element.clear()
            while element.getprevious() is not None:  # keep the tree flat: drop what was read
                del element.getparent()[0]
    return vendor, periods


def _read_meas_data(meas_data: Any, operator: Operator, periods: dict[tuple[Any, ...], SitePeriod]) -> None:
    managed = next((c for c in meas_data if local(c.tag) == "managedElement"), None)
    local_dn = (managed.get("localDn") or "").strip() or None if managed is not None else None
    for info in (c for c in meas_data if local(c.tag) == "measInfo"):
        gran = next((c for c in info if local(c.tag) == "granPeriod"), None)
        end_time = gran.get("endTime") if gran is not None else None
        duration = gran.get("duration") if gran is not None else None
        names = _type_names(info)
        for value in (c for c in info if local(c.tag) == "measValue"):
            ldn = value.get("measObjLdn") or ""
            site = operator.site_from_ldn(ldn) or local_dn
            key = (site, end_time, duration)
            period = periods.get(key)
            if period is None:
                period = periods[key] = SitePeriod(site, end_time, duration)
            cell = period.cells.setdefault(ldn, {})
            for p, raw in _results(value):
                counter = names.get(p)
                number = counter_value(raw)
                if counter is not None and number is not None:
                    cell.setdefault(counter, number)  # given twice: the first counts
            if any(local(c.tag) == "suspect" and (c.text or "").strip().lower() == "true" for c in value):
                period.suspect.add(ldn)


def _type_names(info: Any) -> dict[str, str]:
    """Counter names by position `p`: `measType@p`, or the older space-separated `measTypes`."""
    names: dict[str, str] = {}
    for c in info:
        tag = local(c.tag)
        if tag == "measType" and c.get("p"):
            names[c.get("p").strip()] = (c.text or "").strip()
        elif tag == "measTypes":
            names.update({str(i): n for i, n in enumerate((c.text or "").split(), start=1)})
    return names


def _results(value: Any) -> Iterator[tuple[str, str]]:
    for c in value:
        tag = local(c.tag)
        if tag == "r" and c.get("p"):
            yield c.get("p").strip(), (c.text or "")
        elif tag == "measResults":
            yield from ((str(i), v) for i, v in enumerate((c.text or "").split(), start=1))


def period_of(
    end_time: str | None, duration: str | None, ctx: Context, problems: Problems
) -> tuple[Any, int]:
    """(period start, seconds) from `@endTime` − `@duration`."""
    start, seconds, found = _period(end_time, duration, ctx.units.timezone)
    for reason in found:
        problems.add(reason)
    return start, seconds


@lru_cache(maxsize=256)  # every site of a file shares its period: read it once
def _period(end_time: str | None, duration: str | None, tz: tzinfo) -> tuple[Any, int, tuple[str, ...]]:
    found: list[str] = []
    try:
        end = read_time(end_time, tz)
        if end is None:
            found.append("bad_type:endTime")
    except BadTime:
        end = None
        found.append("bad_type:endTime")
    seconds = duration_s(duration)
    if seconds is None:
        found.append("bad_type:duration")
    if end is None or seconds is None:
        return None, 0, tuple(found)
    return end - timedelta(seconds=seconds), seconds, ()


def duration_s(text: str | None) -> int | None:
    """Whole seconds of an ISO-8601 duration (`PT900S`); None when it is none (months are no length)."""
    try:
        value = isodate.parse_duration((text or "").strip())
    except (isodate.ISO8601Error, ValueError, TypeError):
        return None
    if not isinstance(value, timedelta):
        return None
    seconds = value.total_seconds()
    return int(seconds) if seconds == int(seconds) else None


def map_site_period(
    period: SitePeriod, operator: Operator, filename: str | None, profile: Profile, ctx: Context
) -> Mapped:
    good = [counters for ldn, counters in period.cells.items() if ldn not in period.suspect]
    suspect = len(period.cells) - len(good)
    item = {
        "file": filename,
        "managedElement": period.site,
        "endTime": period.end_time,
        "duration": period.duration,
        "cells": len(good),
        "suspect_cells": suspect,
    }
    item = {k: v for k, v in item.items() if v is not None}
    if not good:
        return ignored("suspect")
    problems = Problems()
    if period.site is None:
        problems.add("missing_field:localDn")
    start, seconds = period_of(period.end_time, period.duration, ctx, problems)
    values = aggregate(good, seconds, profile) if start is not None else {}
    if start is not None and "availability_pct" not in values:
        problems.add("missing_field:availability_pct")
    if (reason := problems.first()) or start is None or period.site is None:
        return dead(reason or "bad_type:endTime", item)
    wire = {
        "adapter": "meascollec",
        "operator": operator.name or None,
        "file": filename,
        "cells": len(good),
        "suspect_cells": suspect,
    }
    record = {
        "kind": "pm",
        "site_id": operator.site_id_template.replace("{site}", period.site),
        "period_start": write_time(start, ctx.units.timezone),
        "period_s": seconds,
        **values,
        "_wire": {k: v for k, v in wire.items() if v is not None},
    }
    return Mapped(records=(record,))
