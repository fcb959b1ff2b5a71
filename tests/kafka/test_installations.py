"""Two provinces on one Apache Kafka cluster: Lai Châu and Điện Biên side by side, each held to its
namespace by its own SCRAM user and ACLs.

Each installation gets its user and ACLs from deploy/kafka/installation.sh (run here with the Kafka
jars' own kafka-configs and kafka-acls tools), creates its topics as that user (`ioc topics create`,
the deployment's topics job), and runs the whole pipeline (two KPI workers each) over the SASL
listener with SCRAM-SHA-512: the gateway's kafka-python publisher, the sink's and the gateway's
aiokafka clients and the Faust workers all authenticate. Lai Châu gets the hand-worked dvc data set;
Điện Biên the same dossiers moved to its own units. Then:

- each gives its hand-worked values for its own units and has no row of the other's units;
- each raw topic holds only its own installation's records, each archive only its own;
- each KPI group has its own two members;
- Lai Châu's user cannot write or read Điện Biên's topics, join its groups or create topics under
  its namespace (the broker refuses: authorization errors), and a wrong password is refused.
"""
from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from tests import dvc_dataset as ds
from tests.harness import ndjson, run_async
from tests.integration.test_other_province import UNITS, moved, moved_keys
from tests.kafka.cluster import KafkaCluster
from tests.kafka.jars import ensure_jars
from tests.kafka.pipeline import KafkaPipeline, namespace
from tests.kafka.readers import read_all
from tests.kafka.report import Trial
from tests.kafka.security import SCRAM, install, tool_scripts
from tests.kpi_checks import assert_kpis

pytestmark = [pytest.mark.kafka, pytest.mark.kafka_full, pytest.mark.timeout(1500)]


class Installation:
    def __init__(self, label: str, province: str, records: list[dict[str, Any]]) -> None:
        self.namespace = namespace(label)
        self.user, self.password = self.namespace, secrets.token_hex(16)
        self.province, self.records = province, records
        self.pipeline: KafkaPipeline | None = None

    def credentials(self) -> dict[str, Any]:
        return {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": SCRAM,
                "sasl_plain_username": self.user, "sasl_plain_password": self.password}


@pytest.fixture(scope="module")
def provinces(kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[Installation, Installation]]:
    lai_chau = Installation("laichau", "lai-chau", ds.PHASE1 + ds.PHASE2)
    dien_bien = Installation("dienbien", "dien-bien", moved(ds.PHASE1) + moved(ds.PHASE2))
    tools = tool_scripts(tmp_path_factory.mktemp("kafka-bin"), ensure_jars())
    started = []
    try:
        for inst in (lai_chau, dien_bien):
            install(kafka.bootstrap, tools, inst.namespace, inst.user, inst.password)
            workdir = Path(tmp_path_factory.mktemp(inst.namespace))
            inst.pipeline = KafkaPipeline(workdir, kafka, inst.namespace, workers=2, province=inst.province,
                                          user=inst.user, password=inst.password)
            created = inst.pipeline.cli("topics", "create")
            assert created.returncode == 0, created.stdout + created.stderr
        for inst in (lai_chau, dien_bien):
            assert inst.pipeline is not None
            inst.pipeline.start()
            started.append(inst.pipeline)
        for inst in (lai_chau, dien_bien):
            assert inst.pipeline is not None
            code, answer = inst.pipeline.ingest("dvc", ndjson(inst.records))
            assert code == 200 and answer["accepted"] == 21 + len(ds.PHASE2), answer
        for p in started:
            p.wait_idle(timeout_s=300)
        yield lai_chau, dien_bien
    finally:
        for p in started:
            assert p.stop() == 0


LAI_CHAU_UNITS = set(UNITS)
DIEN_BIEN_UNITS = set(UNITS.values())


