"""`ioc simulate`: drive the generators on the simulated clock and send what they produce."""
from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from ioc.settings import Settings
from ioc.simulator.base import Record, Source
from ioc.simulator.clock import DAY, HOUR, SimClock, floor_boundary
from ioc.simulator.dvc import DvcSource
from ioc.simulator.eoffice import EofficeSource
from ioc.simulator.faults import Faults
from ioc.simulator.population import PopulationSource
from ioc.simulator.sender import Sender
from ioc.simulator.telecom import TelecomSource
from ioc.simulator.world import World
from ioc.tokens import read_token

GENERATORS: dict[str, type[Source]] = {g.name: g for g in (DvcSource, EofficeSource, PopulationSource, TelecomSource)}
TARGET_RATE = 450.0       # records per real second aimed at when --speed is not given
MAX_AUTO_SPEED = 1440.0   # a simulated day per real minute at most
BACKFILL = 3 * DAY        # default start: this long before now, so several days of KPIs fill


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, help="same seed and start: the same records (default: random, printed)")
    p.add_argument("--speed", type=float, help="simulated seconds per real second until the clock reaches now "
                                               f"(default: as fast as keeps ~{TARGET_RATE:.0f} records/s)")
    p.add_argument("--start", help="simulated start, ISO-8601 (default: 3 days ago, on the hour)")
    p.add_argument("--rate-scale", type=float, default=1.0, help="multiplies dossiers, documents, eID events, alarms")
    p.add_argument("--duration", type=float, help="stop after this many real seconds (default: until Ctrl-C)")
    p.add_argument("--sources", default=",".join(GENERATORS), help="comma-separated subset of %(default)s")
    p.add_argument("--sites", type=int, default=2100, help="base stations; each sends 96 counter records a day")
    p.add_argument("--bad-fraction", type=float, default=0.0, help="share of extra, deliberately bad records")
    p.add_argument("--url", help="pipeline URL (default: from the configuration)")
    p.add_argument("--with-pipeline", action="store_true",
                   help="also start a demo pipeline on its own state and ports (what `make demo` runs)")
    p.add_argument("--demo-dir", type=Path, help="state of --with-pipeline (default: var/demo; reset at each start)")
    p.add_argument("--dump", type=Path, metavar="DIR", help="write <source>.ndjson files instead of sending")
    p.add_argument("--sim-hours", type=float, default=24.0, help="with --dump: simulated hours to write")


@dataclass(frozen=True)
class Plan:
    world: World
    sources: tuple[str, ...]
    speed: float
    duration: float | None
    bad_fraction: float


def plan_from(args: argparse.Namespace, settings: Settings, now: float | None = None) -> Plan:
    """Check the options and settle the defaults (seed, start, speed); ValueError says what is wrong."""
    now = time.time() if now is None else now
    sources = tuple(s.strip() for s in args.sources.split(",") if s.strip())
    unknown = [s for s in sources if s not in GENERATORS]
    if unknown or not sources:
        raise ValueError(f"--sources: unknown {', '.join(unknown) or '(none given)'}; known: {', '.join(GENERATORS)}")
    if args.rate_scale <= 0 or args.sites < 1 or not 0 <= args.bad_fraction <= 1:
        raise ValueError("--rate-scale must be > 0, --sites >= 1, --bad-fraction within 0..1")
    start = _start(args.start, settings, now)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    world = World(seed, start, settings.units, args.rate_scale, args.sites)
    per_day = sum(GENERATORS[s].records_per_day(world) for s in sources)
    speed = args.speed if args.speed is not None else max(1.0, min(MAX_AUTO_SPEED, TARGET_RATE * DAY / per_day))
    if speed <= 0:
        raise ValueError("--speed must be > 0")
    return Plan(world, sources, speed, args.duration, args.bad_fraction)


def _start(text: str | None, settings: Settings, now: float) -> float:
    if text is None:
        return floor_boundary(now - BACKFILL, HOUR)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"--start {text!r}: not an ISO-8601 time") from exc
    start = (parsed if parsed.tzinfo else parsed.replace(tzinfo=settings.units.timezone)).timestamp()
    if start > now:
        raise ValueError("--start is in the future: the simulated clock never runs ahead of real time")
    return start


def build(plan: Plan) -> list[Source]:
    return [GENERATORS[name](plan.world) for name in plan.sources]


def generate(world: World, sources: tuple[str, ...], until: float) -> dict[str, list[Record]]:
    """Every record up to `until` simulated time, per source, in delivery order (tests, --dump)."""
    return {g.name: g.advance(until) for g in (GENERATORS[s](world) for s in sources)}


