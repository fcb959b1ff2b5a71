"""A peer on the same work: Quix Streams computing `dvc.received` and `dvc.on_time_rate` per unit
(rolled up to the province) and local month from the pipeline's raw dvc topic, on the same broker.

Written from contract.md sections 4 and 7, not from streams/kpis/dvc.py, so that matching numbers
check both. Two Quix stages, each with its own state (RocksDB, changelog topics on the broker):
1. keyed by dossier (the raw topic's key): the dossier's distinct records (identity = status and
   `ThoiGianCapNhat` as an instant, first copy wins) and the contribution it last sent; each record
   re-derives the dossier's contribution from all its records and emits the difference as deltas
   per (unit, month);
2. `group_by` (unit, month) through a repartition topic: the running sums (received, finished,
   on time), each change sent to an output topic.

Run by tests/bench/peer.py as `python -m tests.bench.peer_quix` with the environment:
BENCH_QUIX_BOOTSTRAP (host:port), BENCH_QUIX_TOPIC (raw dvc topic), BENCH_QUIX_OUTPUT (topic),
BENCH_QUIX_GROUP (consumer group, its start offsets committed beforehand), BENCH_QUIX_GUARANTEE
(`at-least-once` or `exactly-once`: transactions), BENCH_QUIX_STATE_DIR,
BENCH_QUIX_EXPECT (records it is to process), BENCH_QUIX_CONFIG (pipeline.toml: units, time zone),
BENCH_QUIX_FETCH_WAIT_MS, BENCH_QUIX_REPORT (JSON file: progress every 0.1 s, then the result).
"""
from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
import quixstreams
from quixstreams import Application
from quixstreams.app import ProcessingGuarantee
from quixstreams.state import State

from contract.records import H_BARRIER
from contract.settings import load_settings

FINISHED = (9, 10)
SUPPLEMENT_REQUESTED, PROCESSING = 5, 4
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)

# One record as the state keeps it: [ts_us, status, unit, received_us, received_month, due_us,
# end_us, ts_month]; a dossier's contribution: [[unit, month, received, finished, on_time], ...].
Slim = list[Any]
Contribution = list[list[Any]]


def _us(text: str) -> int:
    return (datetime.fromisoformat(text) - EPOCH) // US


def _month(text: str, tz: ZoneInfo) -> str:
    return datetime.fromisoformat(text).astimezone(tz).strftime("%Y-%m")


def slim(r: dict[str, Any], tz: ZoneInfo) -> tuple[str, Slim]:
    """(identity within the dossier, the fields the two KPIs use)."""
    ts = _us(r["ThoiGianCapNhat"])
    due, end = r.get("NgayHenTra"), r.get("NgayKetThucXuLy")
    return f"{r['TrangThaiHoSo']}|{ts}", [
        ts, r["TrangThaiHoSo"], r["MaDonVi"], _us(r["NgayTiepNhan"]), _month(r["NgayTiepNhan"], tz),
        _us(due) if due else None, _us(end) if end else None, _month(r["ThoiGianCapNhat"], tz),
    ]


def finished_on_time(records: list[Slim]) -> tuple[str, bool] | None:
    """(month of the finishing record, on time) once the dossier has a status 9 or 10, else None."""
    ordered = sorted(records, key=lambda s: (s[0], s[1]))
    finishing = next((s for s in ordered if s[1] in FINISHED), None)
    if finishing is None:
        return None
    due = ordered[-1][5]                                   # the latest record's NgayHenTra
    end = finishing[6] if finishing[6] is not None else finishing[0]
    requests = sorted({s[0] for s in ordered if s[1] == SUPPLEMENT_REQUESTED})
    waited = 0
    if len(requests) == 1:
        resumed = next((s[0] for s in ordered if s[1] == PROCESSING and s[0] > requests[0]), None)
        waited = resumed - requests[0] if resumed is not None else 0
    on_time = len(requests) <= 1 and (due is None or end - waited <= due)
    return finishing[7], on_time


def contribution(records: list[Slim], province: str) -> Contribution:
    """What the dossier adds to each (unit, month): its unit and receipt from its latest record."""
    latest = max(records, key=lambda s: (s[0], s[1]))
    sums: dict[tuple[str, str], list[int]] = {}
    done = finished_on_time(records)
    for unit in (latest[2], province):
        sums.setdefault((unit, latest[4]), [0, 0, 0])[0] += 1
        if done is not None:
            row = sums.setdefault((unit, done[0]), [0, 0, 0])
            row[1] += 1
            row[2] += int(done[1])
    return [[unit, month, *v] for (unit, month), v in sorted(sums.items())]


def deltas(old: Contribution, new: Contribution) -> list[dict[str, Any]]:
    """new - old per (unit, month), the zero ones left out."""
    diff: dict[tuple[str, str], list[int]] = {}
    for sign, rows in ((-1, old), (1, new)):
        for unit, month, *values in rows:
            acc = diff.setdefault((unit, month), [0, 0, 0])
            for i, v in enumerate(values):
                acc[i] += sign * v
    return [{"unit": u, "month": m, "d": d} for (u, m), d in diff.items() if any(d)]


def apply(records: dict[str, Slim], sent: Contribution, record: dict[str, Any], tz: ZoneInfo,
          province: str) -> tuple[Contribution, list[dict[str, Any]]] | None:
    """Add one record to its dossier's `records` (in place); (the dossier's new contribution, the deltas
    to send), or None for a duplicate (its identity already there: the first copy wins)."""
    identity, rec = slim(record, tz)
    if identity in records:
        return None
    records[identity] = rec
    new = contribution(list(records.values()), province)
    return new, deltas(sent, new)


