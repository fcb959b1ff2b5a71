"""The loopback Apache Kafka cluster itself (tests/kafka/cluster.py): three KRaft nodes, replication
3, producers of both client libraries the project uses, a SIGKILLed broker, a rolling restart,
compaction, retention, SCRAM users held to a name prefix by ACLs, and the CLI behind `make kafka`.

The session's cluster (tests/kafka/conftest.py, with its SASL listener) serves them; a test that stops
a node brings it back and waits until every partition is in sync again before it returns."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
from aiokafka.errors import KafkaConnectionError as AioConnectionError
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import GroupAuthorizationFailedError as KpGroupDenied
from kafka.errors import KafkaTimeoutError as KpTimeout
from kafka.errors import TopicAuthorizationFailedError as KpTopicDenied

from tests.kafka.cluster import KafkaCluster
from tests.kafka.jars import ROOT, pinned_version
from tests.kafka.readers import earliest, read_all

pytestmark = [pytest.mark.kafka, pytest.mark.kafka_full, pytest.mark.timeout(1200)]


# ------------------------------------------------------------------------------------- helpers

def values(n: int, tag: str) -> list[bytes]:
    return [f"{tag}-{i:06d}".encode() for i in range(n)]


async def aio_produce(bootstrap: str, topic: str, payload: list[bytes], **client: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **client)
    try:
        await producer.start()
        sent = [await producer.send(topic, v, key=v) for v in payload]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


def kp_produce(bootstrap: str, topic: str, payload: list[bytes], **client: Any) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **client)
    try:
        for future in [producer.send(topic, v, key=v) for v in payload]:
            future.get(timeout=60)
    finally:
        producer.close()


def leader_counts(kafka: KafkaCluster, topic: str) -> Counter[int]:
    (described,) = kafka.admin().describe_topics([topic])
    return Counter(p["leader_id"] for p in described["partitions"])


# --------------------------------------------------------------------------------------- tests

def test_three_brokers_and_a_quorum(kafka: KafkaCluster) -> None:
    info = kafka.describe()
    assert info["brokers"] == [1, 2, 3] and info["fenced"] == []
    assert info["active_controller"] in (1, 2, 3)
    assert kafka.version == pinned_version()
    assert kafka.bootstrap == ",".join(f"127.0.0.1:{n.port}" for n in kafka.nodes)
    assert len(set(kafka.pids.values())) == 3 and all(kafka.rss().values())
    assert kafka.under_replicated() == 0
    print(f"Kafka {kafka.version}; RSS MiB:", {i: r // 2**20 for i, r in kafka.rss().items() if r})


def test_replicated_topic_both_clients_and_a_group(kafka: KafkaCluster) -> None:
    kafka.create_topic("both.clients", partitions=6)
    (described,) = kafka.admin().describe_topics(["both.clients"])
    assert all(len(p["replica_nodes"]) == 3 and len(p["isr_nodes"]) == 3 for p in described["partitions"])
    aio, kp = values(500, "aio"), values(500, "kp")
    asyncio.run(aio_produce(kafka.bootstrap, "both.clients", aio))
    kp_produce(kafka.bootstrap, "both.clients", kp)
    assert sorted(r.value for r in read_all(kafka.bootstrap, "both.clients")) == sorted(aio + kp)
    got, joined = asyncio.run(group_read(kafka.bootstrap, "both.clients", "both.group", 1000))
    assert sorted(got) == sorted(aio + kp)
    print(f"aiokafka group: assigned {joined:.2f} s after start()")


async def group_read(bootstrap: str, topic: str, group: str, want: int) -> tuple[list[bytes], float]:
    """Values read by one aiokafka group member, and how long its first join took."""
    began = time.monotonic()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.01)
        joined = time.monotonic() - began
        got: list[bytes] = []
        while len(got) < want and time.monotonic() - began < 60:
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                got.extend(r.value for r in batch)
        return got, joined
    finally:
        await consumer.stop()


def test_sigkill_a_broker_while_producing_loses_nothing(kafka: KafkaCluster) -> None:
    kafka.create_topic("kill.test", partitions=6)
    victim = leader_counts(kafka, "kill.test").most_common(1)[0][0]
    payload = values(3000, "kill")
    try:
        slowest = asyncio.run(produce_through_kill(kafka, "kill.test", payload, victim))
        records = read_all(kafka.bootstrap, "kill.test")
        assert len(records) == len(payload)                         # nothing lost, nothing twice
        assert sorted(r.value for r in records) == payload
        assert victim not in leader_counts(kafka, "kill.test")      # leaders moved off the dead node
        print(f"killed node {victim}; slowest acks=all send took {slowest:.1f} s")
    finally:
        kafka.start_node(victim)
        kafka.wait_in_sync()


async def produce_through_kill(kafka: KafkaCluster, topic: str, payload: list[bytes], victim: int) -> float:
    """Send at ~500 records/s and SIGKILL `victim` a third of the way; the slowest send's time."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    latencies: list[float] = []

    async def timed(fut: asyncio.Future[Any], began: float) -> None:
        await fut
        latencies.append(time.monotonic() - began)
    try:
        pending = []
        for i, value in enumerate(payload):
            if i == len(payload) // 3:
                await asyncio.to_thread(kafka.kill, victim)
            pending.append(asyncio.ensure_future(timed(await producer.send(topic, value, key=value),
                                                       time.monotonic())))
            if i % 10 == 9:
                await asyncio.sleep(0.02)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return max(latencies)


