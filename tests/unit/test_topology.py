"""The topic catalogue and the stage topology: the contract's names by default, every name under an
installation's namespace otherwise, and the barrier paths the sink waits for."""
from __future__ import annotations

from pathlib import Path

import pytest

from contract.errors import ConfigError
from contract.topics import CONTRACT_NAMES, TopicNames
from contract.topology import GATEWAY, Topology
from ioc.config import load_config

CONFIG = load_config()


def test_the_contract_names_without_a_namespace() -> None:
    assert CONTRACT_NAMES.raw("dvc") == "ioc.raw.dvc" and CONTRACT_NAMES.dead_letters("dvc") == "ioc.dlq.dvc"
    assert CONTRACT_NAMES.kpi("index766") == "ioc.kpi.index766" and CONTRACT_NAMES.alerts() == "ioc.alerts"
    assert CONTRACT_NAMES.kpi_group == "ioc-kpi" and CONTRACT_NAMES.prefix == ""
    assert CONFIG.topology.names == CONTRACT_NAMES


def test_a_namespace_prefixes_every_topic_and_group() -> None:
    names = TopicNames("laichau")
    t = Topology(CONFIG.topology.flows, 4, CONFIG.topology.index_input, names=names)
    every = [spec.name for spec in t.catalogue()] + list(t.group_topics())
    every += [a[0] for a in t.expected_arrivals()]
    outside = [n for n in every if not n.startswith("laichau.")]
    assert every and not outside, outside
    assert names.raw_source("laichau.ioc.raw.telecom") == "telecom"
    assert names.raw_source("ioc.raw.telecom") is None
    assert names.faust_leader() == "laichau.ioc-kpi-__assignor-__leader"


def test_the_sink_waits_for_every_path_a_barrier_takes() -> None:
    t = CONFIG.topology
    arrivals = t.expected_arrivals()
    p = t.partitions
    n = t.names
    for source in t.sources:   # from the gateway on every raw and dead-letter partition
        assert {(n.raw(source), q, GATEWAY) for q in range(p)} <= arrivals
    # from each fold partition on each dead-letter partition of its source; not on partials (not the sink's)
    assert (n.dead_letters("dvc"), 0, 1 + (p - 1)) in arrivals
    assert not any(topic == n.partials("dvc") for topic, _, _ in arrivals)
    # from each combine partition on every KPI partition; drill-down from each fold partition
    assert {(n.kpi("dvc"), k, q) for k in range(p) for q in range(p)} <= arrivals
    assert {(n.details("telecom"), d, q) for d in range(p) for q in range(p)} <= arrivals
    assert {(n.kpi("index766"), k, q) for k in range(p) for q in range(p)} <= arrivals


@pytest.mark.parametrize("namespace", ["Lai Chau", "lai.chau", "-x", "x" * 41])
def test_a_bad_namespace_is_a_configuration_problem(tmp_path: Path, namespace: str) -> None:
    root = Path(__file__).resolve().parents[2]
    config = tmp_path / "config"
    config.mkdir()
    (config / "provinces").symlink_to(root / "config" / "provinces")
    (config / "pipeline.toml").write_text(f'province = "lai-chau"\n[ingest]\npseudonym_key = "generate"\n'
                                          f'[kafka]\nnamespace = "{namespace}"\n')
    with pytest.raises(ConfigError, match="namespace"):
        load_config(config / "pipeline.toml")
