"""A historic telecom export ingested at once (the alert-storm data set of issue 16).

Three days of 20 communes, 3 sites each (one per operator), with hourly counters, ending an
hour ago. Fifteen communes lose every site for a few hours and get them back (past episodes);
four lose every site in the last hours and are still cut off at the end of the file; one never
loses a site. The file comes as operators export it: per operator, its inventory, then its
alarms and counters in event order. So while it is read, a commune's sites of the first
operator are known (and down, in a past episode) before the other operators' inventory and
alarms arrive: communes look cut off that never were, and past episodes raise and clear.

What holds at the end: exactly the four communes of CUT_AT_END are cut off.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contract.settings import load_settings
from tests.datasets.telecom import alarm, pm, site

OPERATORS = ("viettel", "vnpt", "mobifone")
HOURS = 72
COMMUNES = sorted(u.code for u in load_settings().units.units.values() if u.level == "commune")[:20]
PAST_EPISODES = COMMUNES[:15]          # every site down for a while, then back
CUT_AT_END = COMMUNES[15:19]           # every site down in the last hours, still down
NEVER = COMMUNES[19]


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def historic_file(end: datetime) -> list[dict[str, Any]]:
    """The records, in file order; `end` is the export's last counter (an aware datetime)."""
    start = end - timedelta(hours=HOURS)
    sections: list[list[dict[str, Any]]] = []
    for k, operator in enumerate(OPERATORS):
        inventory, timed = [], []
        for n, commune in enumerate(COMMUNES):
            site_id = f"{operator[:2].upper()}-{commune}"
            inventory.append(site(site_id, commune, _iso(start - timedelta(days=400)), operator=operator))
            if commune in PAST_EPISODES:   # each commune at its own time; the operators a few minutes apart
                down = start + timedelta(hours=2 + 4 * n, minutes=7 * k)
                timed.append((down, alarm(f"{site_id}-p", site_id, "site_down", "critical", "raised",
                                          _iso(down), operator=operator)))
                up = down + timedelta(hours=2, minutes=30)
                timed.append((up, alarm(f"{site_id}-p", site_id, "site_down", "critical", "cleared",
                                        _iso(up), operator=operator)))
            elif commune in CUT_AT_END:
                down = end - timedelta(hours=3, minutes=20 * n % 60 + 5 * k)
                timed.append((down, alarm(f"{site_id}-e", site_id, "transmission_down", "major", "raised",
                                          _iso(down), operator=operator)))
            for h in range(HOURS):   # an hourly sample of the counters keeps the file small
                at = start + timedelta(hours=h)
                timed.append((at, pm(site_id, _iso(at), 99.5)))
        timed.sort(key=lambda pair: pair[0])
        sections.append(inventory + [record for _, record in timed])
    return [record for section in sections for record in section]