def test_rolling_restart_under_a_producer(kafka: KafkaCluster) -> None:
    kafka.create_topic("rolling.test", partitions=6)
    sent: list[bytes] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def produce() -> None:
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all", enable_idempotence=True)
        try:
            futures = []
            while not stop.is_set():
                value = f"roll-{len(sent):06d}".encode()
                futures.append(producer.send("rolling.test", value, key=value))
                sent.append(value)
                time.sleep(0.005)
            for f in futures:
                f.get(timeout=120)
        except BaseException as e:  # noqa: BLE001 - collected and re-raised by the test
            errors.append(e)
        finally:
            producer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    began = time.monotonic()
    try:
        kafka.rolling_restart()
    finally:
        stop.set()
        thread.join()
    took = time.monotonic() - began
    assert not errors, errors
    assert kafka.under_replicated() == 0
    assert sorted(r.value for r in read_all(kafka.bootstrap, "rolling.test")) == sorted(sent)
    print(f"rolling restart: {took:.1f} s, {len(sent)} records produced through it")


def test_compacted_topic_keeps_one_record_per_key(kafka: KafkaCluster) -> None:
    kafka.create_topic("compact.test", partitions=1, config={
        "cleanup.policy": "compact", "segment.ms": "500", "min.cleanable.dirty.ratio": "0.01"})
    keys = [f"k{i:02d}".encode() for i in range(20)]
    kp_keyed(kafka.bootstrap, "compact.test", [(k, str(r).encode()) for r in range(25) for k in keys])
    time.sleep(1.0)
    kp_keyed(kafka.bootstrap, "compact.test", [(b"roll", b"x")])   # rolls the segment: now cleanable
    began = time.monotonic()
    while True:
        records = read_all(kafka.bootstrap, "compact.test")
        per_key = Counter(r.key for r in records if r.key != b"roll")
        if all(per_key[k] == 1 for k in keys) or time.monotonic() - began > 60:
            break
        time.sleep(0.5)
    assert {k: per_key[k] for k in keys} == dict.fromkeys(keys, 1), f"{len(records)} records left"
    assert {r.key: r.value for r in records if r.key != b"roll"} == dict.fromkeys(keys, b"24")
    print(f"compacted 501 -> {len(records)} records {time.monotonic() - began:.1f} s after the roll")


