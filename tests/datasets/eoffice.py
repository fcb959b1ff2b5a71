"""The e-office (eoffice) data set and its hand-worked KPI values (units, times and names: see
tests/datasets/__init__.py).

E-OFFICE (eoffice) -- a document's unit, direction and flags are those of its latest record
-------------------------------------------------------------------------------------------
E1  (A) outgoing, electronic, signed: registered 11-02 08:00, issued 11-03 09:00. The issued record
    is re-sent with digitally_signed=false: same identity, a duplicate, the first copy wins.
E2  (A) outgoing: processing 11-04 08:00 and issued 11-05 10:00 (sent in reverse order), both paper
    and unsigned, with a deadline 11-04 17:00 (an outgoing deadline is never overdue). Phase 2: a
    later second `issued` record 11-06 10:00, electronic and signed: the issue period stays 11-05 (the
    FIRST issued record) but the flags turn on (latest record): signed 0 -> 1, electronic 0 -> 1.
E3  (S) outgoing, electronic, signed, at the month edge written in UTC: registered
    2026-10-31T16:45Z (= 23:45 on 31 October local: first seen in OCTOBER), issued 2026-10-31T17:15Z
    (= 00:15 on 1 November local: issued in NOVEMBER, day 2026-11-01).
E4  (S) incoming, electronic: received 11-05 08:00, assigned 11-06 08:00, deadline 11-10 17:00,
    never completed: overdue now. Its received record is re-sent with the same instant written in
    UTC (2026-11-05T01:00Z): a duplicate.
E5  (S) incoming, paper: received 11-08, completed 11-11 (the completed record sent first),
    deadline 11-12: closed, not overdue.
E6  (B) incoming, paper: received 11-09, rejected 11-10, deadline 11-15 (past): not overdue.
E7  (B) incoming, electronic: received 11-20, deadline 2026-12-15 (in the future: a deadline is not
    an event time, so no future_time): not overdue.
E8  (B) incoming: received 11-16 08:00 (paper, deadline 2026-12-31: not overdue in phase 1). Phase 2:
    assigned 11-17 08:00, electronic, deadline 11-18 17:00: the latest record's deadline is past ->
    overdue; electronic 0 -> 1.
E9  incoming, moved: received 11-12 08:00 at A (sent LAST), assigned 11-13 08:00 at T (sent first),
    deadline 11-14 17:00. The latest record puts it at T: first seen 11-12 at T (not at A), overdue
    at T.
E10 (S) outgoing, paper, signed: registered 2026-09-19, issued 2026-09-20 (issued record sent first);
    back-filled in phase 2: September / Q3 rows appear.
E11 (A) direction from the latest record: received 11-18 08:00 as INCOMING with deadline 11-19 17:00,
    then issued 11-20 09:00 as OUTGOING, electronic, unsigned. It is outgoing: issued in A on 11-20
    (signed 0) and not overdue; first seen 11-18 at A, electronic.
E12 (C) incoming, electronic: received 11-03, recalled 11-04, deadline 11-05: not overdue.
E13 (C) incoming, paper, processing 11-06, no deadline (null): not overdue.

eoffice.issued / signed_share (first `issued` record; signed = latest record's flag):
  A Nov: E1 (s), E2 (s after phase 2), E11 (not s): 3, signed 1/3 after phase 1, 2/3 after phase 2.
  A day 11-03: E1 1, 1/1; A day 11-05: E2 1, 0/1 -> 1/1; A day 11-06: no row (second issued record).
  S Nov: E3 1 (1/1), S day 2026-11-01: 1; S Oct: no issued row (E3 was only registered in October).
  S Sep: E10 1 (1/1); S Q3 1; S Q4 1; S year 2026: 2, signed 2/2.
  P Nov: E1 E2 E3 E11 = 4, signed 2/4 (phase 1) -> 3/4; P Q4 4; P Q3 1; P year 5, signed 4/5.
  B, T: no documents issued: no rows.
eoffice.electronic_share (period of the earliest record, unit and flag of the latest):
  A Nov: E1 (e), E2 (e after phase 2), E11 (e) = 2/3 -> 3/3.  A day 11-12: no row (E9 moved to T).
  S Oct: E3 1/1 (day 2026-10-31 1/1); S Nov: E4 (e), E5 = 1/2; S Sep: E10 0/1 -> 0.0;
  S Q4: E3 E4 E5 = 2/3; S Q3 0/1; S year 4 documents, 2 electronic = 1/2.
  B Nov: E6, E7 (e), E8 (e after phase 2) = 1/3 -> 2/3.   T Nov: E9 0/1 (day 11-12 0/1).
  C Nov: E12 (e), E13 = 1/2; C day 11-03: 1/1.
  P Nov: A 3 + S 2 + B 3 + T 1 + C 2 = 11 documents; electronic 2+1+1+0+1 = 5 (phase 1) ->
  3+1+2+0+1 = 7 (phase 2): 5/11 -> 7/11.  P Oct 1/1 (day 2026-10-31 1/1).  P Q4 12, electronic
  1 + 7 = 8: 8/12.  P Q3 0/1.  P year 13, 8: 8/13.
eoffice.overdue_open (live; every commune, agency and the province has a row, zeros included):
  S 1 (E4), T 1 (E9), B 0 -> 1 (E8 in phase 2), A 0 (E9 left, E11 outgoing, E2 outgoing), C 0
  (E12 recalled, E13 no deadline), P 2 -> 3, every other unit 0 (e.g. 03394, 12.VP).
"""
from __future__ import annotations

