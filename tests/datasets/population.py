"""The population data set and its hand-worked KPI values (units, times and names: see
tests/datasets/__init__.py).

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
  population.verify_latency_p95_ms (linear interpolation: h = (n - 1) * 0.95,
  v[lo] + frac * (v[lo+1] - v[lo])):
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
"""

from __future__ import annotations

from typing import Any

from tests.datasets.common import BIG, A, B, C, D, Key, L, P, Row, S, drop

RAW_CITIZEN = "038095001234"  # raw personal ids sent in the pseudonymised fields: hashed, accepted
RAW_EVENT = "079203001234"
RAW_EVENT_BAD = "079203009999"  # in the event_id of a record dead-lettered for another reason
RAW_IDS_POPULATION = [RAW_CITIZEN, RAW_EVENT, RAW_EVENT_BAD, "034187002345", "012345678901", "380950012345"]


def pop(event_id: str, kind: str, commune: str, at: str, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"event_id": event_id, "kind": kind, "commune": commune, "event_time": at}
    r.update(extra)
    return r


def act(
    event_id: str, commune: str, at: str, citizen: str, level: int = 2, kind: str = "eid_activated"
) -> dict[str, Any]:
    return pop(event_id, kind, commune, at, level=level, citizen_ref=citizen)


def ver(
    event_id: str, commune: str, at: str, result: str, latency: float, requester: str = "dvc-portal"
) -> dict[str, Any]:
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
POP_PA03_RESENT = dict(POP_ACTIVATIONS_P1[2], commune=B)  # duplicate (same event_id), other commune
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
POP_PHASE1 = (
    POP_ACTIVATIONS_P1
    + [POP_PA03_RESENT]
    + POP_VERIFICATIONS_P1
    + [ver(RAW_EVENT, B, L("11-12T09:00"), "not_found", 150)]
)
POP_PHASE2 = [
    act("pa12", A, "2026-10-10T09:00:00+07:00", "c-02"),
    act("pa13", A, "2026-08-15T09:00:00+07:00", "c-07"),
    ver("pv09", A, "2026-09-05T09:00:00+07:00", "ok", 80),
]
POP_DUPLICATES_PHASE1 = 2  # pa03 re-sent, the raw-id verification re-sent
POP_ACCEPTED_PHASE1 = 19  # 11 + 8
POP_ACCEPTED_PHASE2 = 3

_pa = act("BAD-PA", A, L("11-10T08:00"), "c-99")
_pv = ver("BAD-PV", A, L("11-10T08:00"), "ok", 120)
POP_BAD: list[tuple[Any, str]] = [
    ({**_pv, "note": BIG}, "too_large"),
    ('{"event_id": "BAD-P2", "kind": ', "unparseable"),
    ({**_pv, "requester": "034187002345"}, "personal_id"),  # not a pseudonymised field: rejected
    ({**_pv, "commune": "012345678901"}, "personal_id"),  # personal_id beats unknown_unit
    ({**_pa, "meta": {"so_dinh_danh": 380950012345}}, "personal_id"),  # a 12-digit integer, nested
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
    ({**_pv, "commune": S}, f"unknown_unit:{S}"),  # an agency is not a commune
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
POP_ABSENT_PHASE1: list[Key] = [
    ("population.eid_activations", A, "month", "2026-10"),
    ("population.eid_activations", A, "quarter", "2026-Q3"),
    ("population.verify_success_rate", P, "quarter", "2026-Q3"),
]

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
    ("population.eid_activations", A, "day", "2026-11-06"),  # level 1
    ("population.eid_activations", A, "day", "2026-11-02"),  # an application, not an activation
    ("population.eid_activations", A, "day", "2026-11-07"),  # a correction
    ("population.eid_activations", B, "day", "2026-11-04"),  # pa03's re-sent copy lost
    ("population.eid_activations", D, "month", "2026-11"),
    ("population.eid_activations", S, "month", "2026-11"),  # agencies: no population KPIs
    ("population.verify_success_rate", B, "month", "2026-10"),  # pv06 is 1 November local
    ("population.verify_latency_p95_ms", B, "month", "2026-10"),
    ("population.verify_success_rate", P, "month", "2026-10"),
    ("population.verify_success_rate", C, "month", "2026-10"),
    ("population.eid_activations", P, "live", "live"),
]
