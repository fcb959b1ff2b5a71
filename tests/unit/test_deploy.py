"""deploy/ runs what tests/kafka proved: no container engine or Kubernetes cluster runs here, so these
checks compare the deployment's files with what the tests' brokers and pipelines ran with.

- the brokers of docker-compose.yml and k8s/kafka.yaml set exactly the settings of
  deploy/kafka/server.properties and sasl.properties (rendered as the tests' cluster renders them
  for three nodes), node-specific listeners aside, and run the Kafka version of deploy/kafka/pom.xml;
- the installation's user and ACLs come from deploy/kafka/installation.sh, the script the tests run;
- the pipeline's configurations use that user over SASL/SCRAM, a namespace, replication 3, and three
  KPI workers in all (the gateway's local ones and the worker replicas), as the Kafka tests ran.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kafka.jars import ROOT, pinned_version
from tests.kafka.node import Node
from tests.kafka.properties import parse, render

DEPLOY = ROOT / "deploy"
# Set per node (its id, its addresses, its log folder): compared by hand below, not as values.
PER_NODE = {"node.id", "controller.quorum.voters", "listeners", "advertised.listeners", "log.dirs"}


def settings_tested() -> dict[str, str]:
    """What every broker of the tests' three-node cluster runs with (TEST_SETTINGS aside)."""
    node = Node(1, Path("/nowhere"), 9092, 9093, sasl_port=9094)
    text = render(node, "1@host:9093", sasl=True, replication=3, extra={})
    return {k: v for k, v in parse(text).items() if k not in PER_NODE}


def from_env(name: str) -> str:
    """The apache/kafka image's rule: KAFKA_A_B -> a.b, __ -> _, ___ -> -."""
    key = name.removeprefix("KAFKA_").lower()
    key = key.replace("___", "\0").replace("__", "\1").replace("_", ".")
    return key.replace("\0", "-").replace("\1", "_")


def broker_settings(env: dict[str, Any]) -> dict[str, str]:
    skip = {"KAFKA_HEAP_OPTS", "KAFKA_NODE_ID", "KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS",
            "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_LOG_DIRS"}
    return {from_env(k): str(v) for k, v in env.items() if k.startswith("KAFKA_") and k not in skip}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def k8s(kind: str, name: str) -> dict[str, Any]:
    for path in (DEPLOY / "k8s").glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in deploy/k8s")


def test_compose_brokers_run_the_settings_tested() -> None:
    services = compose()["services"]
    for i in (1, 2, 3):
        broker = services[f"kafka-{i}"]
        assert broker["image"] == f"apache/kafka:{pinned_version()}"
        assert broker_settings(broker["environment"]) == settings_tested()
        assert broker["environment"]["KAFKA_NODE_ID"] == i
        listeners = broker["environment"]["KAFKA_LISTENERS"].split(",")
        assert [x.split(":")[0] for x in listeners] == ["PLAINTEXT", "CONTROLLER", "SASL_PLAINTEXT"]


def test_kubernetes_brokers_run_the_settings_tested() -> None:
    (container,) = k8s("StatefulSet", "kafka")["spec"]["template"]["spec"]["containers"]
    assert container["image"].split()[0] == f"apache/kafka:{pinned_version()}"
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    assert broker_settings(env) == settings_tested()
    assert k8s("StatefulSet", "kafka")["spec"]["replicas"] == 3


def test_the_installation_script_is_the_tested_one() -> None:
    service = compose()["services"]["kafka-installation"]
    assert "./kafka/installation.sh:/opt/ioc/installation.sh:ro" in service["volumes"]
    job = k8s("Job", "kafka-installation")["spec"]["template"]["spec"]["containers"][0]
    assert job["command"][:2] == ["/bin/sh", "/opt/ioc/installation.sh"]
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    generated = {g["name"]: g["files"] for g in kustomization["configMapGenerator"]}
    assert generated["kafka-installation"] == ["kafka/installation.sh"]
    namespace = namespace_of(DEPLOY / "compose" / "pipeline.toml")
    assert service["entrypoint"][-1] == job["command"][-1] == namespace


def namespace_of(path: Path) -> str:
    return str(tomllib.loads(path.read_text())["kafka"]["namespace"])


@pytest.mark.parametrize(("config", "extra_workers"), [
    ("compose/pipeline.toml", lambda: compose()["services"]["ioc-worker"]["deploy"]["replicas"]),
    ("k8s/pipeline.toml", lambda: k8s("Deployment", "ioc-worker")["spec"]["replicas"]),
    ("pipeline.kafka.toml", lambda: 0),
])
def test_pipeline_configurations_as_tested(config: str, extra_workers: Any) -> None:
    data = tomllib.loads((DEPLOY / config).read_text())
    broker = data["broker"]
    assert broker["security_protocol"] in ("SASL_PLAINTEXT", "SASL_SSL")
    assert broker["sasl_mechanism"] == "SCRAM-SHA-512"
    assert broker["sasl_username"] == data["kafka"]["namespace"] == "laichau"
    assert data["topics"]["replication_factor"] == 3
    assert data["workers"]["count"] + extra_workers() == 3
