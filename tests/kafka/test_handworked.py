"""The hand-worked data sets on Apache Kafka give exactly what they give on the embedded broker.

Every hand-worked request (tests/handworked.py: four sources, duplicates, bad records, late and
corrected records, the telecom cut-off steps) goes through the whole pipeline twice: on the embedded
Tansu broker with one worker, and on the three-broker cluster with three workers (replication 3, an
installation namespace). Both must give the hand-worked values, the same whole `kpi_latest` (every
column but `updated_at`), the same dead letters (source, reason, record) and the same raw archive.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.faults.driver import KPI_COLUMNS, kpi_differences
from tests.handworked import dead_letters, expected, requests
from tests.harness import Pipeline, ndjson
from tests.kafka.cluster import KafkaCluster
from tests.kafka.pipeline import KafkaPipeline, namespace
from tests.kafka.report import Trial
from tests.kpi_checks import kpi_problems

pytestmark = [pytest.mark.kafka, pytest.mark.kafka_full, pytest.mark.timeout(1500)]
PSEUDONYM_KEY = "handworked-" + "5" * 32


def feed_and_read(p: Pipeline) -> dict[str, Any]:
    """Send every hand-worked request, wait until DuckDB reflects them, read back what matters.
    Both installations get one pseudonym key, as a province's installations share theirs, so
    population's `pid-...` pseudonyms come out alike."""
    secrets = p.workdir / "var" / "secrets.json"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    secrets.write_bytes(orjson.dumps({"pseudonym_key": PSEUDONYM_KEY}))
    secrets.chmod(0o600)
    p.start()
    try:
        for source, records, accepted in requests():
            code, answer = p.ingest(source, ndjson(records))
            assert code == 200 and answer["accepted"] == accepted, (source, answer)
        p.wait_idle(timeout_s=300)
        rows = p.sql(f"SELECT {KPI_COLUMNS} FROM kpi_latest")
        letters = p.sql("SELECT source, reason, record FROM dead_letters")
        raw = {s: {r["id"] for r in p.sql(f"SELECT id FROM raw_{s}")} for s in expected()}
        restarts = {w["name"]: w["restarts"] for w in p.status()["workers"]}
    finally:
        assert p.stop() == 0
    kpis = {(r["kpi"], r["unit"], r["grain"], r["period"]):
            (r["unit_level"], r["value"], r["numerator"], r["denominator"]) for r in rows}
    assert len(kpis) == len(rows)
    return {"kpis": kpis, "letters": Counter((d["source"], d["reason"], d["record"]) for d in letters),
            "raw": raw, "restarts": restarts}


def test_hand_worked_values_as_on_the_embedded_broker(kafka: KafkaCluster, tmp_path: Path,
                                                       trial: Trial) -> None:
    embedded = feed_and_read(Pipeline(tmp_path / "embedded"))
    on_kafka = feed_and_read(KafkaPipeline(tmp_path / "kafka", kafka, namespace("handworked")))
    problems = []
    for source, (want, absent) in expected().items():
        got = {k: v[1:] for k, v in on_kafka["kpis"].items() if k[0].startswith(f"{source}.")}
        problems += [f"{source}: {p}" for p in kpi_problems(got, want, absent)]
    assert not problems, "hand-worked values on Kafka:\n" + "\n".join(problems)
    diffs = kpi_differences(embedded["kpis"], on_kafka["kpis"])
    assert not diffs, "kpi_latest on Kafka differs from the embedded broker's:\n" + "\n".join(diffs)
    assert on_kafka["letters"] == embedded["letters"]
    per_source = Counter(source for source, _, _ in on_kafka["letters"].elements())
    assert per_source == Counter(dead_letters())
    assert on_kafka["raw"] == embedded["raw"]
    assert set(on_kafka["restarts"].values()) == {0} and len(on_kafka["restarts"]) == 3
    trial.add("hand-worked data sets", requests=len(requests()),
              records=sum(len(r) for _, r, _ in requests()),
              accepted=sum(a for _, _, a in requests()), kpi_rows=len(on_kafka["kpis"]),
              hand_worked_rows=sum(len(w) for w, _ in expected().values()),
              dead_letters=dict(per_source), same_as_embedded=True, seconds=trial.seconds())
