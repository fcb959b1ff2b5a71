"""ONAP VES 7.2.1 events -> `telecom` `alarm` and `pm` records (wire-formats 4).

Each event is a wire item: `fault` gives an alarm (raise, or clear for NORMAL), `perf3gpp` a pm
record by the operator's counter profile, every other domain is ignored by domain. The operator is
the one of the credentials, never a field of the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.adapters.base import (
    Adapter,
    Context,
    Mapped,
    Meta,
    Problems,
    dead,
    ignored,
    json_lines,
    json_size,
    load_json,
)
from connectors.adapters.profiles import Operator, aggregate, counter_value
from connectors.adapters.wiretime import BadTime, from_epoch_us, write_time
from connectors.adapters.xml import rejected_item

SEVERITIES = {
    "CRITICAL": "critical",
    "MAJOR": "major",
    "MINOR": "minor",
    "WARNING": "warning",
    "NORMAL": "warning",
}
DOMAINS = (
    "heartbeat",
    "measurement",
    "pnfRegistration",
    "notification",
    "stateChange",
    "syslog",
    "thresholdCrossingAlert",
    "stndDefined",
    "other",
    "mobileFlow",
    "sipSignaling",
    "voiceQuality",
)
HEADER_READ = ("domain", "sourceName", "startEpochMicrosec", "lastEpochMicrosec")
FAULT_READ = ("alarmCondition", "specificProblem", "eventSeverity", "alarmInterfaceA")


class NotVes(ValueError):
    """Not JSON, or neither `event` nor `eventList`: the VES paths answer 400."""


def events_of(body: bytes) -> list[Any]:
    """The events of `{"event"}` / `{"eventList"}` bodies (one, a JSON array, or NDJSON of them)."""
    try:
        values = [load_json(body)]
    except ValueError:
        lines = json_lines(body) if b"\n" in body.strip() else None
        if lines is None:
            raise NotVes("not JSON") from None
        values = lines
    if len(values) == 1 and isinstance(values[0], list):
        values = values[0]
    out: list[Any] = []
    for value in values:
        if isinstance(value, dict) and "event" in value:
            out.append(value["event"])
        elif isinstance(value, dict) and isinstance(value.get("eventList"), list):
            out.extend(value["eventList"])
        else:
            raise NotVes("neither event nor eventList")
    return out


class VesAdapter(Adapter):
    name = "ves"
    target = "telecom"
    needs_operator = True

    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        operator = ctx.operators.get(meta.operator or "") or Operator(meta.operator or "")
        try:
            found = events_of(body)
        except NotVes as exc:
            yield dead("unparseable", rejected_item(body, str(exc), "json"))
            return
        for event in found:
            yield map_event(event, operator, ctx)


def map_event(event: Any, operator: Operator, ctx: Context) -> Mapped:
    if not isinstance(event, dict):
        return dead("unparseable", type(event).__name__)
    header = event.get("commonEventHeader")
    header = header if isinstance(header, dict) else {}
    item = reduce(event)
    if json_size(event) > ctx.max_record_bytes:
        return dead("too_large", item)
    domain = header.get("domain")
    if not isinstance(domain, str) or not domain:
        return dead("missing_field:domain", item)
    if domain == "fault":
        return map_fault(header, event.get("faultFields"), operator, ctx, item)
    if domain == "perf3gpp":
        return map_perf(header, event.get("perf3gppFields"), operator, ctx, item)
    return ignored(domain if domain in DOMAINS else "unknown_domain")


def reduce(event: dict[str, Any]) -> dict[str, Any]:
    """The fields of the mapping tables (0.5)."""
    header = event.get("commonEventHeader")
    fault = event.get("faultFields")
    out: dict[str, Any] = {}
    if isinstance(header, dict):
        out["commonEventHeader"] = {k: header[k] for k in HEADER_READ if k in header}
    if isinstance(fault, dict):
        out["faultFields"] = {k: fault[k] for k in FAULT_READ if k in fault}
    perf = event.get("perf3gppFields")
    if isinstance(perf, dict) and isinstance(perf.get("measDataCollection"), dict):
        out["perf3gppFields"] = {"granularityPeriod": perf["measDataCollection"].get("granularityPeriod")}
    return out


def _site(header: dict[str, Any], operator: Operator, problems: Problems) -> str | None:
    source = header.get("sourceName")
    if not isinstance(source, str) or not source.strip():
        problems.add("missing_field:sourceName")
        return None
    return operator.site_id(source.strip())


def _epoch(header: dict[str, Any], problems: Problems) -> Any:
    """`lastEpochMicrosec`, else `startEpochMicrosec` (4.2)."""
    for name in ("lastEpochMicrosec", "startEpochMicrosec"):
        if header.get(name) is not None:
            try:
                return from_epoch_us(header[name])
            except BadTime:
                problems.add(f"bad_type:{name}")
                return None
    problems.add("missing_field:lastEpochMicrosec")
    return None


def map_fault(header: dict[str, Any], fault: Any, operator: Operator, ctx: Context, item: Any) -> Mapped:
    fault = fault if isinstance(fault, dict) else {}
    problems = Problems()
    source = header.get("sourceName")
    site = _site(header, operator, problems)
    condition = fault.get("alarmCondition")
    if not isinstance(condition, str) or not condition.strip():
        problems.add("missing_field:alarmCondition")
    severity = fault.get("eventSeverity")
    if severity is None or severity == "":
        problems.add("missing_field:eventSeverity")
    elif not isinstance(severity, str) or severity.upper() not in SEVERITIES:
        problems.add("bad_enum:eventSeverity")
    at = _epoch(header, problems)
    if (reason := problems.first()) or site is None or at is None:
        return dead(reason or "missing_field:sourceName", item)
    assert isinstance(condition, str) and isinstance(severity, str) and isinstance(source, str)
    interface = fault.get("alarmInterfaceA")
    interface = interface if isinstance(interface, str) else ""
    level = severity.upper()
    record = {
        "kind": "alarm",
        "alarm_id": "|".join((operator.name, source.strip(), condition, interface)),
        "site_id": site,
        "operator": operator.name,
        "probable_cause": ctx.causes.cause(operator.name, condition, fault.get("specificProblem")),
        "severity": SEVERITIES[level],
        "state": "cleared" if level == "NORMAL" else "raised",
        "event_time": write_time(at, ctx.units.timezone),
        "_wire": {"adapter": "ves", "domain": "fault", "alarmCondition": condition},
    }
    return Mapped(records=(record,))


def map_perf(header: dict[str, Any], perf: Any, operator: Operator, ctx: Context, item: Any) -> Mapped:
    collection = perf.get("measDataCollection") if isinstance(perf, dict) else None
    collection = collection if isinstance(collection, dict) else {}
    problems = Problems()
    site = _site(header, operator, problems)
    period = collection.get("granularityPeriod")
    if period is None:
        problems.add("missing_field:granularityPeriod")
    elif isinstance(period, bool) or not isinstance(period, int):
        problems.add("bad_type:granularityPeriod")
    end = _epoch(header, problems)
    good, suspect = cells_of(collection)
    if (reason := problems.first()) or site is None or end is None or not isinstance(period, int):
        return dead(reason or "missing_field:granularityPeriod", item)
    if not good:
        return ignored("suspect") if suspect else dead("missing_field:availability_pct", item)
    values = aggregate(good, period, ctx.profiles.for_file(operator.pm_profile, None))
    if "availability_pct" not in values:
        return dead("missing_field:availability_pct", item)
    from datetime import timedelta

    record = {
        "kind": "pm",
        "site_id": site,
        "period_start": write_time(end - timedelta(seconds=period), ctx.units.timezone),
        "period_s": period,
        **values,
        "_wire": {
            "adapter": "ves",
            "domain": "perf3gpp",
            "operator": operator.name,
            "cells": len(good),
            "suspect_cells": suspect,
        },
    }
    return Mapped(records=(record,))


def cells_of(collection: dict[str, Any]) -> tuple[list[dict[str, float]], int]:
    """Good cells' counters by name (`sMeasTypesList` by 1-based `p`), and how many were suspect."""
    cells: dict[str, dict[str, float]] = {}
    suspect: set[str] = set()
    infos = collection.get("measInfoList")
    for info in infos if isinstance(infos, list) else []:
        if not isinstance(info, dict):
            continue
        types = info.get("measTypes")
        names = types.get("sMeasTypesList") if isinstance(types, dict) else None
        names = names if isinstance(names, list) else []
        values = info.get("measValuesList")
        for value in values if isinstance(values, list) else []:
            if not isinstance(value, dict):
                continue
            obj = str(value.get("measObjInstId", ""))
            cell = cells.setdefault(obj, {})
            if str(value.get("suspectFlag", "false")).lower() == "true":
                suspect.add(obj)
            results = value.get("measResults")
            for r in results if isinstance(results, list) else []:
                if not isinstance(r, dict) or isinstance(r.get("p"), bool) or not isinstance(r.get("p"), int):
                    continue
                raw = next((r[k] for k in ("sValue", "iValue", "rValue") if k in r), None)
                number = counter_value(raw)
                if 1 <= r["p"] <= len(names) and isinstance(names[r["p"] - 1], str) and number is not None:
                    cell.setdefault(names[r["p"] - 1], number)
    good = [c for obj, c in cells.items() if obj not in suspect]
    return good, len(cells) - len(good)