from typing import Any

from tests.datasets.common import BIG, LIVE, A, B, C, D, Key, L, P, Row, S, T, drop


def doc(
    doc_id: str,
    unit: str,
    direction: str,
    status: str,
    at: str,
    deadline: str | None = None,
    electronic: bool = False,
    signed: bool = False,
    urgency: str = "normal",
    **extra: Any,
) -> dict[str, Any]:
    r: dict[str, Any] = {
        "doc_id": doc_id,
        "unit": unit,
        "direction": direction,
        "status": status,
        "event_time": at,
        "deadline": deadline,
        "urgency": urgency,
        "electronic": electronic,
        "digitally_signed": signed,
    }
    r.update(extra)
    return r


E1 = [
    doc("E1", A, "outgoing", "registered", L("11-02T08:00"), electronic=True, signed=True),
    doc("E1", A, "outgoing", "issued", L("11-03T09:00"), electronic=True, signed=True),
]
E1_RESENT = dict(E1[1], digitally_signed=False)  # duplicate, other content
E2_P1 = [
    doc("E2", A, "outgoing", "processing", L("11-04T08:00"), L("11-04T17:00")),
    doc("E2", A, "outgoing", "issued", L("11-05T10:00"), L("11-04T17:00")),
]
E2_P2 = [doc("E2", A, "outgoing", "issued", L("11-06T10:00"), L("11-04T17:00"), electronic=True, signed=True)]
E3 = [
    doc("E3", S, "outgoing", "registered", "2026-10-31T16:45:00Z", electronic=True, signed=True),
    doc("E3", S, "outgoing", "issued", "2026-10-31T17:15:00Z", electronic=True, signed=True),
]
E4 = [
    doc(
        "E4", S, "incoming", "received", L("11-05T08:00"), L("11-10T17:00"), electronic=True, urgency="urgent"
    ),
    doc(
        "E4", S, "incoming", "assigned", L("11-06T08:00"), L("11-10T17:00"), electronic=True, urgency="urgent"
    ),
]
E4_RESENT_UTC = dict(E4[0], event_time="2026-11-05T01:00:00Z")  # same instant: duplicate
E5 = [
    doc("E5", S, "incoming", "completed", L("11-11T08:00"), L("11-12T17:00")),
    doc("E5", S, "incoming", "received", L("11-08T08:00"), L("11-12T17:00")),
]
E6 = [
    doc("E6", B, "incoming", "received", L("11-09T08:00"), L("11-15T17:00")),
    doc("E6", B, "incoming", "rejected", L("11-10T08:00"), L("11-15T17:00")),
]
E7 = [
    doc(
        "E7",
        B,
        "incoming",
        "received",
        L("11-20T08:00"),
        "2026-12-15T17:00:00+07:00",
        electronic=True,
        urgency="flash",
    )
]
E8_P1 = [doc("E8", B, "incoming", "received", L("11-16T08:00"), "2026-12-31T17:00:00+07:00")]
E8_P2 = [doc("E8", B, "incoming", "assigned", L("11-17T08:00"), L("11-18T17:00"), electronic=True)]
E9 = [
    doc("E9", T, "incoming", "assigned", L("11-13T08:00"), L("11-14T17:00")),
    doc("E9", A, "incoming", "received", L("11-12T08:00"), L("11-14T17:00")),
]
E10 = [
    doc("E10", S, "outgoing", "issued", "2026-09-20T10:00:00+07:00", signed=True),
    doc("E10", S, "outgoing", "registered", "2026-09-19T08:00:00+07:00", signed=True),
]
E11 = [
    doc("E11", A, "incoming", "received", L("11-18T08:00"), L("11-19T17:00"), electronic=True),
    doc("E11", A, "outgoing", "issued", L("11-20T09:00"), electronic=True, signed=False),
]
E12 = [
    doc(
        "E12",
        C,
        "incoming",
        "received",
        L("11-03T08:00"),
        L("11-05T17:00"),
        electronic=True,
        urgency="very_urgent",
    ),
    doc(
        "E12",
        C,
        "incoming",
        "recalled",
        L("11-04T08:00"),
        L("11-05T17:00"),
        electronic=True,
        urgency="very_urgent",
    ),
]
E13 = [doc("E13", C, "incoming", "processing", L("11-06T08:00"))]