class Driver:
    """Advances every generator to the clock's time, hands the records to the sender, reports."""

    def __init__(self, plan: Plan, sender: Sender, clock: SimClock, say: Callable[[str], None] = print,
                 report_s: float = 5.0) -> None:
        self.plan, self.sender, self.clock, self.say, self.report_s = plan, sender, clock, say, report_s
        self.generators = build(plan)
        self.faults = Faults(plan.world, plan.bad_fraction)
        self.cal = plan.world.calendar
        self.started = self.last_report = time.monotonic()
        self.last_sent = 0

    def step(self) -> None:
        now = self.clock.now()
        for gen in self.generators:
            self.sender.add(gen.name, self.faults.lines(gen.name, gen.advance(now)))
            for note in gen.notes:
                self.say(f"  {gen.name}: {note}")
            gen.notes.clear()
        self.sender.pump()
        if time.monotonic() - self.last_report >= self.report_s:
            self.report(now)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.step()
            if self.plan.duration is not None and time.monotonic() - self.started >= self.plan.duration:
                break
            stop.wait(0.1)
        self.sender.pump(force=True)   # after Ctrl-C only one attempt: the pipeline may be stopping
        self.report(self.clock.now())

    def report(self, now: float) -> None:
        elapsed = time.monotonic() - self.last_report
        sent = sum(t.sent for t in self.sender.tally.values())
        rate = (sent - self.last_sent) / elapsed if elapsed > 0 else 0.0
        self.last_report, self.last_sent = time.monotonic(), sent
        behind = time.time() - now
        pace = "live (1x)" if self.clock.live() else f"{self.plan.speed:.0f}x, {behind / DAY:.1f} d behind"
        parts = [f"{name} {t.sent}/{t.accepted}/{t.dead_lettered}" + (" (off)" if t.off else "")
                 for name, t in self.sender.tally.items()]
        queued = self.sender.pending()
        self.say(f"[sim {self.cal.local(now):%Y-%m-%d %H:%M} {pace}] {rate:.0f} rec/s  " + "  ".join(parts)
                 + (f"  queued {queued}" if queued else ""))


def main(settings: Settings, args: argparse.Namespace) -> int:
    try:
        plan = plan_from(args, settings)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dump:
        return dump(plan, args.dump, args.sim_hours)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pipeline = None
    try:
        if args.with_pipeline:
            from ioc.simulator.demo import DemoPipeline
            pipeline = DemoPipeline(settings, args.demo_dir)
            demo = pipeline.start(stop)
            if demo is None:
                return 1
            settings = demo
        _announce(plan, args.url or settings.http_url)
        if not args.with_pipeline and not args.url:
            print(f"  note: the records are stored like real ones, in {settings.duckdb_path}; "
                  "`make demo` keeps simulated data apart", flush=True)
        tokens = {s: read_token(settings.tokens, s, settings.state_dir) for s in plan.sources}
        sender = Sender(args.url or settings.http_url, tokens, stop=stop)
        Driver(plan, sender, SimClock(plan.world.start, plan.speed)).run(stop)
        _summary(sender)
    finally:
        if pipeline is not None:
            pipeline.stop()
    return 0


def _announce(plan: Plan, url: str) -> None:
    w = plan.world
    per_day = {s: GENERATORS[s].records_per_day(w) for s in plan.sources}
    start = w.calendar.local(w.start).isoformat()
    print(f"simulating {', '.join(plan.sources)} -> {url}\n"
          f"  seed {w.seed}, start {start} (reproduce: --seed {w.seed} --start {start}), "
          f"{w.sites} sites, rate scale {w.rate_scale:g}, bad fraction {plan.bad_fraction:g}\n"
          f"  {plan.speed:.0f} simulated s per real s until the clock reaches now, then 1x; about "
          f"{sum(per_day.values()) * plan.speed / DAY:.0f} records/s meanwhile ("
          + ", ".join(f"{s} {n * plan.speed / DAY:.1f}" for s, n in per_day.items()) + ")\n"
          "  every 5 s, per source: sent/accepted/dead-lettered", flush=True)


def _summary(sender: Sender) -> None:
    for name, t in sender.tally.items():
        reasons = ", ".join(f"{r} {n}" for r, n in t.reasons.most_common()) or "none"
        print(f"{name}: generated {t.generated}, sent {t.sent}, accepted {t.accepted}, duplicate {t.duplicate}, "
              f"dead-lettered {t.dead_lettered} ({reasons})" + (f", not delivered {t.lost}" if t.lost else ""))


def dump(plan: Plan, folder: Path, sim_hours: float) -> int:
    until = min(plan.world.start + sim_hours * HOUR, time.time())
    folder.mkdir(parents=True, exist_ok=True)
    faults = Faults(plan.world, plan.bad_fraction)
    for name, records in generate(plan.world, plan.sources, until).items():
        lines = faults.lines(name, records)
        (folder / f"{name}.ndjson").write_bytes(b"\n".join(lines) + b"\n" if lines else b"")
        print(f"{folder / f'{name}.ndjson'}: {len(lines)} records")
    return 0
