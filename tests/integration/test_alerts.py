"""Every shipped alert rule through the real pipeline: it raises, stays raised, and clears."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from contract.settings import PROJECT_ROOT
from tests import dvc_dataset as ds
from tests.harness import Pipeline

pytestmark = pytest.mark.integration
LOCAL = timezone(timedelta(hours=7))
SURGE_WINDOW_S = 8   # the shipped rule counts 300 s; shortened here so the clear comes within the test


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    workdir = Path(tmp_path_factory.mktemp("alerts"))
    rules = (PROJECT_ROOT / "config" / "alerts.toml").read_text()
    (workdir / "config").mkdir()
    (workdir / "config" / "alerts.toml").write_text(
        rules.replace("window_s = 300", f"window_s = {SURGE_WINDOW_S}")
    )
    p = Pipeline(workdir, extra_config='[alerts]\nrules = "config/alerts.toml"\n')
    p.start()
    yield p
    p.stop()


def alerts(p: Pipeline, rule: str, subject: str) -> list[dict[str, Any]]:
    return p.sql(
        f"SELECT raised_at IS NOT NULL AS raised, cleared_at IS NOT NULL AS cleared, message_vi, message_en "
        f"FROM alerts WHERE rule = '{rule}' AND subject = '{subject}' ORDER BY raised_at"
    )


def wait_for(
    p: Pipeline, rule: str, subject: str, states: list[tuple[bool, bool]], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if [(a["raised"], a["cleared"]) for a in alerts(p, rule, subject)] == states:
            return
        time.sleep(0.3)
    raise AssertionError(f"{rule}/{subject}: {alerts(p, rule, subject)} != {states}")


def ingest(p: Pipeline, source: str, records: list[dict[str, Any]]) -> None:
    code, answer = p.ingest(source, records)
    assert code == 200 and answer["dead_lettered"] == 0, answer
    p.wait_idle()


def test_commune_cut_off(pipeline: Pipeline) -> None:
    t = "2026-11-21T0{}:00:00+07:00"
    site = {
        "kind": "site",
        "site_id": "MC-1",
        "commune": "03451",
        "operator": "vnpt",
        "valid_from": "2025-01-01T00:00:00+07:00",
    }
    down = {
        "kind": "alarm",
        "alarm_id": "MC-1-a",
        "site_id": "MC-1",
        "probable_cause": "site_down",
        "severity": "critical",
        "state": "raised",
        "event_time": t.format(1),
    }
    ingest(pipeline, "telecom", [site, down])
    wait_for(pipeline, "commune_cut_off", "03451", [(True, False)])
    assert "Mù Cả" in alerts(pipeline, "commune_cut_off", "03451")[0]["message_vi"]
    other = {**down, "alarm_id": "MC-1-b", "probable_cause": "cell_outage", "event_time": t.format(2)}
    ingest(pipeline, "telecom", [other])  # still cut off: no second raise
    time.sleep(1.5)
    wait_for(pipeline, "commune_cut_off", "03451", [(True, False)])
    ingest(
        pipeline,
        "telecom",
        [
            {**down, "state": "cleared", "event_time": t.format(3)},
            {**other, "state": "cleared", "event_time": t.format(4)},
        ],
    )
    wait_for(pipeline, "commune_cut_off", "03451", [(True, True)])


def test_on_time_rate_below_target(pipeline: Pipeline) -> None:
    # every dossier finishes minutes ago, so all count in the current month whatever today's date
    now = datetime.now(LOCAL)
    finished, received = now - timedelta(minutes=5), now - timedelta(hours=2)

    def dossier(name: str, due: datetime) -> list[dict[str, Any]]:
        return [
            ds.rec(name, ds.B, 2, received.isoformat(), received.isoformat(), due.isoformat()),
            ds.rec(
                name,
                ds.B,
                9,
                finished.isoformat(),
                received.isoformat(),
                due.isoformat(),
                NgayKetThucXuLy=finished.isoformat(),
            ),
        ]

    ingest(pipeline, "dvc", dossier("OT-late", now - timedelta(minutes=30)))
    wait_for(pipeline, "on_time_below_target", ds.B, [(True, False)])
    for i in range(10):  # 10 on time of 11: 90.9 %, still below 95 %
        ingest(pipeline, "dvc", dossier(f"OT-{i}", now + timedelta(days=1)))
    wait_for(pipeline, "on_time_below_target", ds.B, [(True, False)])
    ingest(pipeline, "dvc", [r for i in range(10, 20) for r in dossier(f"OT-{i}", now + timedelta(days=1))])
    wait_for(pipeline, "on_time_below_target", ds.B, [(True, True)])  # 19 of 20: 95 %


def test_overdue_dossiers_rising(pipeline: Pipeline) -> None:
    received = datetime.now(LOCAL) - timedelta(days=5)
    due = received + timedelta(days=1)
    open_ones = [
        ds.rec(f"OD-{i}", ds.S, 4, received.isoformat(), received.isoformat(), due.isoformat())
        for i in range(6)
    ]
    ingest(pipeline, "dvc", open_ones[:3])
    time.sleep(1.5)
    assert alerts(pipeline, "overdue_dossiers_rising", ds.S) == []  # +3 in the hour: not yet
    ingest(pipeline, "dvc", open_ones[3:])
    wait_for(pipeline, "overdue_dossiers_rising", ds.S, [(True, False)])
    done = [
        ds.rec(
            f"OD-{i}",
            ds.S,
            10,
            (received + timedelta(hours=1)).isoformat(),
            received.isoformat(),
            due.isoformat(),
        )
        for i in range(6)
    ]
    ingest(pipeline, "dvc", done)
    wait_for(pipeline, "overdue_dossiers_rising", ds.S, [(True, True)])


def test_verification_success_drop(pipeline: Pipeline) -> None:
    now = datetime.now(LOCAL) - timedelta(minutes=1)

    def verification(i: int, result: str) -> dict[str, Any]:
        return {
            "event_id": f"V-{i}",
            "kind": "verification",
            "commune": "03460",
            "event_time": now.isoformat(),
            "result": result,
            "latency_ms": 100,
        }

    ingest(pipeline, "population", [verification(i, "ok" if i < 8 else "error") for i in range(10)])  # 80 %
    wait_for(pipeline, "verification_success_drop", "03460", [(True, False)])
    ingest(pipeline, "population", [verification(i, "ok") for i in range(10, 20)])  # 18 of 20: 90 %
    wait_for(pipeline, "verification_success_drop", "03460", [(True, True)])


def test_dead_letters_surge(pipeline: Pipeline) -> None:
    code, answer = pipeline.ingest("eoffice", [{"doc_id": f"bad-{i}"} for i in range(101)])
    assert code == 200 and answer["dead_lettered"] == 101
    wait_for(pipeline, "dead_letters_surge", "eoffice", [(True, False)])
    assert "eoffice" in alerts(pipeline, "dead_letters_surge", "eoffice")[0]["message_en"]
    wait_for(pipeline, "dead_letters_surge", "eoffice", [(True, True)], timeout_s=SURGE_WINDOW_S + 20)


def test_alerts_topic_carries_one_raise_and_one_clear(pipeline: Pipeline) -> None:
    rows = pipeline.sql("SELECT rule, subject, count(*) AS n FROM alerts GROUP BY rule, subject")
    assert rows and all(r["n"] == 1 for r in rows)  # one episode each, raised once and cleared once
