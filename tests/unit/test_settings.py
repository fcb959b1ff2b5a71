"""Configuration is validated at start, with every problem reported at once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contract.errors import ConfigError
from contract.settings import PROJECT_ROOT, load_settings


def test_default_configuration_loads() -> None:
    s = load_settings()
    assert s.units.province.code == "12" and s.broker.embedded
    assert len(s.units.of_level("commune")) == 38 and len(s.units.of_level("agency")) == 14
    assert s.units.province.name_vi == "Lai Châu"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config" / "provinces", config / "provinces")
    (config / "pipeline.toml").write_text("""province = "lai-chau"
[broker]
security_protocol = "TLS"
bootstrap_servers = ["kafka-1"]
[topics]
partitions = 0
[http]
port = 70000
[workers]
count = "two"
""")
    with pytest.raises(ConfigError) as err:
        load_settings(config / "pipeline.toml")
    text = str(err.value)
    for key in ("security_protocol", "bootstrap_servers", "partitions", "port", "count", "pseudonym_key"):
        assert key in text, text
    assert len(err.value.problems) == 6


def test_bad_province_files_are_reported(tmp_path: Path) -> None:
    config = tmp_path / "config"
    province = config / "provinces" / "x"
    province.mkdir(parents=True)
    (province / "province.toml").write_text('code = "12"\ntimezone = "Mars/Olympus"\n')
    (province / "communes.csv").write_text("code,name\n123,Bad\n03388,A\n03388,Again\n")
    (province / "agencies.csv").write_text("code,name_vi\n13.SNV,Other province\n")
    (config / "pipeline.toml").write_text('province = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(config / "pipeline.toml")
    text = str(err.value)
    assert "timezone" in text and "123" in text and "duplicate unit code 03388" in text and "13.SNV" in text


def test_the_kafka_deployment_example_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config" / "provinces", config / "provinces")
    shutil.copy(PROJECT_ROOT / "deploy" / "pipeline.kafka.toml", config / "pipeline.toml")
    with pytest.raises(ConfigError, match="IOC_TOKEN_DVC") as err:
        load_settings(config / "pipeline.toml")
    assert "IOC_PSEUDONYM_KEY" in str(err.value)
    for name in ("DVC", "EOFFICE", "POPULATION", "TELECOM", "OFFICIAL766", "PORTAL766"):
        monkeypatch.setenv(f"IOC_TOKEN_{name}", f"token-{name}")
    monkeypatch.setenv("IOC_PSEUDONYM_KEY", "a-long-enough-shared-secret")
    s = load_settings(config / "pipeline.toml")
    assert not s.broker.embedded and s.broker.security_protocol == "SASL_SSL"
    assert (s.partitions, s.replication_factor, s.worker_count, s.namespace) == (12, 3, 3, "laichau")
    assert s.tokens["dvc"] == "token-DVC" and s.pseudonym_key == "a-long-enough-shared-secret"
