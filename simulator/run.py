"""`ioc simulate`: drive the generators on the simulated clock and send what they produce."""
from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contract.settings import Settings
from simulator.base import Record, Source
from simulator.clock import DAY, HOUR, SimClock, floor_boundary
from simulator.dvc import DvcSource
from simulator.eoffice import EofficeSource
from simulator.faults import Faults
from simulator.population import PopulationSource
from simulator.sender import Sender
from simulator.telecom import TelecomSource
from simulator.world import World

GENERATORS: dict[str, type[Source]] = {
    g.name: g for g in (DvcSource, EofficeSource, PopulationSource, TelecomSource)
}
TARGET_RATE = 450.0  # records per real second aimed at when --speed is not given
MAX_AUTO_SPEED = 1440.0  # a simulated day per real minute at most
BACKFILL = 3 * DAY  # default start: this long before now, so several days of KPIs fill


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
        raise ValueError(
            f"--sources: unknown {', '.join(unknown) or '(none given)'}; known: {', '.join(GENERATORS)}"
        )
    if args.rate_scale <= 0 or args.sites < 1 or not 0 <= args.bad_fraction <= 1:
        raise ValueError("--rate-scale must be > 0, --sites >= 1, --bad-fraction within 0..1")
    start = _start(args.start, settings, now)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    world = World(seed, start, settings.units, args.rate_scale, args.sites)
    per_day = sum(GENERATORS[s].records_per_day(world) for s in sources)
    speed = (
        args.speed if args.speed is not None else max(1.0, min(MAX_AUTO_SPEED, TARGET_RATE * DAY / per_day))
    )
    if speed <= 0:
        raise ValueError("--speed must be > 0")
    return Plan(world, sources, speed, args.duration, args.bad_fraction)


def _start(text: str | None, settings: Settings, now: float) -> float:
    if text is None:
        return floor_boundary(now - BACKFILL, HOUR)
    if text == "today":   # local midnight: today's figures fill first (make demo)
        midnight = datetime.fromtimestamp(now, settings.units.timezone).replace(hour=0, minute=0, second=0,
                                                                                microsecond=0)
        return midnight.timestamp()
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

    def __init__(
        self,
        plan: Plan,
        sender: Sender,
        clock: SimClock,
        say: Callable[[str], None] = print,
        report_s: float = 5.0,
    ) -> None:
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
        self.sender.pump(force=True)  # after Ctrl-C only one attempt: the pipeline may be stopping
        self.report(self.clock.now())

    def report(self, now: float) -> None:
        elapsed = time.monotonic() - self.last_report
        sent = sum(t.sent for t in self.sender.tally.values())
        rate = (sent - self.last_sent) / elapsed if elapsed > 0 else 0.0
        self.last_report, self.last_sent = time.monotonic(), sent
        behind = time.time() - now
        pace = "live (1x)" if self.clock.live() else f"{self.plan.speed:.0f}x, {behind / DAY:.1f} d behind"
        parts = [
            f"{name} {t.sent}/{t.accepted}/{t.dead_lettered}" + (" (off)" if t.off else "")
            for name, t in self.sender.tally.items()
        ]
        queued = self.sender.pending()
        self.say(
            f"[sim {self.cal.local(now):%Y-%m-%d %H:%M} {pace}] {rate:.0f} rec/s  "
            + "  ".join(parts)
            + (f"  queued {queued}" if queued else "")
        )


def dump(plan: Plan, folder: Path, sim_hours: float) -> int:
    until = min(plan.world.start + sim_hours * HOUR, time.time())
    folder.mkdir(parents=True, exist_ok=True)
    faults = Faults(plan.world, plan.bad_fraction)
    for name, records in generate(plan.world, plan.sources, until).items():
        lines = faults.lines(name, records)
        (folder / f"{name}.ndjson").write_bytes(b"\n".join(lines) + b"\n" if lines else b"")
        print(f"{folder / f'{name}.ndjson'}: {len(lines)} records")
    return 0
