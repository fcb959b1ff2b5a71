"""The Alertmanager payload (alerts/alertmanager.py): the labels are the Prometheus rules' own."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

from alerts.alertmanager import AlertmanagerSettings, alertmanager_of, labels, payload
from alerts.prometheus import rule_file
from contract.settings import PROJECT_ROOT, load_settings
from ioc.config import load_config

AM = AlertmanagerSettings(("http://127.0.0.1:9093",), 60.0, 10.0, "http://ioc.example/ops/#/alerts")
RAISED = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def alert(cleared: datetime | None) -> dict[str, object]:
    return {"alert_id": "a" * 32, "rule": "commune_cut_off", "subject": "03451", "unit_level": "commune",
            "severity": "critical", "raised_at": RAISED, "cleared_at": cleared, "message_vi": "Xã Mù Cả",
            "message_en": "Mù Cả", "kpi": "telecom.commune_cut_off", "grain": "live", "period": "live",
            "raised_value": 1.0}


def test_a_firing_alert_ends_after_four_missed_resends_a_resolved_one_at_its_clear() -> None:
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    firing = payload(alert(None), now, AM)
    assert firing["startsAt"] == "2026-11-21T01:00:00.000Z" and firing["endsAt"] == "2026-11-21T02:04:00.000Z"
    assert firing["labels"] == {"alertname": "IocCommuneCutOff", "rule": "commune_cut_off",
                                "severity": "critical", "unit_level": "commune", "unit": "03451"}
    assert firing["annotations"]["summary_vi"] == "Xã Mù Cả" and firing["generatorURL"] == AM.generator_url
    resolved = payload(alert(datetime(2026, 11, 21, 1, 30, tzinfo=UTC)), now, AM)
    assert resolved["endsAt"] == "2026-11-21T01:30:00.000Z"


def test_the_prometheus_rules_carry_the_labels_the_pipeline_posts() -> None:
    """Alertmanager deduplicates by labels: both paths must give a cut-off the same set."""
    text = rule_file(load_config().alert_rules)
    for block in text.split("      - alert: ")[1:]:
        name = block.split("\n", 1)[0]
        section = block.split("        labels:\n", 1)[1].split("        annotations:", 1)[0]
        static = dict(re.findall(r"^          (\w+): \"([^\"]*)\"$", section, re.M))
        by = re.search(r"(?:max|sum) by \(([^)]*)\)", block)
        assert by is not None, name
        from_series = {x.strip() for x in by.group(1).split(",")}
        level = static.get("unit_level", "commune")
        posted = labels(static["rule"], static["severity"], level, "03451")
        assert {"alertname", *static, *from_series} == set(posted), name
        assert posted["alertname"] == name


def test_configuration_is_checked() -> None:
    problems: list[str] = []
    settings = load_settings(PROJECT_ROOT / "config" / "pipeline.toml")
    bad = replace(settings, tables={"alertmanager": {"urls": ["ftp://x"], "resend_s": 0}})
    alertmanager_of(bad, problems)
    assert len(problems) == 2 and "urls" in problems[0] and "resend_s" in problems[1]
    assert not alertmanager_of(settings, []).enabled   # shipped: off until a site configures one


def test_amtool_accepts_the_shipped_alertmanager_configuration() -> None:
    amtool = shutil.which("amtool")
    assert amtool, "amtool is missing: `make test` installs Debian's prometheus-alertmanager package"
    result = subprocess.run([amtool, "check-config", "alertmanager.yml"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT / "deploy" / "alertmanager")
    assert result.returncode == 0 and "4 receivers" in result.stdout, result.stdout + result.stderr
