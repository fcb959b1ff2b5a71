"""The pipeline's topics on Apache Kafka do what the catalogue says, and lag is read from real offsets.

One pipeline (three workers, its own namespace) takes the quick fault workload (simulated records of
all four sources), then:

- every topic of the catalogue has the partitions, 3 replicas, cleanup policy, retention and size
  limit the catalogue gives it, and `ioc topics create` checks them all `ok`;
- the raw topics keep every record (retention.ms=-1, set on the topic) while the same cluster deletes
  a finite-retention topic's old segments within seconds;
- the KPI and drill-down topics are really compacted: once the broker's cleaner has run, one record
  per key, the latest value of each key is what DuckDB holds, and workers SIGKILLed afterwards
  rebuild from the compacted topics to the same `kpi_latest`;
- consumer lag: with the KPI workers stopped (SIGSTOP), `ioc status` reports for their group exactly
  the messages the raw topics hold beyond its committed offsets (counted by reading them), and 0
  for every group and topic once the workers run again and the pipeline is idle; still 0 after the
  group's coordinator moves to another live node and back.
"""
from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from contract.records import H_BARRIER, header
from contract.topics import MAX_MESSAGE_BYTES
from ioc.config import load_config
from tests.dvc_dataset import rec
from tests.faults.driver import KPI_COLUMNS, Feeder, kpi_differences, wait_restarted
from tests.faults.workload import SOURCES, workload
from tests.harness import ndjson
from tests.kafka.cluster import KafkaCluster
from tests.kafka.coordinators import move_coordinator
from tests.kafka.pipeline import KafkaPipeline, consumer_lag, ends_and_committed, namespace
from tests.kafka.readers import earliest, log_starts, read_all
from tests.kafka.report import Trial

