"""When a rule may fire (alerts/catchup.py, alerts/watch.py): pure parts."""
from __future__ import annotations

from alerts.catchup import CatchUp
from alerts.rules import AlertRule
from alerts.watch import Alerting
from contract.settings import load_settings

S = 1_000_000
HOUR = 3600 * S


def test_a_backfill_is_behind_until_a_completed_barrier_covers_it() -> None:
    c = CatchUp(backfill_after_s=3600)
    c.read("telecom", 0, event_us=0, received_us=10 * S)        # live: 10 s behind arrival
    assert c.behind() == set() and not c.uncovered()
    c.read("telecom", 1, event_us=0, received_us=2 * HOUR)      # a backfill
    assert c.behind() == {"telecom"} and c.uncovered()
    c.marker("telecom", 1, "b1")
    assert c.behind() == {"telecom"} and not c.uncovered()
    c.read("telecom", 1, event_us=0, received_us=2 * HOUR)      # after b1's marker: b1 does not cover it
    c.marker("telecom", 1, "b2")
    c.completed("b1")
    assert c.behind() == {"telecom"}
    c.completed("b2")
    assert c.behind() == set()


def test_a_later_barrier_covers_what_an_earlier_one_did() -> None:
    c = CatchUp(backfill_after_s=60)
    for barrier in ("b1", "b2"):
        c.read("dvc", 0, 0, HOUR)
        c.marker("dvc", 0, barrier)
    c.completed("b2")
    assert c.behind() == set()


def test_a_marker_with_no_backfill_before_it_changes_nothing() -> None:
    c = CatchUp(backfill_after_s=60)
    c.marker("dvc", 0, "b0")
    c.read("dvc", 0, 0, HOUR)
    c.completed("b0")
    assert c.behind() == {"dvc"}


def cut_off_update(unit: str, value: int) -> dict[str, object]:
    return {"kpi": "telecom.commune_cut_off", "unit": unit, "unit_level": "commune", "grain": "live",
            "period": "live", "value": value}


def test_held_rules_fire_nothing_then_what_holds_at_release() -> None:
    rule = AlertRule("commune_cut_off", "telecom.commune_cut_off", "live", ">=", 1, "critical", "vi", "en",
                     ("commune",))
    a = Alerting([rule], load_settings().units)
    held = {"telecom"}
    flaps = [cut_off_update("03451", 1), cut_off_update("03451", 0), cut_off_update("03460", 1)]
    for update in flaps:
        assert a.observe_batch({"k": update}, [], held) == []
        assert a.tick(held=held) == []
    released = a.tick()
    assert [(t.subject, t.state) for t in released] == [("03460", "raised")]
