"""No personal id number is stored or published anywhere: topics, DuckDB, logs, metrics."""
from __future__ import annotations

import asyncio
import urllib.request

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from connectors.registry import source_names
from contract.topics import CONTRACT_NAMES as topics
from ioc.client import call
from streams.kpis.registry import detail_sources, kpi_domains
from tests import dvc_dataset as ds
from tests.harness import Pipeline
from tests.personal_ids import has_personal_id

pytestmark = pytest.mark.integration

IDS = ["001203004567", "123456789012", "079203001234", "036099012345", "079203001235", "012345678901",
       "001203009999"]
T = "2026-11-20T09:00:00+07:00"
PLANTED = {
    "dvc": [{**ds.D1[0], "MaHoSo": "PII-1", "CCCD": IDS[0]}],
    "eoffice": [
        {
            "doc_id": "PII-2",
            "unit": "12.SNV",
            "direction": "outgoing",
            "status": "issued",
            "event_time": T,
            "signer": {"id": int(IDS[1])},
        }
    ],
    "population": [
        {
            "event_id": IDS[3],
            "kind": "eid_activated",
            "commune": "03388",
            "event_time": T,
            "level": 2,
            "citizen_ref": IDS[2],
        },
        {
            "event_id": "PII-4",
            "kind": "verification",
            "commune": "03388",
            "event_time": T,
            "result": "ok",
            "latency_ms": 10,
            "requester": IDS[4],
        },
    ],
    "telecom": [
        {"kind": "site", "site_id": "PII-5", "commune": "03388", "valid_from": T, "villages": [IDS[5]]}
    ],
}


def test_personal_ids_never_leave_the_connector(pipeline: Pipeline) -> None:
    for source, records in PLANTED.items():
        code, answer = pipeline.ingest(source, records)
        assert code == 200, answer
    code, answer = pipeline.ingest("dvc", f'{{"MaHoSo": "PII-6", "note": "{IDS[6]}", '.encode())
    assert answer["dead_letter_reasons"] == {"unparseable": 1}
    pipeline.wait_idle()
    accepted = pipeline.sql("SELECT count(*) AS n FROM raw_population")[0]["n"]
    assert accepted == 1  # the activation, its identity fields pseudonymized; the other is a dead letter
    reasons = pipeline.sql("SELECT source, reason FROM dead_letters ORDER BY source")
    assert {(r["source"], r["reason"]) for r in reasons} >= {
        ("dvc", "personal_id"),
        ("eoffice", "personal_id"),
        ("population", "personal_id"),
        ("telecom", "personal_id"),
        ("dvc", "unparseable"),
    }
    found = _scan_topics(pipeline) + _scan_duckdb(pipeline) + _scan_text(pipeline)
    assert not found, found


def _leaks(blob: bytes) -> list[str]:
    return [i for i in IDS if i.encode() in blob]


def _scan_topics(pipeline: Pipeline) -> list[str]:
    broker = call(f"{pipeline.url}/status")[1]["broker"]["address"]
    specs = topics.catalogue(source_names(), kpi_domains(), 4, detail_sources())

    async def scan() -> list[str]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker, group_id=None, enable_auto_commit=False, fetch_max_wait_ms=20
        )
        await consumer.start()
        found: list[str] = []
        try:
            tps = [TopicPartition(s.name, p) for s in specs for p in range(s.partitions)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            empty = 0
            while empty < 3:
                batch = await consumer.getmany(timeout_ms=200)
                empty = 0 if batch else empty + 1
                for tp, records in batch.items():
                    for r in records:
                        blob = (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers or [])
                        found += [f"{tp.topic}: {i}" for i in _leaks(blob)]
                        is_json = bool(r.value) and r.value[:1] in (b"{", b"[")
                        if is_json and has_personal_id(orjson.loads(r.value), keys=False):  # values only
                            found.append(f"{tp.topic}: a 12-digit value")
        finally:
            await consumer.stop()
        return found

    return asyncio.run(scan())


def _scan_duckdb(pipeline: Pipeline) -> list[str]:
    tables = [r["table_name"] for r in pipeline.sql("SELECT table_name FROM information_schema.tables")]
    found = []
    for table in tables:
        rows = pipeline.sql(f"SELECT * FROM {table}")
        blob = orjson.dumps(rows, default=str)
        found += [f"duckdb {table}: {i}" for i in _leaks(blob)]
    return found


def _scan_text(pipeline: Pipeline) -> list[str]:
    logs = list((pipeline.workdir / "var" / "logs").glob("*.log")) + [pipeline.log]
    found = [f"{path.name}: {i}" for path in logs for i in _leaks(path.read_bytes())]
    metrics = urllib.request.urlopen(f"{pipeline.url}/metrics").read()
    return found + [f"/metrics: {i}" for i in _leaks(metrics)]
