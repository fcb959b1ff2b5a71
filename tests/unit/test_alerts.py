from __future__ import annotations

from alerts.evaluator import AlertRule, Evaluator, render


def rule(**kw: object) -> AlertRule:
    base = dict(id="r", kpi="k", grain="live", op=">=", threshold=1.0, severity="critical",
                message_vi="vi", message_en="en")
    base.update(kw)
    return AlertRule(**base)  # type: ignore[arg-type]


def test_raise_once_stay_raised_then_clear_once() -> None:
    r, ev = rule(), Evaluator([])
    assert ev.observe(r, "u", 0, 0.0) is None
    first = ev.observe(r, "u", 1, 1.0)
    assert first is not None and first.state == "raised"
    assert ev.observe(r, "u", 1, 2.0) is None and ev.observe(r, "u", 2, 3.0) is None
    cleared = ev.observe(r, "u", 0, 4.0)
    assert cleared is not None and cleared.state == "cleared"
    assert ev.observe(r, "u", 0, 5.0) is None


def test_for_duration_must_pass_before_raising() -> None:
    r, ev = rule(op="<", threshold=0.9, for_s=60), Evaluator([])
    assert ev.observe(r, "u", 0.5, 0.0) is None
    assert ev.observe(r, "u", 0.5, 59.0) is None
    assert ev.observe(r, "u", 0.5, 60.0).state == "raised"  # type: ignore[union-attr]
    assert ev.observe(r, "u", 0.95, 61.0).state == "cleared"  # type: ignore[union-attr]
    assert ev.observe(r, "u", 0.5, 62.0) is None   # a new episode starts its own clock


def test_rise_over_a_window() -> None:
    r, ev = rule(op="rise", threshold=5, window_s=100), Evaluator([])
    assert ev.observe(r, "u", 10, 0.0) is None
    assert ev.observe(r, "u", 14, 50.0) is None
    assert ev.observe(r, "u", 15, 60.0).state == "raised"  # type: ignore[union-attr]
    assert ev.observe(r, "u", 15, 200.0).state == "cleared"  # type: ignore[union-attr]


def test_restored_open_alert_is_not_raised_again() -> None:
    r, ev = rule(), Evaluator([])
    ev.restore_raised("r", "u")
    assert ev.observe(r, "u", 1, 0.0) is None
    assert ev.observe(r, "u", 0, 1.0).state == "cleared"  # type: ignore[union-attr]


def test_no_data_changes_nothing() -> None:
    r, ev = rule(), Evaluator([])
    ev.observe(r, "u", 1, 0.0)
    assert ev.observe(r, "u", None, 1.0) is None


def test_render_keeps_unknown_names() -> None:
    assert render("{unit_name}: {value:.0%} {other}", unit_name="Mù Cả", value=0.5) == "Mù Cả: 50% {other}"
