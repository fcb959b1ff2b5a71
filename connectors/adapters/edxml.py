"""edXML packages (QCVN 102:2016) -> `eoffice` records (wire-formats 2).

One package per request is one wire item: a document envelope gives a record per unit of ours that
holds a copy (sender: issued/outgoing; each receiving unit: received/incoming), a status message a
record only for the closing statuses 02 and 06 of our reporting organ. Only header fields are read;
`SignerInfo`, `StaffInfo`, `Subject`, the body and the attachments (skipped unread) never leave here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connectors.adapters.base import Adapter, Context, Mapped, Meta, Problems, dead, ignored
from connectors.adapters.wiretime import BadTime, read_time, write_time
from connectors.adapters.xml import XmlRejected, events, inflate, local, rejected_item

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
URGENCY = {"0": "normal", "1": "urgent", "2": "very_urgent", "3": "flash", "4": "flash"}
DOC_TYPES = {"0": "new", "1": "revoke", "2": "update", "3": "replace"}
CLOSING = {"02": "rejected", "06": "completed"}
NO_RECORD = {"01", "03", "04", "05", "13", "15", "16"}
DEFAULT_MAX_BYTES = 64 << 20


class EdxmlAdapter(Adapter):
    name = "edxml"
    target = "eoffice"
    file_suffixes = (".edxml", ".xml", ".gz")

    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        limit = ctx.max_document_bytes.get(self.name, DEFAULT_MAX_BYTES)
        data = body
        try:
            data = inflate(body, limit)
            root = None
            for _, element in events(data, skip=frozenset({"AttachmentEncoded"})):
                if root is None:
                    root = element
            assert root is not None
        except XmlRejected as exc:
            yield dead(exc.reason, rejected_item(data, exc.detail))
            return
        yield map_package(root, ctx)


# -- reading the header by local names (0.7) ---------------------------------------------------------


def child(el: Any, *path: str) -> Any:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if local(c.tag) == name), None)
    return el


def children(el: Any, name: str) -> list[Any]:
    return [] if el is None else [c for c in el if local(c.tag) == name]


def text(el: Any, *path: str) -> str | None:
    found = child(el, *path)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def first(root: Any, name: str, having: str | None = None) -> Any:
    for el in root.iter():
        if local(el.tag) == name and (having is None or child(el, having) is not None):
            return el
    return None


def map_package(root: Any, ctx: Context) -> Mapped:
    status = first(root, "Status", having="StatusCode")
    if status is not None:
        return map_status(status, ctx)
    header = first(root, "edXMLHeader")
    message = child(header, "MessageHeader")
    if message is None or child(message, "From") is None:
        return dead(
            "unparseable", {"problem": "neither a document envelope (MessageHeader/From) nor a status"}
        )
    return map_envelope(header, message, ctx)


# -- document envelopes (2.2) ------------------------------------------------------------------------


def map_envelope(header: Any, message: Any, ctx: Context) -> Mapped:
    tz, organs = ctx.units.timezone, ctx.organs
    problems = Problems()
    sender = text(message, "From", "OrganId")
    to_ids = [t for t in (text(el, "OrganId") for el in children(message, "To")) if t]
    traces = [
        (text(t, "OrganId"), text(t, "Timestamp"))
        for t in children(child(header, "TraceHeaderList"), "TraceHeader")
    ]
    business = child(header, "TraceHeaderList", "Bussiness")
    doc_type = text(business, "BussinessDocType")
    item = _envelope_item(header, message, sender, to_ids, traces, doc_type)
    doc_id = text(message, "DocumentId") or _composed_id(
        sender, text(message, "PromulgationInfo", "PromulgationDate"), child(message, "Code")
    )
    if doc_id is None:
        problems.add("missing_field:DocumentId")
    if sender is None:
        problems.add("missing_field:From")
    if doc_type is not None and doc_type not in DOC_TYPES:
        problems.add("bad_enum:BussinessDocType")
    u_from = organs.unit_of_id(sender) if sender else None
    receivers: dict[str, str] = {}
    for organ in to_ids:
        unit = organs.unit_of_id(organ)
        if unit is not None and unit != u_from:
            receivers.setdefault(unit, organ)
    if sender and u_from is None and not receivers:
        problems.add(f"unknown_unit:{sender}")
    event_time = _sent_at(message, traces, sender, ctx, problems)
    deadline = _read(text(message, "DueDate"), "DueDate", ctx, problems, end_of_day=True)
    priority = text(message, "OtherInfo", "Priority")
    if priority is not None and priority not in URGENCY:
        problems.add("bad_enum:Priority")
    if (reason := problems.first()) or doc_id is None or event_time is None:
        return dead(reason or "missing_field:Timestamp", item)
    common = {
        "event_time": write_time(event_time, tz),
        "urgency": URGENCY[priority or "0"],
        "electronic": True,
        "digitally_signed": _signed(header),
    }

    def record(doc: str, unit: str, direction: str, status: str, organ: str) -> dict[str, Any]:
        r: dict[str, Any] = {
            "doc_id": f"{doc}@{unit}",
            "unit": unit,
            "direction": direction,
            "status": status,
            **common,
        }
        if direction == "incoming" and deadline is not None:
            r["deadline"] = write_time(deadline, tz)
        wire = {"adapter": "edxml", "kind": "document", "organ": organ, "code": doc_type}
        r["_wire"] = {k: v for k, v in wire.items() if v is not None}
        return r

    kind = DOC_TYPES.get(doc_type or "0", "new")
    if kind == "revoke":
        doc_id = text(business, "DocumentId") or doc_id
    sent, got = ("recalled", "recalled") if kind == "revoke" else ("issued", "received")
    records = []
    if u_from is not None and sender is not None:
        records.append(record(doc_id, u_from, "outgoing", sent, sender))
    records += [record(doc_id, unit, "incoming", got, organ) for unit, organ in receivers.items()]
    if kind == "replace":
        records += _replaced(business, u_from, receivers, record, ctx)
    return Mapped(records=tuple(records))


def _replaced(
    business: Any, u_from: str | None, receivers: dict[str, str], record: Any, ctx: Context
) -> list[dict[str, Any]]:
    """`recalled` for each replaced document at our organs of its OrganIdList (else our To organs)."""
    out = []
    for info in (el for el in business.iter() if local(el.tag) == "ReplacementInfo"):
        replaced = text(info, "DocumentId")
        if replaced is None:
            continue
        listed = [
            o.text.strip() for o in info.iter() if local(o.tag) == "OrganId" and o.text and o.text.strip()
        ]
        at: dict[str, str] = {}
        for organ in listed:
            if (unit := ctx.organs.unit_of_id(organ)) is not None:
                at.setdefault(unit, organ)
        for unit, organ in (at or receivers).items():
            out.append(
                record(replaced, unit, "outgoing" if unit == u_from else "incoming", "recalled", organ)
            )
    return out


def _composed_id(organ: str | None, date: str | None, code: Any) -> str | None:
    number, notation = text(code, "CodeNumber"), text(code, "CodeNotation")
    if not (organ and date and number):
        return None
    return f"{organ},{date},{number}/{notation}" if notation else f"{organ},{date},{number}"


def _read(
    value: str | None, name: str, ctx: Context, problems: Problems, end_of_day: bool = False
) -> datetime | None:
    try:
        return read_time(value, ctx.units.timezone, end_of_day=end_of_day)
    except BadTime:
        problems.add(f"bad_type:{name}")
        return None


def _sent_at(
    message: Any,
    traces: list[tuple[str | None, str | None]],
    sender: str | None,
    ctx: Context,
    problems: Problems,
) -> datetime | None:
    """The sender's first trace timestamp, else the first trace's, else the promulgation date 00:00."""
    stamps = [ts for organ, ts in traces if organ == sender and ts] or [ts for _, ts in traces if ts]
    if stamps:
        return _read(stamps[0], "Timestamp", ctx, problems)
    promulgated = _read(
        text(message, "PromulgationInfo", "PromulgationDate"), "PromulgationDate", ctx, problems
    )
    if promulgated is None and not problems.found:
        problems.add("missing_field:Timestamp")
    return promulgated


def _signed(header: Any) -> bool:
    for el in header.iter():
        if el.tag == DSIG + "Signature":
            value = child(el, "SignatureValue")
            if value is not None and (value.text or "").strip():
                return True
    return False


def _envelope_item(
    header: Any,
    message: Any,
    sender: str | None,
    to_ids: list[str],
    traces: list[tuple[str | None, str | None]],
    doc_type: str | None,
) -> dict[str, Any]:
    """A dead letter keeps only the header fields the mapping reads (0.5)."""
    item = {
        "kind": "document",
        "From": sender,
        "To": to_ids,
        "DocumentId": text(message, "DocumentId"),
        "PromulgationDate": text(message, "PromulgationInfo", "PromulgationDate"),
        "CodeNumber": text(message, "Code", "CodeNumber"),
        "CodeNotation": text(message, "Code", "CodeNotation"),
        "DueDate": text(message, "DueDate"),
        "Priority": text(message, "OtherInfo", "Priority"),
        "BussinessDocType": doc_type,
        "TraceHeader": [{"OrganId": o, "Timestamp": t} for o, t in traces],
        "signed": _signed(header),
    }
    return {k: v for k, v in item.items() if v is not None}


# -- status messages (2.3) ---------------------------------------------------------------------------


def map_status(status: Any, ctx: Context) -> Mapped:
    code = text(status, "StatusCode")
    reporter = text(status, "From", "OrganId")
    response = child(status, "ResponseFor")
    doc_id = None
    if response is not None:
        doc_id = text(response, "DocumentId")
        organ, date, code_text = (text(response, n) for n in ("OrganId", "PromulgationDate", "Code"))
        if doc_id is None and organ and date and code_text:
            doc_id = f"{organ},{date},{code_text}"
    stamp = text(status, "Timestamp")
    item = {
        k: v
        for k, v in {
            "kind": "status",
            "DocumentId": doc_id,
            "From": reporter,
            "StatusCode": code,
            "Timestamp": stamp,
        }.items()
        if v is not None
    }
    if code in NO_RECORD:
        return ignored(f"status:{code}")
    unit = ctx.organs.unit_of_id(reporter) if reporter else None
    if reporter is not None and unit is None:
        return ignored("status:foreign")
    problems = Problems()
    if doc_id is None:
        problems.add("missing_field:DocumentId")
    if reporter is None:
        problems.add("missing_field:From")
    if code not in CLOSING:
        problems.add("missing_field:StatusCode" if code is None else "bad_enum:StatusCode")
    if stamp is None:
        problems.add("missing_field:Timestamp")
    at = _read(stamp, "Timestamp", ctx, problems)
    if (reason := problems.first()) or at is None or unit is None or doc_id is None or code is None:
        return dead(reason or "missing_field:Timestamp", item)
    record = {
        "doc_id": f"{doc_id}@{unit}",
        "unit": unit,
        "direction": "incoming",
        "status": CLOSING[code],
        "event_time": write_time(at, ctx.units.timezone),
        "electronic": True,
        "_wire": {"adapter": "edxml", "kind": "status", "organ": reporter, "code": code},
    }
    return Mapped(records=(record,))
