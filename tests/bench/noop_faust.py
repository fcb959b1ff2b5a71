"""The KPI rate's baseline: a Faust agent that does nothing with the records it is given.

Same Faust settings as the KPI workers (streams/engine/app.py `create_app`), the same
`_patch_fetch_wait`, the same `take_events(batch_max, within=batch_within_s)` iteration, and raw
key/value serializers; the agent only counts. A 0.1 s timer writes the count, the wall-clock time
of the last record and the process's RSS to a JSON file for the bench to poll.

Run by tests/bench/run.py as `python -m tests.bench.noop_faust` with the environment:
BENCH_NOOP_BOOTSTRAP (host:port), BENCH_NOOP_TOPIC, BENCH_NOOP_PARTITIONS, BENCH_NOOP_OUT (file),
BENCH_NOOP_APP_ID, BENCH_NOOP_DATADIR and the pipeline's [workers] values BENCH_NOOP_FETCH_WAIT_MS,
BENCH_NOOP_BATCH_MAX, BENCH_NOOP_BATCH_WITHIN_S.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import faust
import orjson

from streams.engine.app import _patch_fetch_wait
from streams.worker import KpiWorker


def rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def create_app() -> faust.App:
    env = os.environ
    app_id = env["BENCH_NOOP_APP_ID"]
    _patch_fetch_wait(int(env["BENCH_NOOP_FETCH_WAIT_MS"]))
    app = faust.App(
        app_id, broker=f"kafka://{env['BENCH_NOOP_BOOTSTRAP']}", store="memory://",
        topic_partitions=int(env["BENCH_NOOP_PARTITIONS"]), topic_allow_declare=False,
        broker_session_timeout=6, broker_heartbeat_interval=1, broker_request_timeout=30,
        consumer_auto_offset_reset="earliest", table_standby_replicas=0, web_enabled=False,
        producer_linger_ms=2, logging_config=None, datadir=env["BENCH_NOOP_DATADIR"],
    )
    topic = app.topic(env["BENCH_NOOP_TOPIC"], key_serializer="raw", value_serializer="raw")
    out = Path(env["BENCH_NOOP_OUT"])
    batch_max, within = int(env["BENCH_NOOP_BATCH_MAX"]), float(env["BENCH_NOOP_BATCH_WITHIN_S"])
    seen: dict[str, Any] = {"count": 0, "first": None, "last": None}

    async def noop(stream: Any) -> None:
        async for events in stream.take_events(batch_max, within=within):
            now = time.time()
            if seen["first"] is None:
                seen["first"] = now
            seen["count"] += len(events)
            seen["last"] = now

    app.agent(topic, name=f"noop-{app_id}")(noop)

    @app.timer(interval=0.1)
    async def report() -> None:
        tmp = out.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps({**seen, "rss_kib": rss_kib()}))
        tmp.replace(out)

    return app


def main() -> None:
    worker = KpiWorker(create_app(), loglevel="warning", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