EOFFICE_PHASE1 = (
    E1 + [E1_RESENT] + E2_P1[::-1] + E3 + E4 + [E4_RESENT_UTC] + E5 + E6 + E7 + E8_P1 + E9 + E11 + E12 + E13
)
EOFFICE_PHASE2 = E2_P2 + E8_P2 + E10
EOFFICE_DUPLICATES_PHASE1 = 2  # E1_RESENT, E4_RESENT_UTC
EOFFICE_ACCEPTED_PHASE1 = 21  # 23 records - 2 duplicates
EOFFICE_ACCEPTED_PHASE2 = 4

_ed = doc("BAD-E", A, "incoming", "received", L("11-10T08:00"), L("11-12T17:00"))
EOFFICE_BAD: list[tuple[Any, str]] = [
    ({**_ed, "note": BIG}, "too_large"),
    ('{"doc_id": "BAD-E2", ', "unparseable"),
    ('"a JSON string, not a record"', "unparseable"),
    ({**_ed, "signer_id_number": "001203004567"}, "personal_id"),
    (
        {**_ed, "attachments": [{"owner": {"cccd": 791203004567}}]},
        "personal_id",
    ),  # a 12-digit integer, nested
    ({**_ed, "doc_id": None, "signer": "001203004567"}, "personal_id"),  # personal_id beats missing_field
    ({**_ed, "doc_id": ""}, "missing_field:doc_id"),
    (drop(_ed, "unit"), "missing_field:unit"),
    ({**_ed, "direction": None}, "missing_field:direction"),
    (drop(_ed, "status"), "missing_field:status"),
    (drop(_ed, "event_time"), "missing_field:event_time"),
    ({**_ed, "doc_id": 1001}, "bad_type:doc_id"),
    ({**_ed, "event_time": "2026-11-10T08:00:00"}, "bad_type:event_time"),  # no offset
    ({**_ed, "deadline": "2026-11-12"}, "bad_type:deadline"),
    ({**_ed, "electronic": "true"}, "bad_type:electronic"),
    ({**_ed, "digitally_signed": 1}, "bad_type:digitally_signed"),
    ({**_ed, "direction": "sideways"}, "bad_enum:direction"),
    ({**_ed, "status": "archived"}, "bad_enum:status"),
    ({**_ed, "urgency": "low"}, "bad_enum:urgency"),
    ({**_ed, "unit": "12"}, "unknown_unit:12"),  # the province itself does not hold documents
    ({**_ed, "unit": "12.STTTT"}, "unknown_unit:12.STTTT"),  # a dissolved department
    ({**_ed, "unit": "03391"}, "unknown_unit:03391"),  # not a commune of the province
    ({**_ed, "event_time": "2030-01-01T00:00:00+07:00"}, "future_time"),
    # several problems: the first category in the contract's order wins
    ({**_ed, "direction": "sideways", "event_time": "2026-11-10T08:00"}, "bad_type:event_time"),
    ({**_ed, "unit": "12.STTTT", "urgency": "low"}, "bad_enum:urgency"),
    ({**_ed, "unit": "12.STTTT", "event_time": "2030-01-01T00:00:00Z"}, "unknown_unit:12.STTTT"),
]

