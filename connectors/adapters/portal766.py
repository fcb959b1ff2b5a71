"""portal766: the national portal's official 766 evaluation figures, to `official766` records.

Two document forms (README "Official 766 figures"):

- the JSON the portal's public reporting endpoints answer (`POST /api/v1/reporting/evaluation/...`
  on dichvucong.gov.vn), as the open project ChippedTopaz/qd766 documents and keeps them
  (docs/QD766_DATA_MODEL.md §7, tests/fixtures/): `{"code": "OK", "data": ...}` with either
  `overview` + `evaluation[]`, each department with `metrics[]` of `code`, `score`, `maxScore`
  (transparency, handling-satisfaction, dossier-digitized), or `parent` + `children[]` with one
  score per department (dvc-progress-tree, provide-online-tree, formality-online-payment-tree:
  the group is told by the parent's fields; `overview` and `parent` are the province, the request's
  `rootDepartmentId`). The answer does not name its period (it was in the request): a top-level
  `"period"` a crawler adds (and `"issued_at"`, when it read it), else `?period=` / `--period`, else
  a period just before the file name's suffix (`transparency-2026-11.json`, for inbox files).
- a CSV with the header `unit,period,group,component,points` (optional `max_points`, `issued_at`).

A wire item is one figure: a department's metric, a tree node, a CSV row. Departments are found by
`departmentCode` (an organ id, or a unit code), then `departmentName` (organs.csv; without the
portal's " - Tỉnh ..." suffix if need be), the province by its own `departmentType`. A `null` score
is no figure (ignored, `no_score`: null is not 0); a metric the rules do not have and that carries no
points (`PETITION_CLASSIFICATION_*`: score null, maxScore 0) is ignored as `unscored_metric`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from connectors.adapters.base import Adapter, Catalogue, Context, Mapped, Meta, dead, ignored, load_json
from connectors.adapters.xml import rejected_item
from connectors.fields import is_int
from connectors.official766 import period_grain
from contract.periods import period_bounds
from contract.records import iso
from contract.timestamps import parse_ts

CSV_COLUMNS = ("unit", "period", "group", "component", "points")
# A tree answer's group, told by the fields of its parent (qd766 docs/QD766_DATA_MODEL.md §4.4-4.6).
TREE_GROUPS = (
    ("totalOnTime", "TDGQ"),                         # dvc-progress-tree
    ("onlineServiceTotal", "CLGQ"),                  # provide-online-tree
    ("fullCount", "CLGQ"),
    ("totalDossierOnlinePaymentSuccess", "TTTT"),    # formality-online-payment-tree
)
NO_SCORE = "no_score"
UNSCORED = "unscored_metric"
MAX_DOCUMENT_BYTES = 16 << 20
# A period written just before the file's suffix (transparency-2026-11.json): for inbox files.
_FILE_PERIOD = re.compile(r"(\d{4}-Q[1-4]|\d{4}-\d{2}|\d{4})(?=\.[A-Za-z]+$)")


class Portal766Adapter(Adapter):
    name = "portal766"
    target = "official766"
    file_suffixes = (".json", ".csv")

    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        if len(body) > ctx.max_document_bytes.get(self.name, MAX_DOCUMENT_BYTES):
            yield dead("too_large", rejected_item(body, "over max_document_bytes", "json"))
            return
        text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
        if text[:1] in (b"{", b"["):
            yield from _json_document(text, meta, ctx)
        else:
            yield from _csv_document(text, ctx)


# -- the portal's JSON ------------------------------------------------------------------------------


def _json_document(body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
    try:
        doc = load_json(body)
    except ValueError as exc:
        yield dead("unparseable", rejected_item(body, str(exc), "json"))
        return
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):   # an error answer ({"code": "ERR", ...}) or another document
        yield dead("unparseable", rejected_item(body, "not the portal's answer: no data object", "json"))
        return
    named = _FILE_PERIOD.search(meta.filename or "")
    period = doc.get("period", meta.period or (named.group(1) if named else None))
    if not isinstance(period, str) or period_grain(period) is None:
        yield dead("missing_field:period" if period is None else "bad_type:period", {"period": period})
        return
    issued = doc.get("issued_at")   # when the crawler read the answer: a re-issue is then a new record
    if issued is not None and (not isinstance(issued, str) or parse_ts(issued) is None):
        yield dead("bad_type:issued_at", {"issued_at": issued})
        return
    tree = "parent" in data or "children" in data
    mapped = _tree(data, period, ctx) if tree else _metrics(data, period, ctx)
    for m in mapped:
        yield replace(m, records=tuple({**r, "issued_at": issued} for r in m.records)) if issued else m


def _departments(data: dict[str, Any], head: str, rest: str) -> list[Any]:
    children = data.get(rest)
    heads = [data[head]] if data.get(head) is not None else []
    return heads + (children if isinstance(children, list) else [])


def _metrics(data: dict[str, Any], period: str, ctx: Context) -> Iterator[Mapped]:
    """overview + evaluation[]: one item per department and metric."""
    for n, dept in enumerate(_departments(data, "overview", "evaluation")):
        root = n == 0 and dept is data.get("overview")
        metrics = dept.get("metrics") if isinstance(dept, dict) else None
        if not isinstance(metrics, list) or not metrics:
            yield dead("missing_field:metrics", _reduce(dept))
            continue
        for metric in metrics:
            if not isinstance(metric, dict):
                yield dead("bad_type:metrics", _reduce(dept))
                continue
            code = metric.get("code")
            if code not in ctx.catalogue.components:
                # the portal lists metrics that carry no points (PETITION_CLASSIFICATION_*: score null,
                # maxScore 0): no figure; an unknown metric with points is another scoring version
                unscored = not metric.get("score") and not metric.get("maxScore")
                yield ignored(UNSCORED) if unscored else dead("bad_enum:code", _reduce(dept, metric))
                continue
            group = ctx.catalogue.components[code][0]
            yield _figure(dept, period, group, code, metric.get("score"), metric.get("maxScore"), ctx, metric,
                          root)


def _tree(data: dict[str, Any], period: str, ctx: Context) -> Iterator[Mapped]:
    """parent + children[]: one item per department, its group told by the parent's fields."""
    found = data.get("parent")
    parent: dict[str, Any] = found if isinstance(found, dict) else {}
    group = next((g for field, g in TREE_GROUPS if field in parent), None)
    if group is None or group not in ctx.catalogue.groups:
        yield dead("bad_enum:parent", {"keys": sorted(parent)[:30]})
        return
    component = ctx.catalogue.sole_component(group) or ""
    for n, dept in enumerate(_departments(data, "parent", "children")):
        if not isinstance(dept, dict):
            yield dead("bad_type:children", {"type": type(dept).__name__})
            continue
        head = n == 0 and dept is parent
        score = dept.get("totalScore" if head else "score")
        maximum = dept.get("totalMaxScore" if head else "maxScore")
        yield _figure(dept, period, group, component, score, maximum, ctx, root=head)