pytestmark = [pytest.mark.kafka, pytest.mark.kafka_full, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def pipeline(kafka: KafkaCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaPipeline]:
    p = KafkaPipeline(Path(tmp_path_factory.mktemp("topics")), kafka, namespace("topics"))
    p.start()
    try:
        answers = Feeder(p, workload("quick").batches, pace_s=0).run()
        assert answers.codes.keys() == {200}, answers.codes
        p.wait_idle(timeout_s=300)
        yield p
    finally:
        assert p.stop() == 0


def catalogue(p: KafkaPipeline) -> dict[str, Any]:
    return {spec.name: spec for spec in load_config(p.config).topology.catalogue()}


def topic_configs(kafka: KafkaCluster, topics: list[str]) -> dict[str, dict[str, Any]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
    found = kafka.admin().describe_configs(resources, config_filter="all")["topic"]
    return {t: {k: (v["value"], v["config_source"]) for k, v in found[t].items()} for t in topics}


def test_topics_as_the_catalogue_says(kafka: KafkaCluster, pipeline: KafkaPipeline, trial: Trial) -> None:
    specs = catalogue(pipeline)
    assert all(name.startswith(f"{pipeline.namespace}.") for name in specs)
    described = {d["name"]: d for d in kafka.admin().describe_topics(list(specs))}
    configs = topic_configs(kafka, list(specs))
    for name, spec in specs.items():
        partitions = described[name]["partitions"]
        assert len(partitions) == spec.partitions, name
        assert all(len(p["replica_nodes"]) == 3 and len(p["isr_nodes"]) == 3 for p in partitions), name
        for key, value in spec.configs().items():
            assert configs[name][key][0] == value, (name, key, configs[name][key])
        assert configs[name]["min.insync.replicas"][0] == "2", name   # the brokers' setting
        assert int(configs[name]["max.message.bytes"][0]) > MAX_MESSAGE_BYTES
    done = pipeline.cli("topics", "create")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok ") == len(specs) and "BAD" not in done.stdout, done.stdout
    policies = Counter(configs[n]["cleanup.policy"][0] for n in specs)
    trial.add("catalogue", topics=len(specs), partitions=sum(s.partitions for s in specs.values()),
              replicas=3, cleanup_policy=dict(policies), min_insync_replicas=2)


def test_raw_topics_keep_every_record(kafka: KafkaCluster, pipeline: KafkaPipeline, trial: Trial) -> None:
    """retention.ms=-1 on the raw topics holds; the same cluster deletes a finite retention's segments."""
    raw = [pipeline.topic(f"ioc.raw.{s}") for s in SOURCES]
    configs = topic_configs(kafka, raw)
    assert {configs[t]["retention.ms"] for t in raw} == {("-1", "DYNAMIC_TOPIC_CONFIG")}
    control = pipeline.topic("retention-control")
    kafka.create_topic(control, partitions=1, config={"retention.ms": "2000", "segment.ms": "500"})
    _roll_segments(kafka, raw)
    time.sleep(1.0)
    pipeline.wait_idle()               # its markers reach every raw partition: the segments roll
    segments = _segment_files(kafka, raw)
    assert segments > len(raw) * 4, "the raw topics' segments did not roll"
    before = {t: _data_messages(kafka, t) for t in raw}
    _produce(kafka, control, 100)
    time.sleep(1.0)
    _produce(kafka, control, 1)                     # rolls the control topic's old segment
    began = time.monotonic()
    while earliest(kafka, control) < 100:
        assert time.monotonic() - began < 120, "the broker never deleted the control topic's segment"
        time.sleep(0.5)
    deleted_after = time.monotonic() - began
    time.sleep(3.0)                                 # three more passes of the retention check
    starts = log_starts(kafka, [TopicPartition(t, p) for t in raw for p in range(4)])
    assert set(starts.values()) == {0}, starts
    assert {t: _data_messages(kafka, t) for t in raw} == before
    assert sum(before.values()) > workload("quick").records() // 2
    trial.add("raw retention", raw_messages=sum(before.values()), raw_segments_node_1=segments,
              raw_log_start_offsets=max(starts.values()),
              control_deleted_after_s=round(deleted_after, 1), retention_check_interval_s=1)


def _data_messages(kafka: KafkaCluster, topic: str) -> int:
    """The topic's records, barrier markers left out: a periodic checkpoint may add one per partition
    while the test runs (it did, on a loaded machine)."""
    return sum(header(r.headers, H_BARRIER) is None for r in read_all(kafka.bootstrap, topic))


def _roll_segments(kafka: KafkaCluster, topics: list[str]) -> None:
    """A short segment.ms, so the raw topics' segments roll and the retention check considers them."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, t, configs={"segment.ms": "500"}) for t in topics]
    assert set(kafka.admin().alter_configs(resources)["topic"].values()) == {"OK"}


def _segment_files(kafka: KafkaCluster, topics: list[str]) -> int:
    """Log segments of these topics on node 1 (every node holds a replica of every partition)."""
    data = kafka.node(1).dir / "data"
    return sum(len(list(data.glob(f"{t}-*/*.log"))) for t in topics)


def _produce(kafka: KafkaCluster, topic: str, n: int) -> None:
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    try:
        for future in [producer.send(topic, f"v{i}".encode(), key=f"k{i}".encode()) for i in range(n)]:
            future.get(timeout=60)
    finally:
        producer.close()


def test_kpi_topics_are_compacted(kafka: KafkaCluster, pipeline: KafkaPipeline, trial: Trial) -> None:
    compacted = [n for n, s in catalogue(pipeline).items() if s.compacted]
    before = {t: len(read_all(kafka.bootstrap, t)) for t in compacted}
    kpis_before = _kpi_latest(pipeline)
    resources = [ConfigResource(ConfigResourceType.TOPIC, t, configs={
        "segment.ms": "1000", "min.cleanable.dirty.ratio": "0.01"}) for t in compacted]
    assert set(kafka.admin().alter_configs(resources)["topic"].values()) == {"OK"}
    time.sleep(1.5)
    pipeline.wait_idle()          # its markers roll every partition's segment: the old ones are cleanable
    began = time.monotonic()
    while not all(_one_per_key(kafka, t) for t in compacted):
        assert time.monotonic() - began < 180, {t: _per_key_max(kafka, t) for t in compacted}
        time.sleep(1.0)
    compacted_after = time.monotonic() - began
    after = {t: len(read_all(kafka.bootstrap, t)) for t in compacted}
    assert sum(after.values()) < sum(before.values())
    latest = {}
    for topic in compacted:
        if ".ioc.kpi." in topic:
            latest.update({r.key.decode(): r.value for r in read_all(kafka.bootstrap, topic)
                           if header(r.headers, H_BARRIER) is None})
    alive = {k for k, v in latest.items() if v is not None}
    assert alive == {"|".join(k) for k in kpis_before}, "the compacted KPI topics hold what DuckDB holds"
    # Back to the catalogue's settings (segments of days, the default dirty ratio): the cleaner then
    # never races a consumer that is seconds behind (see the README: barriers on compacted topics).
    resets = [ConfigResource(ConfigResourceType.TOPIC, t, configs=["segment.ms", "min.cleanable.dirty.ratio"])
              for t in compacted]
    assert set(kafka.admin().reset_configs(resets)["topic"].values()) == {"OK"}
    # workers rebuilt from the compacted topics (the 766 index stage reads ioc.kpi.dvc) give the same KPIs
    pids = pipeline.worker_pids()
    for pid in pids.values():
        os.kill(pid, signal.SIGKILL)
    for name, pid in pids.items():
        wait_restarted(pipeline, name, pid)
    pipeline.wait_idle(timeout_s=300)
    assert not kpi_differences(kpis_before, _kpi_latest(pipeline))
    kpi_topics = [t for t in compacted if ".ioc.kpi." in t]
    trial.add("compaction", topics=len(compacted), messages_before=sum(before.values()),
              messages_after=sum(after.values()), kpi_keys=len(latest),
              kpi_messages_after=sum(after[t] for t in kpi_topics),
              compacted_within_s=round(compacted_after, 1), workers_rebuilt_same_kpis=True)


def _per_key_max(kafka: KafkaCluster, topic: str) -> int:
    """The most records any key has in one partition (barrier markers aside: the newest of them sit
    in the active segment, which the cleaner never touches)."""
    per_key = Counter((r.partition, r.key) for r in read_all(kafka.bootstrap, topic)
                      if header(r.headers, H_BARRIER) is None)
    return max(per_key.values(), default=0)


def _one_per_key(kafka: KafkaCluster, topic: str) -> bool:
    return _per_key_max(kafka, topic) <= 1


def _kpi_latest(p: KafkaPipeline) -> dict[tuple[str, ...], tuple[Any, ...]]:
    rows = p.sql(f"SELECT {KPI_COLUMNS} FROM kpi_latest")
    return {(r["kpi"], r["unit"], r["grain"], r["period"]):
            (r["unit_level"], r["value"], r["numerator"], r["denominator"]) for r in rows}


def test_consumer_lag_from_real_end_offsets(kafka: KafkaCluster, pipeline: KafkaPipeline,
                                            trial: Trial) -> None:
    raw = [pipeline.topic(f"ioc.raw.{s}") for s in SOURCES]
    pids = pipeline.worker_pids()
    archived = pipeline.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"]
    for pid in pids.values():
        os.kill(pid, signal.SIGSTOP)
    try:
        records = [_dossier(i) for i in range(40)]
        code, answer = pipeline.ingest("dvc", ndjson(records))
        assert code == 200 and answer["accepted"] == len(records), answer
        _wait(lambda: pipeline.sql("SELECT count(*) AS n FROM raw_dvc")[0]["n"] == archived + len(records))
        for _ in range(5):   # the same answer before and after reading the offsets: nothing came meanwhile
            reported = consumer_lag(pipeline)[pipeline.kpi_group]
            ends, committed = ends_and_committed(kafka, pipeline.kpi_group, raw)
            if consumer_lag(pipeline)[pipeline.kpi_group] == reported:
                break
        behind = _messages_between(kafka, committed, ends)
    finally:
        for pid in pids.values():
            os.kill(pid, signal.SIGCONT)
    data = sum(n for (kind, _), n in behind.items() if kind == "data")
    markers = sum(n for (kind, _), n in behind.items() if kind == "marker")
    for topic in raw:
        assert reported[topic] == sum(n for (_, t), n in behind.items() if t == topic), (topic, reported)
    assert data == len(records)
    pipeline.wait_idle(timeout_s=300)
    trial.add("consumer lag", workers_stopped=len(pids), records_sent=len(records),
              lag_reported=sum(reported[t] for t in raw), data_messages_behind=data,
              barrier_markers_behind=markers, lag_zero_after_s=_wait_lag_zero(pipeline))


def test_lag_follows_the_group_coordinator_when_it_moves(kafka: KafkaCluster, pipeline: KafkaPipeline,
                                                         trial: Trial) -> None:
    """Kafka moves a group's coordinator while every node runs (its automatic leader rebalance does,
    minutes after a failover). The gateway once kept asking the old one, whose NOT_COORDINATOR
    answer aiokafka's consumer reads as "nothing committed": `ioc status` then counted each raw
    topic's whole log as lag, for good (make test-kafka failed on it twice)."""
    pipeline.wait_idle(timeout_s=300)
    group = pipeline.kpi_group
    _wait_lag_zero(pipeline)
    moves = []
    for _ in range(2):  # away from its node, then on again, as a rebalance after a failover does
        was, to = move_coordinator(kafka, group)
        moves.append(f"{was}->{to} lag 0 after {_wait_lag_zero(pipeline, timeout_s=60)} s")
    trial.add("consumer lag, coordinator moved", group=group, moves=moves)


def _wait_lag_zero(pipeline: KafkaPipeline, timeout_s: float = 120) -> float:
    """Seconds until `ioc status` reports no lag for any group and topic."""
    began = time.monotonic()
    lagging: dict[str, Any] = {}

    def caught_up() -> bool:
        lag = consumer_lag(pipeline)
        lagging.clear()
        if not isinstance(lag, dict):  # "unavailable: ..." while the broker does not answer
            lagging["status"] = lag
            return False
        lagging.update({g: {t: n for t, n in per.items() if n} for g, per in lag.items()})
        return not any(lagging.values())

    _wait(caught_up, timeout_s, lambda: f"still lagging: {lagging}")
    return round(time.monotonic() - began, 1)


def _dossier(i: int) -> dict[str, Any]:
    return rec(f"LAG-{i:04d}", "03388", 2, "2026-11-02T08:00:00+07:00", "2026-11-02T08:00:00+07:00",
               "2026-11-09T17:00:00+07:00")


def _messages_between(kafka: KafkaCluster, start: dict[Any, int], end: dict[Any, int]
                      ) -> Counter[tuple[str, str]]:
    """(data | marker, topic) -> messages at offsets [start, end) of every partition, read one by one."""
    from kafka import KafkaConsumer
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, enable_auto_commit=False)
    counts: Counter[tuple[str, str]] = Counter()
    try:
        parts = [TopicPartition(tp.topic, tp.partition) for tp in end if end[tp] > start[tp]]
        consumer.assign(parts)
        for tp in parts:
            consumer.seek(tp, start[tp])
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < end[tp] for tp in parts):
            assert time.monotonic() < deadline, "could not read up to the end offsets"
            for tp, batch in consumer.poll(timeout_ms=500).items():
                for r in batch:
                    if r.offset < end[tp]:
                        kind = "data" if header(r.headers, H_BARRIER) is None else "marker"
                        counts[(kind, tp.topic)] += 1
    finally:
        consumer.close()
    return counts


def _wait(done: Any, timeout_s: float = 120, why: Any = lambda: "timed out") -> None:
    began = time.monotonic()
    while not done():
        assert time.monotonic() - began < timeout_s, why()
        time.sleep(0.5)