def kpi_rows(values: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], tuple[Any, Any, Any]]:
    """The sums per (unit, month) as kpi_latest rows: (kpi, unit, "month", month) -> (value, num, den);
    none where the base set is empty (contract 5)."""
    out: dict[tuple[str, str, str, str], tuple[Any, Any, Any]] = {}
    for v in values:
        if v["received"]:
            out[("dvc.received", v["unit"], "month", v["month"])] = (v["received"], None, None)
        if v["finished"]:
            out[("dvc.on_time_rate", v["unit"], "month", v["month"])] = (
                v["on_time"] / v["finished"], v["on_time"], v["finished"])
    return out


class Progress:
    """Counters the two stages share in this process; done once every expected raw record is
    processed and every delta it sent has come back through the repartition topic."""

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.raw = self.deltas_out = self.deltas_in = 0
        self.first: float | None = None
        self.last: float | None = None
        self.cpu_first: float | None = None
        self.values: dict[str, dict[str, Any]] = {}

    @property
    def done(self) -> bool:
        return self.raw >= self.expect and self.deltas_in == self.deltas_out

    def snapshot(self) -> dict[str, Any]:
        return {"raw": self.raw, "deltas_out": self.deltas_out, "deltas_in": self.deltas_in,
                "first": self.first, "last": self.last, "cpu_first": self.cpu_first}


def build(env: dict[str, str], progress: Progress) -> Application:
    """The Quix application: the per-dossier fold, then the per-(unit, month) sums."""
    units = load_settings(Path(env["BENCH_QUIX_CONFIG"])).units
    tz, province = units.timezone, units.province.code
    app = Application(
        broker_address=env["BENCH_QUIX_BOOTSTRAP"],
        consumer_group=env["BENCH_QUIX_GROUP"],
        auto_offset_reset="earliest",
        processing_guarantee=cast(ProcessingGuarantee, env["BENCH_QUIX_GUARANTEE"]),
        state_dir=env["BENCH_QUIX_STATE_DIR"],
        loglevel="WARNING",
        # Tansu answers a JoinGroup after half the session timeout (librdkafka's default 45 s:
        # 23 s); 6 s and the fetch wait are the KPI workers' own settings.
        consumer_extra_config={"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
                               "fetch.wait.max.ms": int(env["BENCH_QUIX_FETCH_WAIT_MS"])},
    )

    def finish_if_done() -> None:
        if progress.done:
            progress.last = time.time()
            app.stop()   # the final checkpoint (state, changelogs, offsets, output) follows

    def fold(record: dict[str, Any], state: State[str, Any]) -> list[dict[str, Any]]:
        if progress.first is None:
            progress.first, progress.cpu_first = time.time(), time.process_time()
        progress.raw += 1
        records: dict[str, Slim] = state.get("records", {})
        step = apply(records, state.get("sent", []), record, tz, province)
        out: list[dict[str, Any]] = []
        if step is not None:
            state.set("records", records)
            state.set("sent", step[0])
            out = step[1]
        progress.deltas_out += len(out)
        finish_if_done()
        return out

    def add(delta: dict[str, Any], state: State[str, Any]) -> dict[str, Any]:
        sums = [a + b for a, b in zip(state.get("sums", [0, 0, 0]), delta["d"])]
        state.set("sums", sums)
        value = {"unit": delta["unit"], "month": delta["month"], "received": sums[0],
                 "finished": sums[1], "on_time": sums[2]}
        progress.values[f"{delta['unit']}|{delta['month']}"] = value
        progress.deltas_in += 1
        finish_if_done()
        return value

    raw = app.topic(env["BENCH_QUIX_TOPIC"], key_deserializer="str", value_deserializer="bytes")
    output = app.topic(env["BENCH_QUIX_OUTPUT"], key_serializer="json", value_serializer="json")
    sdf = app.dataframe(raw)
    # The gateway's checkpoint markers share the raw topic (no value, a header): they are not records.
    sdf = sdf.filter(lambda value, key, timestamp, headers: not is_marker(headers), metadata=True)
    sdf = sdf.apply(orjson.loads)
    sdf = sdf.apply(fold, stateful=True, expand=True)
    sdf = sdf.group_by(lambda d: f"{d['unit']}|{d['month']}", name="unit_month")
    sdf = sdf.apply(add, stateful=True)
    sdf.to_topic(output)
    return app


def is_marker(headers: Any) -> bool:
    return any(name == H_BARRIER for name, _ in headers or ())


def _write(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps(data))
    tmp.replace(path)


def main() -> None:
    env = dict(os.environ)
    report = Path(env["BENCH_QUIX_REPORT"])
    progress = Progress(int(env["BENCH_QUIX_EXPECT"]))
    stop = threading.Event()

    def report_progress() -> None:   # a thread: Quix's loop has no timer of its own
        while not stop.wait(0.1):
            _write(report, {"version": quixstreams.__version__, **progress.snapshot()})

    threading.Thread(target=report_progress, daemon=True).start()
    app = build(env, progress)
    app.run()
    committed, cpu = time.time(), time.process_time()
    stop.set()
    _write(report, {"version": quixstreams.__version__, **progress.snapshot(), "committed": committed,
                    "cpu_s": cpu, "complete": progress.done, "values": list(progress.values.values())})


if __name__ == "__main__":
    main()