def _figure(dept: dict[str, Any], period: str, group: str, component: str, score: Any, maximum: Any,
            ctx: Context, metric: dict[str, Any] | None = None, root: bool = False) -> Mapped:
    item = _reduce(dept, metric)
    unit = ctx.units.province.code if root else _unit_of(dept, ctx)
    if unit is None:
        return dead(f"unknown_unit:{dept.get('departmentCode') or dept.get('departmentName')}", item)
    if score is None:
        return ignored(NO_SCORE)
    reason = _points_problem(score, maximum, group, component, ctx.catalogue, "score", "maxScore")
    if reason:
        return dead(reason, item)
    wire = {"adapter": "portal766", "form": "json", "departmentCode": dept.get("departmentCode")}
    return Mapped(records=(_record(unit, period, group, component, score, ctx, wire),))


def _unit_of(dept: dict[str, Any], ctx: Context) -> str | None:
    code, name = dept.get("departmentCode"), dept.get("departmentName")
    if dept.get("departmentType") == "PROVINCE":
        return ctx.units.province.code
    if isinstance(code, str) and code.strip():
        found = ctx.organs.unit_of_id(code) or (code if code in ctx.units.units else None)
        if found:
            return found
    if not isinstance(name, str):
        return None
    # the portal tells same-named units apart with a suffix: "Sở Công Thương - Tỉnh Phú Thọ"
    return ctx.organs.unit_of_name(name) or ctx.organs.unit_of_name(name.rsplit(" - ", 1)[0])


