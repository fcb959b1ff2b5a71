"""Hand-made data sets for the e-office, population and telecom sources, with KPI values worked
out by hand from the data contract (sections 2.2-2.4, 3, 4, 5 and 7). Nothing here is computed
by the project's code: every expected number is written out and explained below.

Units: communes A = 03388 (Đoàn Kết), B = 03408 (Tân Phong), C = 03390 (Bình Lư), D = 03394
(Sin Suối Hồ); agencies S = 12.SNV (Home Affairs), T = 12.STC (Finance); province P = 12.
Times are local (+07:00) unless written in UTC on purpose. "Now" is 2026-11-22 (the records are all
in the past except the one meant to be `future_time`). Periods: day / month / quarter / year in
local time; live KPIs have grain and period `live`.

Each source has PHASE1 (first batch, with duplicates and every bad record), PHASE2 (late and
corrected records), EXPECTED_PHASE1 / ABSENT_PHASE1 (after phase 1) and EXPECTED / ABSENT (after
phase 2; for telecom also after the cut-off steps, see TEL_STEPS). EXPECTED maps
(kpi, unit, grain, period) -> (value, numerator, denominator); ABSENT lists rows that must not exist.


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


POPULATION (population) -- distinct citizens, verifications and their p95 latency
---------------------------------------------------------------------------------
Activations (`eid_activated`, counted only at level 2, distinct citizen_ref per unit and period):
  c-01: A 11-03 09:00 (pa01) and A 11-05 09:00 (pa02), and B 11-20 09:00 (pa06).
  c-02: A 11-04 09:00 (pa03); pa03 is re-sent with commune B: a duplicate (identity = event_id), so
        B never gets c-02. Phase 2: a late activation at A on 2026-10-10 (pa12).
  c-03: level 1 activation at A 11-06 (pa04) and a level-2 `eid_application` at A 11-02 (pa05): neither
        is an activation at level 2. A `record_corrected` at A 11-07 (pa11) counts nowhere.
  RAW:  the raw personal id 038095001234 as citizen_ref, activated at B on 11-10 08:00 (pa07) and
        11-10 15:00 (pa08): both records are accepted with the same keyed hash (pid-...), one citizen.
  c-05: C at 2026-10-31T16:30Z (23:30 on 31 October local: OCTOBER) (pa09).
  c-06: C at 2026-10-31T17:00Z (00:00 on 1 November local: NOVEMBER) (pa10).
  c-07: phase 2, A on 2026-08-15 (pa13): Q3.
  population.eid_activations:
    A Nov {c-01, c-02} = 2; A days 11-03, 11-04, 11-05 = 1 each (c-01 once per day, twice in the
    month but once); A Oct: c-02 (phase 2) = 1; A Q4 {c-01, c-02} = 2; A Aug / Q3 = 1 (c-07);
    A year {c-01, c-02, c-07}: 2 -> 3.
    B Nov {c-01, RAW} = 2; B day 11-10 = 1 (RAW twice); B day 11-20 = 1.
    C Oct 1 (day 2026-10-31 1); C Nov 1 (day 2026-11-01 1); C Q4 2.
    P Nov {c-01, c-02, RAW, c-06} = 4 (c-01 counted once though activated in A and B);
    P Oct {c-05} = 1 -> {c-05, c-02} = 2; P Q4 {c-01, c-02, RAW, c-05, c-06} = 5 (c-02 already in
    Q4 via November, so phase 2 adds nothing); P Q3 1; P year 5 -> 6.
Verifications (result, latency_ms):
  A 11-10: pv01 ok 100, pv02 ok 200, pv03 mismatch 300;  A 11-11: pv04 error 400, pv05 ok 1000.
  B 2026-10-31T17:10Z (= 00:10 on 1 November local): pv06 ok 50.
  B 11-12: event_id = the raw personal id 079203001234 (replaced by its pid- hash), not_found 150;
    sent twice: the second is a duplicate (the same hash).
  C 11-14: pv08 ok 250.5.   Phase 2: A 2026-09-05: pv09 ok 80.
  population.verify_success_rate (ok / all, error in the denominator) and
  population.verify_latency_p95_ms (linear interpolation: h = (n - 1) * 0.95, v[lo] + frac * (v[lo+1] - v[lo])):
    A Nov: 3/5 = 0.6; [100, 200, 300, 400, 1000], h = 3.8: 400 + 0.8 * 600 = 880.
    A day 11-10: 2/3; [100, 200, 300], h = 1.9: 200 + 0.9 * 100 = 290.
    A day 11-11: 1/2; [400, 1000], h = 0.95: 400 + 0.95 * 600 = 970.
    A Sep / Q3: 1/1, 80.  A year: 3/5, 880 -> 4/6, [80, 100, 200, 300, 400, 1000], h = 4.75: 850.
    B Nov: 1/2 = 0.5; [50, 150], h = 0.95: 145.  B day 2026-11-01: 1/1, 50.  B Oct: no row.
    C Nov: 1/1, 250.5 (one value).
    P Nov: 8 verifications, ok pv01 pv02 pv05 pv06 pv08 = 5/8;
      [50, 100, 150, 200, 250.5, 300, 400, 1000], h = 6.65: 400 + 0.65 * 600 = 790.
    P Q3: 1/1, 80.  P year: 5/8, 790 -> 6/9, [50, 80, 100, 150, 200, 250.5, 300, 400, 1000],
      h = 7.6: 400 + 0.6 * 600 = 760.
    No verification in October (pv06 is November local): no P Oct row.


TELECOM (telecom) -- known sites, outages, cut-off communes, availability
-------------------------------------------------------------------------
Inventory (phase 1 unless said):
  T1 at A (valid_from 2026-06-01) and an OLDER record at B (valid_from 2026-01-01, sent after the A
     one): the latest valid_from wins, T1 is at A.
  T2 at A (2026-03-01); re-sent with commune C: same identity (kind, site_id, valid_from), a
     duplicate, T2 stays at A (otherwise A would not be cut off at step 3 and C would not be in
     phase 1).
  T3 at A (2026-03-01, vnpt, 2G/4G).  T4 at B (2026-02-01, mobifone).  T6 at C (2026-04-01, operator
  gtel: `operator` is an open list).  T5 at B arrives only in PHASE 2, after its alarm and counter.
  T9 never gets an inventory: its alarm and counter count nowhere, ever.
Alarms:
  T4 (B): x1 mains_failure critical raised (not an outage cause); x2 site_down minor raised (severity
     too low); x3 site_down critical raised AND cleared at the same instant 11-15 10:00 (the clear sent
     first): the clear wins; x3's raise re-sent: a duplicate; x4 cell_outage major cleared without a
     raise: nothing. T4 is never out.
  T6 (C): y1 transmission_down major raised 11-10, raised again 11-12, and the clear of 11-11 sent
     last: the latest event_time (11-12, raised) wins: T6 is out, and C (one known site, out) is cut off.
  T5 (B): z1 site_down critical raised 11-20 in phase 1, before T5 is known: B has 0 sites out. In
     phase 2 the inventory arrives: T5 is out, B sites_out 1, but T4 is not out: B not cut off.
  T9: w1 site_down critical raised: no inventory, no commune, no count.
  Cut-off sequence at A (TEL_STEPS, after phase 2, each checked alone): a1 T1 site_down critical
  raised 11-21 08:00 -> A 1 out, cut 0; a2 T2 cell_outage major raised 08:05 -> 2, 0; a3 T3
  transmission_down critical raised 08:10 -> 3 out of 3 known, cut 1; a2 cleared 09:00 -> 2, 0.
  The province's sites_out follows: 2 (B T5 + C T6) -> 3, 4, 5, 4.
telecom.sites_out (live, every commune and the province, zeros included) and
telecom.commune_cut_off (live, communes only, no province row):
  phase 1: A 0/0, B 0/0, C 1/1, D 0/0 (no known site: 0, not 1), P 1.
  phase 2: B 1/0, P 2.  After the steps: A 2/0, B 1/0, C 1/1, P 4.
telecom.availability = mean(availability_pct) / 100 over the counter records with period_start in
the period (unweighted; duplicates by (site_id, period_start) dropped):
  T2 11-20 10:00 100, T2 11-20 10:15 90; T3 11-20 10:00 95.5 (re-sent as 2026-11-20T03:00Z with 10:
  a duplicate); T2 11-20 10:00 re-sent with 0: a duplicate.
  T4 2026-10-31T16:45Z (23:45 local, OCTOBER) 80; T4 2026-10-31T17:00Z (00:00 local, 1 NOVEMBER) 60.
  T5 11-20 10:00 50, sent in phase 1 before T5's inventory: counted (at B) once the inventory comes.
  T9 11-19 10:00 99: never counted.  Phase 2: T6 2026-09-10 10:00 99 (late, Q3).
  A Nov = A day 11-20: (100 + 90 + 95.5) / 3 / 100 = 0.951666...
  B Oct (day 2026-10-31): 0.8.  B Nov: 0.6 -> (60 + 50) / 2 = 0.55.  B day 2026-11-01 0.6.
  B day 11-20: no row -> 0.5.  B Q4: 0.7 -> (80 + 60 + 50) / 3 = 0.6333...
  C Sep / Q3: 0.99 (phase 2); C Nov: no row.
  P Nov: (100 + 90 + 95.5 + 60) / 4 = 86.375 -> 0.86375; phase 2 (+50): 395.5 / 5 = 0.791.
  P day 11-20: 285.5 / 3 -> (285.5 + 50) / 4 = 0.83875.  P Oct 0.8.
  P Q4: 425.5 / 5 = 0.851 -> 475.5 / 6 = 0.7925.  P Q3 0.99.  P year 0.851 -> 574.5 / 7 = 0.82071428...
"""
from __future__ import annotations

