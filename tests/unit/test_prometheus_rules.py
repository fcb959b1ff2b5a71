"""The Prometheus rule file is the pipeline's own alert rules, and the real promtool accepts and tests it."""
from __future__ import annotations

import shutil
import subprocess

from alerts.prometheus import rule_file
from contract.settings import PROJECT_ROOT
from ioc.config import load_config

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "rules.yml"


def test_rule_file_is_generated_from_the_configuration() -> None:
    assert RULES.read_text(encoding="utf-8") == rule_file(load_config().alert_rules), \
        "stale: run `.venv/bin/ioc alerts prometheus > deploy/prometheus/rules.yml`"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make test` installs Debian's prometheus package"
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=RULES.parent)


def test_promtool_check_rules() -> None:
    result = _promtool("check", "rules", "rules.yml")
    assert result.returncode == 0 and "SUCCESS: 5 rules found" in result.stdout, result.stdout + result.stderr


def test_promtool_unit_tests_of_every_rule() -> None:
    result = _promtool("test", "rules", "rules.test.yml")
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