EOFFICE_EXPECTED_PHASE1: dict[Key, Row] = {
    ("eoffice.issued", A, "month", "2026-11"): (3, None, None),
    ("eoffice.signed_share", A, "month", "2026-11"): (1 / 3, 1, 3),
    ("eoffice.signed_share", A, "day", "2026-11-05"): (0.0, 0, 1),
    ("eoffice.electronic_share", A, "month", "2026-11"): (2 / 3, 2, 3),
    ("eoffice.electronic_share", B, "month", "2026-11"): (1 / 3, 1, 3),
    ("eoffice.issued", P, "month", "2026-11"): (4, None, None),
    ("eoffice.signed_share", P, "month", "2026-11"): (0.5, 2, 4),
    ("eoffice.electronic_share", P, "month", "2026-11"): (5 / 11, 5, 11),
    ("eoffice.issued", P, "year", "2026"): (4, None, None),
    ("eoffice.overdue_open", B, *LIVE): (0, None, None),
    ("eoffice.overdue_open", P, *LIVE): (2, None, None),
}
EOFFICE_ABSENT_PHASE1: list[Key] = [
    ("eoffice.issued", S, "month", "2026-09"),
    ("eoffice.electronic_share", S, "quarter", "2026-Q3"),
]

EOFFICE_EXPECTED: dict[Key, Row] = {
    # commune A: issued E1 E2 E11, first seen E1 E2 E11
    ("eoffice.issued", A, "month", "2026-11"): (3, None, None),
    ("eoffice.signed_share", A, "month", "2026-11"): (2 / 3, 2, 3),
    ("eoffice.issued", A, "day", "2026-11-03"): (1, None, None),
    ("eoffice.signed_share", A, "day", "2026-11-03"): (1.0, 1, 1),
    ("eoffice.issued", A, "day", "2026-11-05"): (1, None, None),
    ("eoffice.signed_share", A, "day", "2026-11-05"): (1.0, 1, 1),
    ("eoffice.issued", A, "day", "2026-11-20"): (1, None, None),
    ("eoffice.signed_share", A, "day", "2026-11-20"): (0.0, 0, 1),
    ("eoffice.electronic_share", A, "month", "2026-11"): (1.0, 3, 3),
    ("eoffice.electronic_share", A, "day", "2026-11-18"): (1.0, 1, 1),
    ("eoffice.issued", A, "quarter", "2026-Q4"): (3, None, None),
    # agency S: E3 at the month edge, E4 E5 in November, E10 back-filled in September
    ("eoffice.issued", S, "month", "2026-11"): (1, None, None),
    ("eoffice.signed_share", S, "month", "2026-11"): (1.0, 1, 1),
    ("eoffice.issued", S, "day", "2026-11-01"): (1, None, None),
    ("eoffice.electronic_share", S, "month", "2026-10"): (1.0, 1, 1),
    ("eoffice.electronic_share", S, "day", "2026-10-31"): (1.0, 1, 1),
    ("eoffice.electronic_share", S, "month", "2026-11"): (0.5, 1, 2),
    ("eoffice.issued", S, "month", "2026-09"): (1, None, None),
    ("eoffice.signed_share", S, "month", "2026-09"): (1.0, 1, 1),
    ("eoffice.electronic_share", S, "month", "2026-09"): (0.0, 0, 1),
    ("eoffice.issued", S, "quarter", "2026-Q3"): (1, None, None),
    ("eoffice.issued", S, "quarter", "2026-Q4"): (1, None, None),
    ("eoffice.electronic_share", S, "quarter", "2026-Q4"): (2 / 3, 2, 3),
    ("eoffice.electronic_share", S, "quarter", "2026-Q3"): (0.0, 0, 1),
    ("eoffice.issued", S, "year", "2026"): (2, None, None),
    ("eoffice.signed_share", S, "year", "2026"): (1.0, 2, 2),
    ("eoffice.electronic_share", S, "year", "2026"): (0.5, 2, 4),
    # agency T: E9, moved there from A
    ("eoffice.electronic_share", T, "month", "2026-11"): (0.0, 0, 1),
    ("eoffice.electronic_share", T, "day", "2026-11-12"): (0.0, 0, 1),
    # communes B, C
    ("eoffice.electronic_share", B, "month", "2026-11"): (2 / 3, 2, 3),
    ("eoffice.electronic_share", C, "month", "2026-11"): (0.5, 1, 2),
    ("eoffice.electronic_share", C, "day", "2026-11-03"): (1.0, 1, 1),
    # province
    ("eoffice.issued", P, "month", "2026-11"): (4, None, None),
    ("eoffice.signed_share", P, "month", "2026-11"): (0.75, 3, 4),
    ("eoffice.electronic_share", P, "month", "2026-11"): (7 / 11, 7, 11),
    ("eoffice.electronic_share", P, "month", "2026-10"): (1.0, 1, 1),
    ("eoffice.electronic_share", P, "day", "2026-10-31"): (1.0, 1, 1),
    ("eoffice.issued", P, "quarter", "2026-Q4"): (4, None, None),
    ("eoffice.electronic_share", P, "quarter", "2026-Q4"): (8 / 12, 8, 12),
    ("eoffice.issued", P, "quarter", "2026-Q3"): (1, None, None),
    ("eoffice.electronic_share", P, "quarter", "2026-Q3"): (0.0, 0, 1),
    ("eoffice.issued", P, "year", "2026"): (5, None, None),
    ("eoffice.signed_share", P, "year", "2026"): (0.8, 4, 5),
    ("eoffice.electronic_share", P, "year", "2026"): (8 / 13, 8, 13),
    # live
    ("eoffice.overdue_open", A, *LIVE): (0, None, None),
    ("eoffice.overdue_open", B, *LIVE): (1, None, None),
    ("eoffice.overdue_open", C, *LIVE): (0, None, None),
    ("eoffice.overdue_open", D, *LIVE): (0, None, None),
    ("eoffice.overdue_open", S, *LIVE): (1, None, None),
    ("eoffice.overdue_open", T, *LIVE): (1, None, None),
    ("eoffice.overdue_open", "12.VP", *LIVE): (0, None, None),
    ("eoffice.overdue_open", P, *LIVE): (3, None, None),
}
EOFFICE_ABSENT: list[Key] = [
    ("eoffice.issued", A, "day", "2026-11-06"),  # E2's second issued record
    ("eoffice.issued", S, "month", "2026-10"),  # E3 registered in October, issued in November
    ("eoffice.issued", S, "day", "2026-10-31"),
    ("eoffice.electronic_share", S, "day", "2026-11-01"),  # E3 first seen on 31 October (local)
    ("eoffice.issued", B, "month", "2026-11"),
    ("eoffice.issued", T, "month", "2026-11"),
    ("eoffice.electronic_share", A, "day", "2026-11-12"),  # E9 moved to T
    ("eoffice.electronic_share", A, "month", "2026-10"),
    ("eoffice.issued", P, "month", "2026-10"),
    ("eoffice.issued", D, "month", "2026-11"),
]