from collections import Counter
from typing import Any

A, B, C, D = "03388", "03408", "03390", "03394"
S, T = "12.SNV", "12.STC"
P = "12"
LIVE = ("live", "live")
BIG = "x" * (1024 * 1024 + 10)   # makes any record too_large (over 1 MiB)

Key = tuple[str, str, str, str]
Row = tuple[Any, Any, Any]


def L(day_time: str) -> str:   # noqa: N802 - local time in November 2026
    return f"2026-{day_time}:00+07:00"


def drop(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


def reasons(bad: list[tuple[Any, str]]) -> dict[str, int]:
    return dict(Counter(reason for _, reason in bad))


# ============================================================================ eoffice

def doc(doc_id: str, unit: str, direction: str, status: str, at: str, deadline: str | None = None,
        electronic: bool = False, signed: bool = False, urgency: str = "normal", **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"doc_id": doc_id, "unit": unit, "direction": direction, "status": status,
                         "event_time": at, "deadline": deadline, "urgency": urgency, "electronic": electronic,
                         "digitally_signed": signed}
    r.update(extra)
    return r


E1 = [doc("E1", A, "outgoing", "registered", L("11-02T08:00"), electronic=True, signed=True),
      doc("E1", A, "outgoing", "issued", L("11-03T09:00"), electronic=True, signed=True)]
E1_RESENT = dict(E1[1], digitally_signed=False)                       # duplicate, other content
E2_P1 = [doc("E2", A, "outgoing", "processing", L("11-04T08:00"), L("11-04T17:00")),
         doc("E2", A, "outgoing", "issued", L("11-05T10:00"), L("11-04T17:00"))]
E2_P2 = [doc("E2", A, "outgoing", "issued", L("11-06T10:00"), L("11-04T17:00"), electronic=True, signed=True)]
E3 = [doc("E3", S, "outgoing", "registered", "2026-10-31T16:45:00Z", electronic=True, signed=True),
      doc("E3", S, "outgoing", "issued", "2026-10-31T17:15:00Z", electronic=True, signed=True)]
E4 = [doc("E4", S, "incoming", "received", L("11-05T08:00"), L("11-10T17:00"), electronic=True, urgency="urgent"),
      doc("E4", S, "incoming", "assigned", L("11-06T08:00"), L("11-10T17:00"), electronic=True, urgency="urgent")]
E4_RESENT_UTC = dict(E4[0], event_time="2026-11-05T01:00:00Z")        # same instant: duplicate
E5 = [doc("E5", S, "incoming", "completed", L("11-11T08:00"), L("11-12T17:00")),
      doc("E5", S, "incoming", "received", L("11-08T08:00"), L("11-12T17:00"))]
E6 = [doc("E6", B, "incoming", "received", L("11-09T08:00"), L("11-15T17:00")),
      doc("E6", B, "incoming", "rejected", L("11-10T08:00"), L("11-15T17:00"))]
E7 = [doc("E7", B, "incoming", "received", L("11-20T08:00"), "2026-12-15T17:00:00+07:00", electronic=True,
          urgency="flash")]
E8_P1 = [doc("E8", B, "incoming", "received", L("11-16T08:00"), "2026-12-31T17:00:00+07:00")]
E8_P2 = [doc("E8", B, "incoming", "assigned", L("11-17T08:00"), L("11-18T17:00"), electronic=True)]
E9 = [doc("E9", T, "incoming", "assigned", L("11-13T08:00"), L("11-14T17:00")),
      doc("E9", A, "incoming", "received", L("11-12T08:00"), L("11-14T17:00"))]
E10 = [doc("E10", S, "outgoing", "issued", "2026-09-20T10:00:00+07:00", signed=True),
       doc("E10", S, "outgoing", "registered", "2026-09-19T08:00:00+07:00", signed=True)]
E11 = [doc("E11", A, "incoming", "received", L("11-18T08:00"), L("11-19T17:00"), electronic=True),
       doc("E11", A, "outgoing", "issued", L("11-20T09:00"), electronic=True, signed=False)]
E12 = [doc("E12", C, "incoming", "received", L("11-03T08:00"), L("11-05T17:00"), electronic=True,
           urgency="very_urgent"),
       doc("E12", C, "incoming", "recalled", L("11-04T08:00"), L("11-05T17:00"), electronic=True,
           urgency="very_urgent")]
E13 = [doc("E13", C, "incoming", "processing", L("11-06T08:00"))]

EOFFICE_PHASE1 = (E1 + [E1_RESENT] + E2_P1[::-1] + E3 + E4 + [E4_RESENT_UTC] + E5 + E6 + E7 + E8_P1 + E9 + E11
                  + E12 + E13)
EOFFICE_PHASE2 = E2_P2 + E8_P2 + E10
EOFFICE_DUPLICATES_PHASE1 = 2            # E1_RESENT, E4_RESENT_UTC
EOFFICE_ACCEPTED_PHASE1 = 21             # 23 records - 2 duplicates
EOFFICE_ACCEPTED_PHASE2 = 4

_ed = doc("BAD-E", A, "incoming", "received", L("11-10T08:00"), L("11-12T17:00"))
EOFFICE_BAD: list[tuple[Any, str]] = [
    ({**_ed, "note": BIG}, "too_large"),
    ('{"doc_id": "BAD-E2", ', "unparseable"),
    ('"a JSON string, not a record"', "unparseable"),
    ({**_ed, "signer_id_number": "001203004567"}, "personal_id"),
    ({**_ed, "attachments": [{"owner": {"cccd": 791203004567}}]}, "personal_id"),   # a 12-digit integer, nested
    ({**_ed, "doc_id": None, "signer": "001203004567"}, "personal_id"),               # personal_id beats missing_field
    ({**_ed, "doc_id": ""}, "missing_field:doc_id"),
    (drop(_ed, "unit"), "missing_field:unit"),
    ({**_ed, "direction": None}, "missing_field:direction"),
    (drop(_ed, "status"), "missing_field:status"),
    (drop(_ed, "event_time"), "missing_field:event_time"),
    ({**_ed, "doc_id": 1001}, "bad_type:doc_id"),
    ({**_ed, "event_time": "2026-11-10T08:00:00"}, "bad_type:event_time"),          # no offset
    ({**_ed, "deadline": "2026-11-12"}, "bad_type:deadline"),
    ({**_ed, "electronic": "true"}, "bad_type:electronic"),
    ({**_ed, "digitally_signed": 1}, "bad_type:digitally_signed"),
    ({**_ed, "direction": "sideways"}, "bad_enum:direction"),
    ({**_ed, "status": "archived"}, "bad_enum:status"),
    ({**_ed, "urgency": "low"}, "bad_enum:urgency"),
    ({**_ed, "unit": "12"}, "unknown_unit:12"),                 # the province itself does not hold documents
    ({**_ed, "unit": "12.STTTT"}, "unknown_unit:12.STTTT"),     # a dissolved department
    ({**_ed, "unit": "03391"}, "unknown_unit:03391"),           # not a commune of the province
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
EOFFICE_ABSENT_PHASE1: list[Key] = [("eoffice.issued", S, "month", "2026-09"),
                                    ("eoffice.electronic_share", S, "quarter", "2026-Q3")]

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
    ("eoffice.issued", A, "day", "2026-11-06"),            # E2's second issued record
    ("eoffice.issued", S, "month", "2026-10"),             # E3 registered in October, issued in November
    ("eoffice.issued", S, "day", "2026-10-31"),
    ("eoffice.electronic_share", S, "day", "2026-11-01"),  # E3 first seen on 31 October (local)
    ("eoffice.issued", B, "month", "2026-11"),
    ("eoffice.issued", T, "month", "2026-11"),
    ("eoffice.electronic_share", A, "day", "2026-11-12"),  # E9 moved to T
    ("eoffice.electronic_share", A, "month", "2026-10"),
    ("eoffice.issued", P, "month", "2026-10"),
    ("eoffice.issued", D, "month", "2026-11"),
]


# ============================================================================ population

RAW_CITIZEN = "038095001234"    # raw personal ids sent in the pseudonymised fields: hashed, accepted
RAW_EVENT = "079203001234"
RAW_EVENT_BAD = "079203009999"  # in the event_id of a record dead-lettered for another reason
RAW_IDS_POPULATION = [RAW_CITIZEN, RAW_EVENT, RAW_EVENT_BAD, "034187002345", "012345678901", "380950012345"]


def pop(event_id: str, kind: str, commune: str, at: str, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"event_id": event_id, "kind": kind, "commune": commune, "event_time": at}
    r.update(extra)
    return r


def act(event_id: str, commune: str, at: str, citizen: str, level: int = 2, kind: str = "eid_activated") -> dict[str, Any]:
    return pop(event_id, kind, commune, at, level=level, citizen_ref=citizen)


def ver(event_id: str, commune: str, at: str, result: str, latency: float, requester: str = "dvc-portal") -> dict[str, Any]:
    return pop(event_id, "verification", commune, at, result=result, latency_ms=latency, requester=requester)


POP_ACTIVATIONS_P1 = [
    act("pa01", A, L("11-03T09:00"), "c-01"),
    act("pa02", A, L("11-05T09:00"), "c-01"),
    act("pa03", A, L("11-04T09:00"), "c-02"),
    act("pa04", A, L("11-06T09:00"), "c-03", level=1),
    act("pa05", A, L("11-02T09:00"), "c-03", kind="eid_application"),
    act("pa06", B, L("11-20T09:00"), "c-01"),
    act("pa07", B, L("11-10T08:00"), RAW_CITIZEN),
    act("pa08", B, L("11-10T15:00"), RAW_CITIZEN),
    act("pa09", C, "2026-10-31T16:30:00Z", "c-05"),
    act("pa10", C, "2026-10-31T17:00:00Z", "c-06"),
    pop("pa11", "record_corrected", A, L("11-07T09:00"), citizen_ref="c-02"),
]
POP_PA03_RESENT = dict(POP_ACTIVATIONS_P1[2], commune=B)   # duplicate (same event_id), other commune
POP_VERIFICATIONS_P1 = [
    ver("pv01", A, L("11-10T09:00"), "ok", 100),
    ver("pv02", A, L("11-10T10:00"), "ok", 200),
    ver("pv03", A, L("11-10T11:00"), "mismatch", 300),
    ver("pv04", A, L("11-11T09:00"), "error", 400),
    ver("pv05", A, L("11-11T10:00"), "ok", 1000, requester="vneid"),
    ver("pv06", B, "2026-10-31T17:10:00Z", "ok", 50),
    ver(RAW_EVENT, B, L("11-12T09:00"), "not_found", 150),
    ver("pv08", C, L("11-14T09:00"), "ok", 250.5),
]
POP_PHASE1 = (POP_ACTIVATIONS_P1 + [POP_PA03_RESENT] + POP_VERIFICATIONS_P1
              + [ver(RAW_EVENT, B, L("11-12T09:00"), "not_found", 150)])
POP_PHASE2 = [act("pa12", A, "2026-10-10T09:00:00+07:00", "c-02"),
              act("pa13", A, "2026-08-15T09:00:00+07:00", "c-07"),
              ver("pv09", A, "2026-09-05T09:00:00+07:00", "ok", 80)]
POP_DUPLICATES_PHASE1 = 2                # pa03 re-sent, the raw-id verification re-sent
POP_ACCEPTED_PHASE1 = 19                 # 11 + 8
POP_ACCEPTED_PHASE2 = 3

_pa = act("BAD-PA", A, L("11-10T08:00"), "c-99")
_pv = ver("BAD-PV", A, L("11-10T08:00"), "ok", 120)
POP_BAD: list[tuple[Any, str]] = [
    ({**_pv, "note": BIG}, "too_large"),
    ('{"event_id": "BAD-P2", "kind": ', "unparseable"),
    ({**_pv, "requester": "034187002345"}, "personal_id"),      # not a pseudonymised field: rejected
    ({**_pv, "commune": "012345678901"}, "personal_id"),        # personal_id beats unknown_unit
    ({**_pa, "meta": {"so_dinh_danh": 380950012345}}, "personal_id"),   # a 12-digit integer, nested
    ({**_pv, "event_id": None}, "missing_field:event_id"),
    (drop(_pv, "kind"), "missing_field:kind"),
    (drop(_pv, "commune"), "missing_field:commune"),
    (drop(_pv, "event_time"), "missing_field:event_time"),
    (drop(_pa, "level"), "missing_field:level"),
    (drop(_pa, "citizen_ref"), "missing_field:citizen_ref"),
    ({**_pa, "citizen_ref": ""}, "missing_field:citizen_ref"),
    (drop(_pv, "result"), "missing_field:result"),
    ({**_pv, "latency_ms": None}, "missing_field:latency_ms"),
    ({**_pv, "event_id": 42}, "bad_type:event_id"),
    ({**_pa, "level": "2"}, "bad_type:level"),
    ({**_pa, "level": 2.0}, "bad_type:level"),
    ({**_pa, "citizen_ref": 12345}, "bad_type:citizen_ref"),
    ({**_pv, "latency_ms": "120"}, "bad_type:latency_ms"),
    ({**_pv, "latency_ms": True}, "bad_type:latency_ms"),
    ({**_pv, "event_time": "2026-11-10 08:00:00+07:00"}, "bad_type:event_time"),
    ({**_pv, "kind": "eid_revoked"}, "bad_enum:kind"),
    ({**_pa, "level": 3}, "bad_enum:level"),
    ({**_pv, "result": "timeout"}, "bad_enum:result"),
    ({**_pv, "latency_ms": -5}, "bad_enum:latency_ms"),
    ({**_pv, "commune": S}, f"unknown_unit:{S}"),               # an agency is not a commune
    ({**_pv, "commune": P}, f"unknown_unit:{P}"),
    ({**_pv, "commune": "03391"}, "unknown_unit:03391"),
    ({**_pv, "event_time": "2030-01-01T00:00:00+07:00"}, "future_time"),
    # several problems / raw id in a pseudonymised field of a bad record
    ({**drop(_pa, "citizen_ref"), "level": "2"}, "missing_field:citizen_ref"),
    ({**_pv, "result": "timeout", "latency_ms": "120"}, "bad_type:latency_ms"),
    ({**_pv, "event_id": RAW_EVENT_BAD, "result": "timeout"}, "bad_enum:result"),
]

POP_EXPECTED_PHASE1: dict[Key, Row] = {
    ("population.eid_activations", P, "month", "2026-10"): (1, None, None),
    ("population.eid_activations", P, "quarter", "2026-Q4"): (5, None, None),
    ("population.eid_activations", P, "year", "2026"): (5, None, None),
    ("population.eid_activations", A, "year", "2026"): (2, None, None),
    ("population.verify_success_rate", A, "year", "2026"): (0.6, 3, 5),
    ("population.verify_latency_p95_ms", A, "year", "2026"): (880.0, None, None),
    ("population.verify_success_rate", P, "year", "2026"): (5 / 8, 5, 8),
    ("population.verify_latency_p95_ms", P, "year", "2026"): (790.0, None, None),
}
POP_ABSENT_PHASE1: list[Key] = [("population.eid_activations", A, "month", "2026-10"),
                                ("population.eid_activations", A, "quarter", "2026-Q3"),
                                ("population.verify_success_rate", P, "quarter", "2026-Q3")]

POP_EXPECTED: dict[Key, Row] = {
    # activations
    ("population.eid_activations", A, "month", "2026-11"): (2, None, None),
    ("population.eid_activations", A, "day", "2026-11-03"): (1, None, None),
    ("population.eid_activations", A, "day", "2026-11-04"): (1, None, None),
    ("population.eid_activations", A, "day", "2026-11-05"): (1, None, None),
    ("population.eid_activations", A, "month", "2026-10"): (1, None, None),
    ("population.eid_activations", A, "quarter", "2026-Q4"): (2, None, None),
    ("population.eid_activations", A, "month", "2026-08"): (1, None, None),
    ("population.eid_activations", A, "quarter", "2026-Q3"): (1, None, None),
    ("population.eid_activations", A, "year", "2026"): (3, None, None),
    ("population.eid_activations", B, "month", "2026-11"): (2, None, None),
    ("population.eid_activations", B, "day", "2026-11-10"): (1, None, None),
    ("population.eid_activations", B, "day", "2026-11-20"): (1, None, None),
    ("population.eid_activations", C, "month", "2026-10"): (1, None, None),
    ("population.eid_activations", C, "day", "2026-10-31"): (1, None, None),
    ("population.eid_activations", C, "month", "2026-11"): (1, None, None),
    ("population.eid_activations", C, "day", "2026-11-01"): (1, None, None),
    ("population.eid_activations", C, "quarter", "2026-Q4"): (2, None, None),
    ("population.eid_activations", P, "month", "2026-11"): (4, None, None),
    ("population.eid_activations", P, "month", "2026-10"): (2, None, None),
    ("population.eid_activations", P, "quarter", "2026-Q4"): (5, None, None),
    ("population.eid_activations", P, "quarter", "2026-Q3"): (1, None, None),
    ("population.eid_activations", P, "year", "2026"): (6, None, None),
    # verifications
    ("population.verify_success_rate", A, "month", "2026-11"): (0.6, 3, 5),
    ("population.verify_latency_p95_ms", A, "month", "2026-11"): (880.0, None, None),
    ("population.verify_success_rate", A, "day", "2026-11-10"): (2 / 3, 2, 3),
    ("population.verify_latency_p95_ms", A, "day", "2026-11-10"): (290.0, None, None),
    ("population.verify_success_rate", A, "day", "2026-11-11"): (0.5, 1, 2),
    ("population.verify_latency_p95_ms", A, "day", "2026-11-11"): (970.0, None, None),
    ("population.verify_success_rate", A, "month", "2026-09"): (1.0, 1, 1),
    ("population.verify_latency_p95_ms", A, "month", "2026-09"): (80.0, None, None),
    ("population.verify_latency_p95_ms", A, "quarter", "2026-Q3"): (80.0, None, None),
    ("population.verify_success_rate", A, "quarter", "2026-Q4"): (0.6, 3, 5),
    ("population.verify_success_rate", A, "year", "2026"): (4 / 6, 4, 6),
    ("population.verify_latency_p95_ms", A, "year", "2026"): (850.0, None, None),
    ("population.verify_success_rate", B, "month", "2026-11"): (0.5, 1, 2),
    ("population.verify_latency_p95_ms", B, "month", "2026-11"): (145.0, None, None),
    ("population.verify_success_rate", B, "day", "2026-11-01"): (1.0, 1, 1),
    ("population.verify_latency_p95_ms", B, "day", "2026-11-01"): (50.0, None, None),
    ("population.verify_success_rate", C, "month", "2026-11"): (1.0, 1, 1),
    ("population.verify_latency_p95_ms", C, "month", "2026-11"): (250.5, None, None),
    ("population.verify_success_rate", P, "month", "2026-11"): (5 / 8, 5, 8),
    ("population.verify_latency_p95_ms", P, "month", "2026-11"): (790.0, None, None),
    ("population.verify_success_rate", P, "quarter", "2026-Q3"): (1.0, 1, 1),
    ("population.verify_latency_p95_ms", P, "quarter", "2026-Q3"): (80.0, None, None),
    ("population.verify_success_rate", P, "year", "2026"): (6 / 9, 6, 9),
    ("population.verify_latency_p95_ms", P, "year", "2026"): (760.0, None, None),
}
POP_ABSENT: list[Key] = [
    ("population.eid_activations", A, "day", "2026-11-06"),     # level 1
    ("population.eid_activations", A, "day", "2026-11-02"),     # an application, not an activation
    ("population.eid_activations", A, "day", "2026-11-07"),     # a correction
    ("population.eid_activations", B, "day", "2026-11-04"),     # pa03's re-sent copy lost
    ("population.eid_activations", D, "month", "2026-11"),
    ("population.eid_activations", S, "month", "2026-11"),      # agencies: no population KPIs
    ("population.verify_success_rate", B, "month", "2026-10"),  # pv06 is 1 November local
    ("population.verify_latency_p95_ms", B, "month", "2026-10"),
    ("population.verify_success_rate", P, "month", "2026-10"),
    ("population.verify_success_rate", C, "month", "2026-10"),
    ("population.eid_activations", P, "live", "live"),
]


# ============================================================================ telecom

def site(site_id: str, commune: str, valid_from: str, operator: str = "viettel",
         technologies: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"kind": "site", "site_id": site_id, "operator": operator, "commune": commune,
                         "technologies": technologies if technologies is not None else ["4G"],
                         "villages": [f"{site_id}-v1", f"{site_id}-v2"], "valid_from": valid_from}
    r.update(extra)
    return r


def alarm(alarm_id: str, site_id: str, cause: str, severity: str, state: str, at: str,
          operator: str = "viettel", **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"kind": "alarm", "alarm_id": alarm_id, "site_id": site_id, "operator": operator,
                         "probable_cause": cause, "severity": severity, "state": state, "event_time": at}
    r.update(extra)
    return r


def pm(site_id: str, start: str, availability: float, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"kind": "pm", "site_id": site_id, "period_start": start, "period_s": 900,
                         "availability_pct": availability, "traffic_erl": 1.5, "data_mb": 120.0, "users": 10}
    r.update(extra)
    return r


Y = "2026-{}T00:00:00+07:00".format
TEL_INVENTORY_P1 = [
    site("T1", A, Y("06-01")),
    site("T1", B, Y("01-01")),                        # older: T1 stays at A
    site("T2", A, Y("03-01")),
    site("T2", C, Y("03-01")),                        # same identity: duplicate, T2 stays at A
    site("T3", A, Y("03-01"), operator="vnpt", technologies=["2G", "4G"]),
    site("T4", B, Y("02-01"), operator="mobifone", technologies=["3G", "4G", "5G"]),
    site("T6", C, Y("04-01"), operator="gtel"),
]
TEL_ALARMS_P1 = [
    alarm("x1", "T4", "mains_failure", "critical", "raised", L("11-15T08:00")),
    alarm("x2", "T4", "site_down", "minor", "raised", L("11-15T09:00")),
    alarm("x3", "T4", "site_down", "critical", "cleared", L("11-15T10:00")),
    alarm("x3", "T4", "site_down", "critical", "raised", L("11-15T10:00")),
    alarm("x3", "T4", "site_down", "critical", "raised", L("11-15T10:00")),    # duplicate
    alarm("x4", "T4", "cell_outage", "major", "cleared", L("11-16T08:00")),
    alarm("y1", "T6", "transmission_down", "major", "raised", L("11-10T08:00")),
    alarm("y1", "T6", "transmission_down", "major", "raised", L("11-12T08:00")),
    alarm("y1", "T6", "transmission_down", "major", "cleared", L("11-11T08:00")),
    alarm("z1", "T5", "site_down", "critical", "raised", L("11-20T08:00"), operator="mobifone"),
    alarm("w1", "T9", "site_down", "critical", "raised", L("11-19T08:00")),
]
TEL_PM_P1 = [
    pm("T2", L("11-20T10:00"), 100),
    pm("T2", L("11-20T10:15"), 90.0),
    pm("T3", L("11-20T10:00"), 95.5),
    pm("T2", L("11-20T10:00"), 0),                         # duplicate (site_id, period_start)
    pm("T3", "2026-11-20T03:00:00Z", 10),                  # the same instant in UTC: duplicate
    pm("T4", "2026-10-31T16:45:00Z", 80),                  # 23:45 local on 31 October
    pm("T4", "2026-10-31T17:00:00Z", 60),                  # 00:00 local on 1 November
    pm("T5", L("11-20T10:00"), 50),                        # before T5's inventory
    pm("T9", L("11-19T10:00"), 99),                        # never known
]
TEL_PHASE1 = TEL_INVENTORY_P1 + TEL_ALARMS_P1 + TEL_PM_P1
TEL_PHASE2 = [site("T5", B, Y("05-01"), operator="mobifone"),
              pm("T6", "2026-09-10T10:00:00+07:00", 99)]
# 7 inventory records (1 duplicate) + 11 alarm records (1 duplicate) + 9 counters (2 duplicates)
TEL_DUPLICATES_PHASE1 = 4
TEL_ACCEPTED_PHASE1 = 23                 # 27 records - 4 duplicates
TEL_ACCEPTED_PHASE2 = 2

_ts = site("BAD-S", A, Y("03-01"))
_ta = alarm("BAD-A", "T1", "site_down", "critical", "raised", L("11-10T08:00"))
_tp = pm("T2", L("11-10T08:00"), 99.0)
TEL_BAD: list[tuple[Any, str]] = [
    ({**_tp, "note": BIG}, "too_large"),
    ('{"kind": "pm", "site_id": ', "unparseable"),
    ({**_ts, "villages": ["V1", "045123000777"]}, "personal_id"),
    ({**_ta, "reported_by": 123456789012}, "personal_id"),
    (drop(_tp, "kind"), "missing_field:kind"),
    ({**_tp, "kind": 3}, "bad_type:kind"),
    ({**_tp, "kind": "kpi"}, "bad_enum:kind"),
    # site
    (drop(_ts, "site_id"), "missing_field:site_id"),
    (drop(_ts, "commune"), "missing_field:commune"),
    ({**_ts, "valid_from": None}, "missing_field:valid_from"),
    ({**_ts, "technologies": "4G"}, "bad_type:technologies"),
    ({**_ts, "villages": "V1"}, "bad_type:villages"),
    ({**_ts, "valid_from": "2026-03-01"}, "bad_type:valid_from"),
    ({**_ts, "technologies": ["4G", "6G"]}, "bad_enum:technologies"),
    ({**_ts, "commune": S}, f"unknown_unit:{S}"),
    ({**_ts, "commune": "03391"}, "unknown_unit:03391"),
    ({**_ts, "valid_from": "2030-01-01T00:00:00+07:00"}, "future_time"),
    # alarm
    (drop(_ta, "alarm_id"), "missing_field:alarm_id"),
    (drop(_ta, "site_id"), "missing_field:site_id"),
    (drop(_ta, "probable_cause"), "missing_field:probable_cause"),
    ({**_ta, "severity": None}, "missing_field:severity"),
    (drop(_ta, "state"), "missing_field:state"),
    (drop(_ta, "event_time"), "missing_field:event_time"),
    ({**_ta, "event_time": "2026-11-10T08:00:00"}, "bad_type:event_time"),
    ({**_ta, "severity": "catastrophic"}, "bad_enum:severity"),
    ({**_ta, "state": "acknowledged"}, "bad_enum:state"),
    ({**_ta, "event_time": "2030-01-01T00:00:00Z"}, "future_time"),
    # pm
    (drop(_tp, "availability_pct"), "missing_field:availability_pct"),
    (drop(_tp, "period_start"), "missing_field:period_start"),
    ({**_tp, "availability_pct": "99.5"}, "bad_type:availability_pct"),
    ({**_tp, "users": 1.5}, "bad_type:users"),
    ({**_tp, "availability_pct": 100.5}, "bad_enum:availability_pct"),
    ({**_tp, "availability_pct": -1}, "bad_enum:availability_pct"),
    ({**_tp, "traffic_erl": -0.5}, "bad_enum:traffic_erl"),
    ({**_tp, "users": -3}, "bad_enum:users"),
    ({**_tp, "period_start": "2030-01-01T00:00:00+07:00"}, "future_time"),
    # several problems: contract order, then table order
    ({**drop(_tp, "availability_pct"), "users": 1.5}, "missing_field:availability_pct"),
    ({**_tp, "availability_pct": 100.5, "users": "ten"}, "bad_type:users"),
    ({**_ts, "commune": "03391", "technologies": ["6G"]}, "bad_enum:technologies"),
]

# Cut-off at A, one alarm at a time, after phase 2: (record, A sites_out, A cut_off, province sites_out)
TEL_STEPS: list[tuple[dict[str, Any], int, int, int]] = [
    (alarm("a1", "T1", "site_down", "critical", "raised", L("11-21T08:00")), 1, 0, 3),
    (alarm("a2", "T2", "cell_outage", "major", "raised", L("11-21T08:05")), 2, 0, 4),
    (alarm("a3", "T3", "transmission_down", "critical", "raised", L("11-21T08:10"), operator="vnpt"), 3, 1, 5),
    (alarm("a2", "T2", "cell_outage", "major", "cleared", L("11-21T09:00")), 2, 0, 4),
]


def tel_live(a_out: int, a_cut: int, b_out: int, b_cut: int, c_out: int, c_cut: int, p_out: int) -> dict[Key, Row]:
    return {("telecom.sites_out", A, *LIVE): (a_out, None, None),
            ("telecom.commune_cut_off", A, *LIVE): (a_cut, None, None),
            ("telecom.sites_out", B, *LIVE): (b_out, None, None),
            ("telecom.commune_cut_off", B, *LIVE): (b_cut, None, None),
            ("telecom.sites_out", C, *LIVE): (c_out, None, None),
            ("telecom.commune_cut_off", C, *LIVE): (c_cut, None, None),
            ("telecom.sites_out", D, *LIVE): (0, None, None),
            ("telecom.commune_cut_off", D, *LIVE): (0, None, None),
            ("telecom.sites_out", P, *LIVE): (p_out, None, None)}


TEL_EXPECTED_PHASE1: dict[Key, Row] = {
    **tel_live(0, 0, 0, 0, 1, 1, 1),
    ("telecom.availability", A, "month", "2026-11"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", A, "day", "2026-11-20"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", B, "month", "2026-10"): (0.8, None, None),
    ("telecom.availability", B, "month", "2026-11"): (0.6, None, None),
    ("telecom.availability", B, "quarter", "2026-Q4"): (0.7, None, None),
    ("telecom.availability", P, "month", "2026-11"): (0.86375, None, None),
    ("telecom.availability", P, "day", "2026-11-20"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", P, "quarter", "2026-Q4"): (0.851, None, None),
    ("telecom.availability", P, "year", "2026"): (0.851, None, None),
}
TEL_ABSENT_PHASE1: list[Key] = [("telecom.availability", B, "day", "2026-11-20"),   # T5 not known yet
                                ("telecom.availability", C, "quarter", "2026-Q3")]

TEL_EXPECTED_PHASE2: dict[Key, Row] = {
    **tel_live(0, 0, 1, 0, 1, 1, 2),
    ("telecom.availability", B, "month", "2026-11"): (0.55, None, None),
    ("telecom.availability", B, "day", "2026-11-20"): (0.5, None, None),
}

TEL_EXPECTED: dict[Key, Row] = {   # after phase 2 and every step
    **tel_live(2, 0, 1, 0, 1, 1, 4),
    ("telecom.availability", A, "month", "2026-11"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", A, "day", "2026-11-20"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", A, "year", "2026"): (285.5 / 3 / 100, None, None),
    ("telecom.availability", B, "month", "2026-10"): (0.8, None, None),
    ("telecom.availability", B, "day", "2026-10-31"): (0.8, None, None),
    ("telecom.availability", B, "month", "2026-11"): (0.55, None, None),
    ("telecom.availability", B, "day", "2026-11-01"): (0.6, None, None),
    ("telecom.availability", B, "day", "2026-11-20"): (0.5, None, None),
    ("telecom.availability", B, "quarter", "2026-Q4"): (190 / 3 / 100, None, None),
    ("telecom.availability", C, "month", "2026-09"): (0.99, None, None),
    ("telecom.availability", C, "quarter", "2026-Q3"): (0.99, None, None),
    ("telecom.availability", C, "year", "2026"): (0.99, None, None),
    ("telecom.availability", P, "month", "2026-11"): (0.791, None, None),
    ("telecom.availability", P, "day", "2026-11-20"): (0.83875, None, None),
    ("telecom.availability", P, "month", "2026-10"): (0.8, None, None),
    ("telecom.availability", P, "quarter", "2026-Q4"): (0.7925, None, None),
    ("telecom.availability", P, "quarter", "2026-Q3"): (0.99, None, None),
    ("telecom.availability", P, "year", "2026"): (574.5 / 7 / 100, None, None),
}
TEL_ABSENT: list[Key] = [
    ("telecom.commune_cut_off", P, *LIVE),                    # communes only
    ("telecom.availability", C, "month", "2026-11"),
    ("telecom.availability", A, "month", "2026-10"),
    ("telecom.availability", D, "month", "2026-11"),
    ("telecom.availability", B, "day", "2026-11-19"),         # T9's counter: never known
    ("telecom.availability", P, "day", "2026-11-19"),
    ("telecom.availability", S, "month", "2026-11"),          # agencies: no telecom KPIs
    ("telecom.sites_out", S, *LIVE),
]
