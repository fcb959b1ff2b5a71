"""The pieces of `make bench-history`: sending a simulated history through the pipeline's HTTP port,
sampling every process's memory, and the largest message each kind of topic holds."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from contract.settings import load_settings
from simulator.run import GENERATORS
from simulator.sender import Sender
from simulator.world import World
from tests.bench.common import SIM_SEED, children, log
from tests.harness import Pipeline, run_async

DAY = 86_400.0


def send_history(p: Pipeline, days: int, sites: int) -> int:
    """Every source's records of the `days` before now, a simulated day at a time, through POST
    /ingest/<source> in batches of 2,000 (the simulator's sender: it retries 503s and 429s)."""
    settings = load_settings(p.config)
    now = time.time()
    world = World(SIM_SEED, now - days * DAY, settings.units, 1.0, sites)
    generators = [generate(world) for generate in GENERATORS.values()]
    sender = Sender(p.url, {g.name: p.token(g.name) for g in generators}, batch_max=2000, say=log)
    sent = 0
    for day in range(1, days + 1):
        until = min(world.start + day * DAY, now)
        for gen in generators:
            records = gen.advance(until)
            sender.add(gen.name, [orjson.dumps(r) for r in records])
            sent += len(records)
        sender.pump(force=True)
        if day % max(1, days // 10) == 0:
            log(f"  day {day}/{days}: {sent:,} records sent")
    lost = sum(t.lost for t in sender.tally.values())
    assert lost == 0, f"{lost} records not delivered"
    return sent


class RssSampler:
    """The resident memory of every process of a pipeline, every half second, by role."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, dict[str, int]]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, p: Pipeline) -> None:
        assert p.proc is not None
        root = p.proc.pid
        self._thread = threading.Thread(target=self._run, args=(root,), daemon=True)
        self._thread.start()

    def _run(self, root: int) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), _rss_by_role(root)))
            self._stop.wait(0.5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def peaks(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, sample in self.samples:
            for role, mib in sample.items():
                out[role] = max(out.get(role, 0), mib)
        return out

    def peak_mib(self) -> int:
        return max(self.peaks().values(), default=0)

    def peaks_line(self) -> str:
        return ", ".join(f"{role} {mib:,}" for role, mib in sorted(self.peaks().items()))

    def at(self, fraction: float) -> dict[str, int]:
        """The sample at this fraction of the run (0: the first, 1: the last)."""
        if not self.samples:
            return {}
        return self.samples[min(len(self.samples) - 1, int(fraction * (len(self.samples) - 1)))][1]


def _rss_by_role(root: int) -> dict[str, int]:
    out = {"supervisor": _rss(root)}
    for pid in children(root):
        cmd = _cmdline(pid)
        role = ("broker" if "tansu" in cmd else "sink" if cmd.endswith(" sink") else
                "workers" if " worker" in cmd else "other")
        out[role] = out.get(role, 0) + _rss(pid)   # several workers: their sum
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def uptime_line(days: int, sampler: RssSampler) -> str:
    start, middle, end = (sampler.at(f) for f in (0.05, 0.5, 1.0))
    roles = ("supervisor", "broker", "sink", "workers")
    parts = ", ".join(f"{r} {start.get(r, 0)}/{middle.get(r, 0)}/{end.get(r, 0)}" for r in roles)
    return f"history: uptime {days} simulated days pushed live: RSS MiB at the start / middle / end: {parts}"


def largest_messages(p: Pipeline) -> dict[str, int]:
    """The largest message (key, value and headers) of each kind of topic the broker holds now."""
    address = p.status()["broker"]["address"]
    return run_async(lambda: _scan(address))


async def _scan(address: str) -> dict[str, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=address, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=50, max_partition_fetch_bytes=16 << 20)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, q) for t in await consumer.topics() if t.startswith("ioc.")
                      for q in consumer.partitions_for_topic(t) or []]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        largest: dict[str, int] = {}
        empty = 0
        while empty < 3:
            batches = await consumer.getmany(timeout_ms=200, max_records=50_000)
            empty = 0 if batches else empty + 1
            for tp, records in batches.items():
                parts = tp.topic.split(".")
                kind = parts[2] if tp.topic.startswith("ioc.internal.") else parts[1]
                size = max(
                    len(r.key or b"") + len(r.value or b"") + sum(len(k) + len(v) for k, v in r.headers)
                    for r in records
                )
                largest[kind] = max(largest.get(kind, 0), size)
        return largest
    finally:
        await consumer.stop()
