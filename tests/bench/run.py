"""`make bench`: each figure beside a raw baseline measured in the same run on the same broker.

A ratio holds on a noisy 2-core machine where absolute rates do not.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import orjson
from kafka import KafkaProducer

from ioc.client import call
from tests.bench.records import dossier_records
from tests.harness import Pipeline

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def raw_producer_rate(bootstrap: str, lines: list[bytes]) -> float:
    """The baseline: kafka-python alone, same settings as the pipeline's publisher, no validation."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=512 * 1024,
                             max_in_flight_requests_per_connection=1)
    started = time.perf_counter()
    for line in lines:
        producer.send("bench.raw-baseline", key=line[12:40], value=line)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return len(lines) / elapsed


def row(name: str, value: float, baseline: float, unit: str, base_name: str) -> None:
    print(f"  {name:<44} {value:>10,.0f} {unit:<9} | {base_name:<36} {baseline:>10,.0f} {unit:<9} | ratio {value / baseline:5.2f}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Pipeline(Path(tmp))
        pipeline.start()
        try:
            records = dossier_records(N)
            lines = [orjson.dumps(r) for r in records]
            path = Path(tmp) / "dvc.ndjson"
            path.write_bytes(b"\n".join(lines))
            bootstrap = call(f"{pipeline.url}/status")[1]["broker"]["address"]
            baseline = raw_producer_rate(bootstrap, lines)
            started = time.perf_counter()
            result = pipeline.cli("ingest", "dvc", str(path))
            ingest_s = time.perf_counter() - started
            assert result.returncode == 0 and f"accepted       {N}" in result.stdout, result.stdout + result.stderr
            pipeline.wait_idle(timeout_s=1800)
            idle_s = time.perf_counter() - started
            print(f"\nmake bench ({N:,} dvc records, embedded Tansu broker, 2 cores)")
            row("ioc ingest: validate + dedup + publish", N / ingest_s, baseline, "rec/s", "raw kafka-python producer")
            row("ingest -> KPIs + archive in DuckDB (idle)", N / idle_s, baseline, "rec/s", "raw kafka-python producer")
        finally:
            pipeline.stop()


if __name__ == "__main__":
    main()
