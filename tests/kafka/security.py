"""SASL/SCRAM users and prefix ACLs on the loopback cluster (KafkaCluster(sasl=True)).

The SASL_PLAINTEXT listener authenticates SCRAM-SHA-512 users; StandardAuthorizer holds each to
its ACLs (deploy/kafka/sasl.properties). An installation's user gets every operation it needs on
the topics, groups and transactional ids of its namespace prefix, and nothing else.
"""
from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tests.kafka.jars import DEPLOY, ClusterError, java

ADMIN_USER = "admin"          # the SCRAM superuser, created when the storage is formatted
SCRAM = "SCRAM-SHA-512"
T = TypeVar("T")


class ScramAcls:
    """The SCRAM and ACL half of KafkaCluster: it provides admin(), _close_admin() and sasl_bootstrap."""

    sasl_bootstrap: str

    def admin(self) -> Any:
        raise NotImplementedError

    def _close_admin(self) -> None:
        raise NotImplementedError

    def create_scram_user(self, user: str, password: str, mechanism: str = SCRAM) -> None:
        from kafka.admin import UserScramCredentialUpsertion
        result = self._admin_call(lambda admin: admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(user, mechanism, password)]))
        if result.get(user):
            raise ClusterError(f"SCRAM user {user}: {result[user]}")

    def grant_prefix(self, user: str, prefix: str, *,
                     topic_ops: tuple[str, ...] = ("READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS", "CREATE"),
                     group_ops: tuple[str, ...] = ("READ", "DESCRIBE"),
                     transactional_ops: tuple[str, ...] = ("WRITE", "DESCRIBE")) -> int:
        """Allow `user` these operations on every topic, group and transactional id whose name
        starts with `prefix` (PREFIXED patterns), and nothing else. Returns the ACLs created."""
        from kafka.admin import (
            ACL,
            ACLOperation,
            ACLPermissionType,
            ACLResourcePatternType,
            ResourcePattern,
            ResourceType,
        )
        wanted = [(ResourceType.TOPIC, topic_ops), (ResourceType.GROUP, group_ops),
                  (ResourceType.TRANSACTIONAL_ID, transactional_ops)]
        acls = [ACL(f"User:{user}", "*", ACLOperation[op], ACLPermissionType.ALLOW,
                    ResourcePattern(rtype, prefix, ACLResourcePatternType.PREFIXED))
                for rtype, ops in wanted for op in ops]
        result = self._admin_call(lambda admin: admin.create_acls(acls))
        if result.get("failed"):
            raise ClusterError(f"ACLs for {user} on {prefix}*: {result['failed']}")
        return len(result.get("succeeded", acls))

    def _admin_call(self, call: Callable[[Any], T], tries: int = 3) -> T:
        """`call(admin)`, again with a fresh client when the one kept named a node that has since
        restarted (kafka-python keeps the controller id it found at bootstrap)."""
        from kafka.errors import (
            KafkaConnectionError,
            KafkaTimeoutError,
            NodeNotReadyError,
            NotControllerError,
            UnknownBrokerIdError,
        )
        transient = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, NotControllerError,
                     UnknownBrokerIdError)
        for attempt in range(tries):
            try:
                return call(self.admin())
            except transient:
                if attempt == tries - 1:
                    raise
                self._close_admin()
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def client_config(self, user: str, password: str) -> dict[str, Any]:
        """The SASL keyword arguments shared by aiokafka and kafka-python clients."""
        return {"bootstrap_servers": self.sasl_bootstrap, "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": SCRAM, "sasl_plain_username": user, "sasl_plain_password": password}


# The command-line tools of a Kafka distribution, as the classes their scripts run (bin/kafka-*.sh
# are one-line wrappers around kafka-run-class.sh): the Maven jars have the classes, not the scripts.
TOOLS = {"kafka-configs.sh": "kafka.admin.ConfigCommand",
         "kafka-acls.sh": "org.apache.kafka.tools.AclCommand"}
INSTALLATION = DEPLOY / "installation.sh"


def tool_scripts(folder: Path, libs: Path) -> Path:
    """A bin folder with kafka-configs.sh and kafka-acls.sh running the cached jars."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, main_class in TOOLS.items():
        script = folder / name
        script.write_text("#!/bin/sh\n"
                          f'exec "{java()}" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC '
                          f"-Dlog4j2.level=WARN -cp '{libs}/*' {main_class} \"$@\"\n")
        script.chmod(0o755)
    return folder


def install(bootstrap: str, bin_folder: Path, namespace: str, user: str, password: str) -> str:
    """deploy/kafka/installation.sh NAMESPACE USER against `bootstrap` (an administrator's listener)."""
    env = {**os.environ, "IOC_KAFKA_PASSWORD": password, "KAFKA_BOOTSTRAP": bootstrap,
           "KAFKA_BIN": str(bin_folder)}
    done = subprocess.run(["sh", str(INSTALLATION), namespace, user], env=env, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise ClusterError(f"{INSTALLATION} {namespace} {user} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout
