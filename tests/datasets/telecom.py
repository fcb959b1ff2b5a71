"""The telecom data set and its hand-worked KPI values (units, times and names: see
tests/datasets/__init__.py).

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

from typing import Any

from tests.datasets.common import BIG, LIVE, A, B, C, D, Key, L, P, Row, S, drop


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
    (
        alarm("a3", "T3", "transmission_down", "critical", "raised", L("11-21T08:10"), operator="vnpt"),
        3,
        1,
        5,
    ),
    (alarm("a2", "T2", "cell_outage", "major", "cleared", L("11-21T09:00")), 2, 0, 4),
]


def tel_live(
    a_out: int, a_cut: int, b_out: int, b_cut: int, c_out: int, c_cut: int, p_out: int
) -> dict[Key, Row]:
    return {
        ("telecom.sites_out", A, *LIVE): (a_out, None, None),
        ("telecom.commune_cut_off", A, *LIVE): (a_cut, None, None),
        ("telecom.sites_out", B, *LIVE): (b_out, None, None),
        ("telecom.commune_cut_off", B, *LIVE): (b_cut, None, None),
        ("telecom.sites_out", C, *LIVE): (c_out, None, None),
        ("telecom.commune_cut_off", C, *LIVE): (c_cut, None, None),
        ("telecom.sites_out", D, *LIVE): (0, None, None),
        ("telecom.commune_cut_off", D, *LIVE): (0, None, None),
        ("telecom.sites_out", P, *LIVE): (p_out, None, None),
    }


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
TEL_ABSENT_PHASE1: list[Key] = [
    ("telecom.availability", B, "day", "2026-11-20"),  # T5 not known yet
    ("telecom.availability", C, "quarter", "2026-Q3"),
]

TEL_EXPECTED_PHASE2: dict[Key, Row] = {
    **tel_live(0, 0, 1, 0, 1, 1, 2),
    ("telecom.availability", B, "month", "2026-11"): (0.55, None, None),
    ("telecom.availability", B, "day", "2026-11-20"): (0.5, None, None),
}

TEL_EXPECTED: dict[Key, Row] = {  # after phase 2 and every step
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
    ("telecom.commune_cut_off", P, *LIVE),  # communes only
    ("telecom.availability", C, "month", "2026-11"),
    ("telecom.availability", A, "month", "2026-10"),
    ("telecom.availability", D, "month", "2026-11"),
    ("telecom.availability", B, "day", "2026-11-19"),  # T9's counter: never known
    ("telecom.availability", P, "day", "2026-11-19"),
    ("telecom.availability", S, "month", "2026-11"),  # agencies: no telecom KPIs
    ("telecom.sites_out", S, *LIVE),
]
