"""E-office document KPIs (contract 4, `eoffice.*`).

A document's unit, direction and flags come from its latest record. It counts as issued in the
period of its first `issued` record (outgoing documents only), and as seen in the period of its
earliest record. It is overdue (live) while incoming, past its deadline, and without a
`completed`, `rejected` or `recalled` record.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from contract.timestamps import parse_valid_ts
from contract.units import AGENCY, COMMUNE, PROVINCE, UnitRegistry
from streams.kpis.base import Family, Fold, KpiRow, Share, SourceKpis, ratio, share
from streams.kpis.record_set import RecordSetFold

LEVELS = (COMMUNE, AGENCY, PROVINCE)
CLOSED = frozenset({"completed", "rejected", "recalled"})


class DocRec(NamedTuple):
    ts: int
    status: str
    unit: str
    outgoing: bool
    deadline: int | None
    electronic: bool
    signed: bool


def slim(r: dict[str, Any]) -> DocRec:
    deadline = r.get("deadline")
    return DocRec(parse_valid_ts(r["event_time"]), r["status"], r["unit"], r["direction"] == "outgoing",
                  parse_valid_ts(deadline) if isinstance(deadline, str) else None,
                  r.get("electronic") is True, r.get("digitally_signed") is True)


def shares(records: Sequence[DocRec]) -> tuple[str, dict[str, Share]]:
    latest, first = max(records), min(records)
    issued = min((r.ts for r in records if r.status == "issued"), default=None) if latest.outgoing else None
    return latest.unit, {"issued": share(issued, 1, latest.signed) if issued is not None else None,
                         "seen": share(first.ts, 1, latest.electronic)}


class DocumentFold(RecordSetFold):
    def entity_of(self, record: dict[str, Any]) -> str:
        return str(record["doc_id"])

    def slim(self, record: dict[str, Any]) -> tuple[tuple[int, str], DocRec]:
        rec = slim(record)
        return (rec.ts, rec.status), rec

    def shares(self, records: Sequence[DocRec]) -> tuple[str, dict[str, Share]]:
        return shares(records)

    def open_until(self, records: Sequence[DocRec]) -> tuple[str, int] | None:
        latest = max(records)
        closed = any(r.status in CLOSED for r in records)
        return (
            None if latest.outgoing or closed or latest.deadline is None else (latest.unit, latest.deadline)
        )

    def closed(self, records: Sequence[DocRec]) -> bool:
        """Completed, rejected or recalled; an outgoing document once issued."""
        return any(r.status in CLOSED or (r.outgoing and r.status == "issued") for r in records)

    def detail(self, entity: str) -> dict[str, Any]:
        records = self.records(entity)
        latest = max(records)
        issued = min((r.ts for r in records if r.status == "issued"), default=None)
        return {
            "doc_id": entity,
            "unit": latest.unit,
            "direction": "outgoing" if latest.outgoing else "incoming",
            "status": latest.status,
            "first_seen": min(records).ts,
            "issued_at": issued,
            "deadline": latest.deadline,
            "closed": any(r.status in CLOSED for r in records),
            "electronic": latest.electronic,
            "signed": latest.signed,
        }


def _issued(v: Sequence[int]) -> list[KpiRow]:
    n, signed = v
    return [("eoffice.issued", n, None, None), ("eoffice.signed_share", ratio(signed, n), signed, n)]


def _seen(v: Sequence[int]) -> list[KpiRow]:
    n, electronic = v
    return [("eoffice.electronic_share", ratio(electronic, n), electronic, n)]


class EofficeKpis(SourceKpis):
    source = "eoffice"
    domain = "eoffice"
    drill_down = True
    families = (
        Family("issued", 2, _issued, LEVELS),
        Family("seen", 2, _seen, LEVELS),
        Family("overdue", 1, lambda v: [("eoffice.overdue_open", v[0], None, None)], LEVELS, live=True),
    )

    def new_fold(self, units: UnitRegistry, late_us: int | None = None) -> Fold:
        return DocumentFold(units, late_us)
