"""Each node's server.properties, rendered from the deployment's own templates.

deploy/kafka/server.properties holds every broker setting the deployment relies on (replication 3,
min.insync.replicas 2, no auto-created topics...) with `${...}` fields for what differs per node;
deploy/kafka/sasl.properties is appended when the cluster runs with SCRAM users and ACLs. The
tests' cluster renders these files, and tests/unit/test_deploy.py checks that docker-compose.yml
and the Kubernetes StatefulSet set the same values, so what the tests proved is what deploy/ runs.
"""
from __future__ import annotations

from string import Template

from tests.kafka.jars import DEPLOY
from tests.kafka.node import Node
from tests.kafka.security import ADMIN_USER

SERVER = DEPLOY / "server.properties"
SASL = DEPLOY / "sasl.properties"


def parse(text: str) -> dict[str, str]:
    """key=value lines of a Java properties file (comments and blank lines skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def fields(node: Node, voters: str, *, sasl: bool, replication: int) -> dict[str, str]:
    """What fills the template's `${...}` fields for one node."""
    listeners = [f"PLAINTEXT://127.0.0.1:{node.port}", f"CONTROLLER://127.0.0.1:{node.controller_port}"]
    advertised = [listeners[0]]
    protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    if sasl:
        listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{node.sasl_port}")
        advertised.append(listeners[-1])
        protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
    return {"node_id": str(node.id), "voters": voters, "listeners": ",".join(listeners),
            "advertised": ",".join(advertised), "protocol_map": protocols,
            "log_dir": str(node.dir / "data"), "replication": str(replication),
            "min_isr": str(2 if replication >= 3 else 1), "admin_user": ADMIN_USER}


def render(node: Node, voters: str, *, sasl: bool, replication: int, extra: dict[str, str]) -> str:
    """The node's server.properties: the template, the SASL part when asked, then `extra` (a test's
    own settings, last so that they win)."""
    values = fields(node, voters, sasl=sasl, replication=replication)
    text = Template(SERVER.read_text()).substitute(values)
    if sasl:
        text += "\n" + Template(SASL.read_text()).substitute(values)
    return text + "".join(f"{k}={v}\n" for k, v in extra.items())


def voters(nodes: list[Node]) -> str:
    """The static KRaft quorum: every node votes."""
    return ",".join(f"{n.id}@127.0.0.1:{n.controller_port}" for n in nodes)
