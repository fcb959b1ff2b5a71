"""Alert delivery through a real Alertmanager (and a real Prometheus evaluating
deploy/prometheus/rules.yml against the pipeline's /metrics): a cut-off reaches the webhook
receiver once, its clear resolves it, a silence holds it back, and Prometheus' alert for the same
cut-off is the same alert."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.settings import PROJECT_ROOT
from tests.datasets.telecom import alarm, site
from tests.harness import Pipeline
from tests.monitoring import Alertmanager, Prometheus, Receiver

pytestmark = pytest.mark.integration
RESEND_S = 2
QUIET_S = 6    # long enough for a second notification to come, were one sent (group_interval 1 s)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[Alertmanager]:
    am = Alertmanager(Path(tmp_path_factory.mktemp("alertmanager")), receiver)
    yield am
    am.stop()


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, alertmanager: Alertmanager) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("delivery")),
                 f'[alertmanager]\nurls = ["{alertmanager.url}"]\nresend_s = {RESEND_S}\n')
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


def eventually(check: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout_s:.0f} s: {what}")


def cut_off(p: Pipeline, commune: str, state: str) -> None:
    """The commune's one site goes down (raised) or comes back (cleared)."""
    site_id = f"AM-{commune}"
    records = [site(site_id, commune, "2026-01-01T00:00:00+07:00"),
               alarm(f"{site_id}-down", site_id, "site_down", "critical", state,
                     time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))]
    code, answer = p.ingest("telecom", records)
    assert code == 200 and answer["dead_lettered"] == 0, answer


def test_a_cut_off_reaches_the_receiver_once_and_its_clear_resolves_it(
        pipeline: Pipeline, alertmanager: Alertmanager, receiver: Receiver) -> None:
    commune = "03451"
    cut_off(pipeline, commune, "raised")
    firing = eventually(lambda: receiver.about(commune, "firing"), "the firing notification")
    alert = firing[0]["alerts"][0]
    assert alert["labels"] == {"alertname": "IocCommuneCutOff", "rule": "commune_cut_off",
                               "severity": "critical", "unit_level": "commune", "unit": commune}
    assert "Mù Cả" in alert["annotations"]["summary_vi"] and "cut off" in alert["annotations"]["summary_en"]
    assert alert["generatorURL"].endswith("/ops/#/alerts")
    time.sleep(QUIET_S)   # the pipeline re-posted it meanwhile: Alertmanager notified nothing new
    assert len(receiver.about(commune, "firing")) == 1
    cut_off(pipeline, commune, "cleared")
    resolved = eventually(lambda: receiver.about(commune, "resolved"), "the resolved notification")
    assert resolved[0]["alerts"][0]["status"] == "resolved"
    delivered = pipeline.sql("SELECT count(*) AS n FROM alert_deliveries JOIN alerts USING (alert_id) "
                             f"WHERE subject = '{commune}' AND resolved_delivered_at IS NOT NULL")
    assert delivered == [{"n": 1}]
    assert pipeline.status()["sink_stats"]["written"]["alertmanager"] >= 2   # `ioc status` shows it
    time.sleep(QUIET_S)
    assert len(receiver.about(commune, "firing")) == 1 and len(receiver.about(commune, "resolved")) == 1


def test_a_silence_holds_it_back(pipeline: Pipeline, alertmanager: Alertmanager, receiver: Receiver) -> None:
    commune = "03460"
    silence = alertmanager.silence(commune)
    cut_off(pipeline, commune, "raised")
    held = eventually(lambda: [a for a in alertmanager.alerts(commune)
                               if a["status"]["state"] == "suppressed"], "Alertmanager holds it, silenced")
    assert held[0]["status"]["silencedBy"] == [silence]
    time.sleep(QUIET_S)
    assert receiver.about(commune) == []
    cut_off(pipeline, commune, "cleared")
    eventually(lambda: pipeline.sql(f"SELECT 1 FROM alerts WHERE subject = '{commune}' "
                                    "AND cleared_at IS NOT NULL"), "the pipeline's clear")
    alertmanager.expire(silence)
    time.sleep(QUIET_S)
    assert receiver.about(commune) == []


def test_prometheus_alert_for_the_same_cut_off_is_the_same_alert(
        tmp_path_factory: pytest.TempPathFactory, pipeline: Pipeline, alertmanager: Alertmanager,
        receiver: Receiver) -> None:
    rules = PROJECT_ROOT / "deploy" / "prometheus" / "rules.yml"
    prometheus = Prometheus(tmp_path_factory.mktemp("prometheus"), rules, pipeline.url, alertmanager.url)
    try:
        commune = "03445"
        cut_off(pipeline, commune, "raised")
        firing = eventually(lambda: [a for a in prometheus.firing("IocCommuneCutOff")
                                     if a["labels"]["unit"] == commune], "Prometheus' rule fires")
        assert firing[0]["labels"] == {"alertname": "IocCommuneCutOff", "rule": "commune_cut_off",
                                       "severity": "critical", "unit_level": "commune", "unit": commune}
        eventually(lambda: prometheus.metric("prometheus_notifications_sent_total") > 0,
                   "Prometheus sent its alerts to Alertmanager")
        assert prometheus.metric("prometheus_notifications_errors_total") == 0
        eventually(lambda: receiver.about(commune, "firing"), "the firing notification")
        time.sleep(QUIET_S)
        eventually(lambda: len(alertmanager.alerts(commune)) == 1, "one alert from both senders")
        notified = receiver.about(commune, "firing")
        assert len(notified) == 1 and len(notified[0]["alerts"]) == 1
        cut_off(pipeline, commune, "cleared")
        eventually(lambda: receiver.about(commune, "resolved"), "the resolved notification")
        eventually(lambda: not prometheus.firing("IocCommuneCutOff"), "Prometheus' rule resolves")
        time.sleep(QUIET_S)
        assert len(receiver.about(commune, "firing")) == 1
    finally:
        prometheus.stop()