def test_each_province_sees_only_its_own(kafka: KafkaCluster, provinces: tuple[Installation, Installation],
                                         trial: Trial) -> None:
    lai_chau, dien_bien = provinces
    assert lai_chau.pipeline is not None and dien_bien.pipeline is not None
    lc, db = lai_chau.pipeline.kpis(), dien_bien.pipeline.kpis()
    assert_kpis(lc, ds.EXPECTED, ds.ABSENT)
    assert_kpis(db, moved_keys(ds.EXPECTED), list(moved_keys(dict.fromkeys(ds.ABSENT))))
    assert not {k[1] for k in lc} & DIEN_BIEN_UNITS and not {k[1] for k in db} & LAI_CHAU_UNITS
    assert {k[1] for k in db if k[1].startswith("12")} == set(), "a Lai Châu unit in Điện Biên's KPIs"
    figures = {}
    for inst, own in ((lai_chau, LAI_CHAU_UNITS), (dien_bien, DIEN_BIEN_UNITS)):
        assert inst.pipeline is not None
        raw = read_all(kafka.bootstrap, inst.pipeline.topic("ioc.raw.dvc"))
        units = {orjson.loads(r.value)["MaDonVi"] for r in raw if r.value}
        assert units and units <= own, (inst.namespace, units)
        archived = inst.pipeline.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"]
        assert archived == 21 + len(ds.PHASE2)
        assert inst.pipeline.group_members() == 2
        figures[inst.province] = {"raw_messages": len([r for r in raw if r.value]), "archived": archived,
                                  "kpi_rows": len(inst.pipeline.kpis()), "workers": 2}
    topics = kafka.admin().list_topics()
    per_namespace = {i.namespace: sum(t.startswith(f"{i.namespace}.") for t in topics) for i in provinces}
    assert len(set(per_namespace.values())) == 1 and min(per_namespace.values()) > 20, per_namespace
    trial.add("two installations", namespaces=list(per_namespace), topics_each=min(per_namespace.values()),
              **figures)


def test_a_province_user_is_held_to_its_namespace(kafka: KafkaCluster,
                                                  provinces: tuple[Installation, Installation],
                                                  trial: Trial) -> None:
    lai_chau, dien_bien = provinces
    assert dien_bien.pipeline is not None
    foreign_raw = dien_bien.pipeline.topic("ioc.raw.dvc")
    refused = run_async(lambda: _refusals(kafka.sasl_bootstrap, lai_chau, dien_bien, foreign_raw))
    assert refused["fetch"] == "TopicAuthorizationFailedError" or re.fullmatch(r"0 of [1-9]\d* records",
                                                                               refused["fetch"])
    assert {k: v for k, v in refused.items() if k != "fetch"} == {
        "produce": "TopicAuthorizationFailedError", "group": "GroupAuthorizationFailedError",
        "wrong password": "KafkaConnectionError"}
    # Lai Châu's credentials with Điện Biên's namespace: creating its topics is refused too.
    intruder = KafkaPipeline(dien_bien.pipeline.workdir.parent / "intruder", kafka, dien_bien.namespace,
                             user=lai_chau.user, password=lai_chau.password)
    created = intruder.cli("topics", "create")
    assert created.returncode == 1 and "Authorization" in created.stderr, created.stdout + created.stderr
    trial.add("ACLs", user=lai_chau.user, refused_on_foreign_namespace=refused,
              topics_create_in_foreign_namespace=created.stderr.strip().splitlines()[-1][:120])


async def _refusals(bootstrap: str, own: Installation, other: Installation, topic: str) -> dict[str, str]:
    """What the broker answers `own`'s user for another installation's topic and group."""
    creds = own.credentials()
    out: dict[str, str] = {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **creds)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", key=b"x")
    except TopicAuthorizationFailedError as exc:
        out["produce"] = type(exc).__name__
    finally:
        await producer.stop()
    # aiokafka raises nothing for a fetch the broker refuses: it logs and hands out no record, while
    # the topic's own user reads every record from the same offsets.
    theirs = await _read(bootstrap, topic, other.credentials())
    mine = await _read(bootstrap, topic, creds)
    out["fetch"] = mine if isinstance(mine, str) else f"{mine} of {theirs} records"
    member = AIOKafkaConsumer(own.pipeline.topic("ioc.raw.dvc") if own.pipeline else topic,
                              bootstrap_servers=bootstrap, group_id=f"{other.namespace}.ioc-kpi", **creds)
    try:
        await member.start()
        await member.getmany(timeout_ms=5000)
    except GroupAuthorizationFailedError as exc:
        out["group"] = type(exc).__name__
    finally:
        await member.stop()
    wrong = AIOKafkaProducer(bootstrap_servers=bootstrap, **dict(creds, sasl_plain_password="wrong"))
    try:
        await asyncio.wait_for(wrong.start(), 60)
    except KafkaConnectionError as exc:   # the broker answers SaslAuthenticationFailed
        out["wrong password"] = type(exc).__name__
    finally:
        await wrong.stop()
    return out


async def _read(bootstrap: str, topic: str, creds: dict[str, Any]) -> int | str:
    """Records of every partition of `topic` readable with these credentials within a few seconds
    (or the error the client raised)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **creds)
    await consumer.start()
    got = 0
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(4)])
        await consumer.seek_to_beginning()
        for _ in range(10):
            got += sum(len(b) for b in (await consumer.getmany(timeout_ms=500)).values())
        return got
    except TopicAuthorizationFailedError as exc:
        return type(exc).__name__
    finally:
        await consumer.stop()