def _reduce(dept: Any, metric: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a dead letter keeps of a department: its identification and the figure, nothing else."""
    keep = ("departmentCode", "departmentName", "departmentType", "departmentLevel",
            "score", "maxScore", "totalScore", "totalMaxScore")
    if not isinstance(dept, dict):
        return {"type": type(dept).__name__}
    out = {k: dept.get(k) for k in keep if k in dept}
    if metric is not None:
        out["metric"] = {k: metric.get(k) for k in ("code", "score", "maxScore") if k in metric}
    return out


# -- the CSV --------------------------------------------------------------------------------------


def _csv_document(body: bytes, ctx: Context) -> Iterator[Mapped]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:   # every value starred: nothing of it can be told apart
        yield dead("unparseable", rejected_item(body, f"not UTF-8: {exc}", "xml"))
        return
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        yield dead(f"missing_field:{missing[0]}", {"header": header[:20]})
        return
    reader.fieldnames = header
    for row in reader:
        yield _csv_row({k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}, ctx)


def _csv_row(row: dict[str, str], ctx: Context) -> Mapped:
    for column in ("unit", "period", "group", "points"):
        if not row.get(column):
            return dead(f"missing_field:{column}", row)
    period, group, component = row["period"], row["group"], row.get("component", "")
    if period_grain(period) is None:
        return dead("bad_type:period", row)
    try:
        points = float(row["points"].replace(",", ".")) if row["points"].count(",") <= 1 else None
    except ValueError:
        points = None
    if points is None:
        return dead("bad_type:points", row)
    issued = row.get("issued_at") or None
    if issued is not None and parse_ts(issued) is None:
        return dead("bad_type:issued_at", row)
    maximum: Any = row.get("max_points") or None
    if maximum is not None:
        try:
            maximum = float(maximum.replace(",", "."))
        except ValueError:
            return dead("bad_type:max_points", row)
    reason = _points_problem(points, maximum, group, component, ctx.catalogue, "points", "max_points")
    if reason:
        return dead(reason, row)
    unit = ctx.organs.unit_of_id(row["unit"]) or (row["unit"] if row["unit"] in ctx.units.units else None)
    unit = unit or ctx.organs.unit_of_name(row["unit"])
    if unit is None:
        return dead(f"unknown_unit:{row['unit']}", row)
    wire = {"adapter": "portal766", "form": "csv"}
    return Mapped(records=(_record(unit, period, group, component, points, ctx, wire, issued),))


# -- shared ---------------------------------------------------------------------------------------


def _points_problem(points: Any, maximum: Any, group: str, component: str, catalogue: Catalogue,
                    points_field: str, max_field: str) -> str | None:
    """Why a figure cannot be used: an unknown group or component, points not a number or outside
    [0, the rules' maximum], or a stated maximum the rules do not have (another scoring version)."""
    if group not in catalogue.groups:
        return "bad_enum:group"
    if component and catalogue.components.get(component, ("", 0.0))[0] != group:
        return "bad_enum:component"
    limit = catalogue.components[component][1] if component else catalogue.groups[group]
    if not (isinstance(points, float) or is_int(points)):
        return f"bad_type:{points_field}"
    if not 0 <= points <= limit:
        return f"bad_enum:{points_field}"
    if maximum is not None and (not (isinstance(maximum, float) or is_int(maximum))
                                or abs(float(maximum) - limit) > 1e-9):
        return f"bad_enum:{max_field}"
    return None


def _record(unit: str, period: str, group: str, component: str, points: float, ctx: Context,
            wire: dict[str, Any], issued_at: str | None = None) -> dict[str, Any]:
    grain = period_grain(period)
    assert grain is not None
    start, _ = period_bounds(grain, period, ctx.units.timezone)
    record: dict[str, Any] = {
        "unit": unit, "period": period, "group": group, "component": component, "points": float(points),
        "max_points": (ctx.catalogue.components[component][1] if component else ctx.catalogue.groups[group]),
        "period_start": iso(start),
    }
    if issued_at:
        record["issued_at"] = issued_at
    record["_wire"] = {k: v for k, v in wire.items() if v is not None}
    return record