def kp_keyed(bootstrap: str, topic: str, pairs: list[tuple[bytes, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        for future in [producer.send(topic, v, key=k) for k, v in pairs]:
            future.get(timeout=60)
    finally:
        producer.close()


def test_retention_deletes_old_records(kafka: KafkaCluster) -> None:
    kafka.create_topic("retention.test", partitions=1, config={"retention.ms": "2000", "segment.ms": "500"})
    kp_produce(kafka.bootstrap, "retention.test", values(100, "old"))
    time.sleep(1.0)
    kp_produce(kafka.bootstrap, "retention.test", [b"new-000000"])   # rolls the old segment
    began = time.monotonic()
    while earliest(kafka, "retention.test") < 100 and time.monotonic() - began < 60:
        time.sleep(0.5)
    start = earliest(kafka, "retention.test")
    assert start >= 100
    assert all(r.offset >= 100 for r in read_all(kafka.bootstrap, "retention.test"))
    print(f"log start offset {start} {time.monotonic() - began:.1f} s after the roll")


def test_scram_user_is_held_to_its_prefix(kafka: KafkaCluster) -> None:
    for topic in ("laichau.events", "dienbien.events"):
        kafka.create_topic(topic, partitions=3)
    kafka.create_scram_user("laichau-app", "lc-secret")
    assert kafka.grant_prefix("laichau-app", "laichau.") == 9
    kp_produce(kafka.bootstrap, "dienbien.events", [b"not yours"])          # admin, over PLAINTEXT
    user = kafka.client_config("laichau-app", "lc-secret")
    sasl = user.pop("bootstrap_servers")
    asyncio.run(aiokafka_as_user(sasl, user))
    kafka_python_as_user(sasl, user)
    wrong = dict(user, sasl_plain_password="wrong")
    with pytest.raises(AioConnectionError):          # the broker answers SaslAuthenticationFailed
        asyncio.run(aio_produce(sasl, "laichau.events", [b"x"], **wrong))
    # kafka-python turns the same refusal into "Unable to bootstrap" once its timeout runs out.
    with pytest.raises(KpTimeout, match="Unable to bootstrap"):
        KafkaProducer(bootstrap_servers=sasl, bootstrap_timeout_ms=3000, **wrong)


async def aiokafka_as_user(sasl: str, user: dict[str, Any]) -> None:
    await aio_produce(sasl, "laichau.events", [b"aio-1", b"aio-2"], **user)
    with pytest.raises(TopicAuthorizationFailedError):
        await aio_produce(sasl, "dienbien.events", [b"aio-x"], **user)
    got = await aio_group_values(sasl, "laichau.events", "laichau.kpi", user)
    assert {b"aio-1", b"aio-2"} <= set(got)
    with pytest.raises(GroupAuthorizationFailedError):
        await aio_group_values(sasl, "laichau.events", "dienbien.kpi", user)
    with pytest.raises(TopicAuthorizationFailedError):
        await aio_group_values(sasl, "dienbien.events", "laichau.kpi2", user)
    await aio_transaction(sasl, "laichau.tx-1", user)       # transactional ids are prefixed too
    with pytest.raises(TransactionalIdAuthorizationFailed):
        await aio_transaction(sasl, "dienbien.tx-1", user)


async def aio_group_values(sasl: str, topic: str, group: str, user: dict[str, Any],
                           want: int = 2) -> list[bytes]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=sasl, group_id=group,
                                auto_offset_reset="earliest", **user)
    got: list[bytes] = []
    try:
        await consumer.start()
        deadline = time.monotonic() + 10
        while len(got) < want and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            got += [r.value for batch in batches.values() for r in batch]
        return got
    finally:
        await consumer.stop()


async def aio_transaction(sasl: str, transactional_id: str, user: dict[str, Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=sasl, transactional_id=transactional_id, **user)
    try:
        await producer.start()
        async with producer.transaction():
            await producer.send_and_wait("laichau.events", b"in-a-transaction")
    finally:
        await producer.stop()


def kafka_python_as_user(sasl: str, user: dict[str, Any]) -> None:
    kp_produce(sasl, "laichau.events", [b"kp-1"], **user)
    with pytest.raises(KpTopicDenied):
        kp_produce(sasl, "dienbien.events", [b"kp-x"], **user)
    assert b"kp-1" in [r.value for r in read_all(sasl, "laichau.events", **user)]
    # kafka-python's consumer raises nothing for a denied topic: it logs "not authorized", sees no
    # partitions and reads nothing (the topic holds a record: the admin wrote it above).
    denied = KafkaConsumer("dienbien.events", bootstrap_servers=sasl, group_id="laichau.kp",
                           auto_offset_reset="earliest", **user)
    try:
        assert denied.poll(timeout_ms=3000) == {} and not denied.partitions_for_topic("dienbien.events")
    finally:
        denied.close()
    with pytest.raises(KpGroupDenied):
        kp_group_poll(sasl, "laichau.events", "dienbien.kp", user)


def kp_group_poll(sasl: str, topic: str, group: str, user: dict[str, Any]) -> None:
    consumer = KafkaConsumer(topic, bootstrap_servers=sasl, group_id=group, auto_offset_reset="earliest",
                             **user)
    try:
        consumer.poll(timeout_ms=5000)
    finally:
        consumer.close()


def test_cli_start_status_stop(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tests.kafka.cli", *args, "--dir", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=900)
    started = cli("start", "--nodes", "1")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"Apache Kafka {pinned_version()}" in started.stdout
        assert "bootstrap 127.0.0.1:" in started.stdout
        status = cli("status")
        assert status.returncode == 0 and "brokers=[1]" in status.stdout, status.stdout + status.stderr
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert cli("status").returncode == 1
