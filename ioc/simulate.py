"""`ioc simulate`: realistic records of every source, sent to a running pipeline (or to a demo
pipeline started beside it: `make demo`), or written to files."""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from contract.settings import Settings
from gateway.tokens import read_token
from simulator.clock import DAY, SimClock
from simulator.run import GENERATORS, TARGET_RATE, Driver, Plan, dump, plan_from
from simulator.sender import Sender


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed", type=int, help="same seed and start: the same records (default: random, printed)"
    )
    p.add_argument(
        "--speed",
        type=float,
        help="simulated seconds per real second until the clock reaches now "
        f"(default: as fast as keeps ~{TARGET_RATE:.0f} records/s)",
    )
    p.add_argument(
        "--start",
        help="simulated start, ISO-8601, or `today` (local midnight) (default: 3 days ago, on the hour)",
    )
    p.add_argument(
        "--rate-scale", type=float, default=1.0, help="multiplies dossiers, documents, eID events, alarms"
    )
    p.add_argument("--duration", type=float, help="stop after this many real seconds (default: until Ctrl-C)")
    p.add_argument("--sources", default=",".join(GENERATORS), help="comma-separated subset of %(default)s")
    p.add_argument(
        "--sites", type=int, default=2100, help="base stations; each sends 96 counter records a day"
    )
    p.add_argument("--bad-fraction", type=float, default=0.0, help="share of extra, deliberately bad records")
    p.add_argument("--url", help="pipeline URL (default: from the configuration)")
    p.add_argument(
        "--wire",
        action="store_true",
        help="send through the adapters in the source systems' own formats (DVCQG, edXML, measCollec, VES)",
    )
    p.add_argument(
        "--with-pipeline",
        action="store_true",
        help="also start a demo pipeline on its own state and ports (what `make demo` runs)",
    )
    p.add_argument(
        "--demo-dir", type=Path, help="state of --with-pipeline (default: var/demo; reset at each start)"
    )
    p.add_argument("--dump", type=Path, metavar="DIR", help="write <source>.ndjson files instead of sending")
    p.add_argument("--sim-hours", type=float, default=24.0, help="with --dump: simulated hours to write")


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
            from ioc.demo import DemoPipeline

            pipeline = DemoPipeline(settings, args.demo_dir)
            demo = pipeline.start(stop)
            if demo is None:
                return 1
            settings = demo
        _announce(plan, args.url or settings.http_url)
        if not args.with_pipeline and not args.url:
            print(
                f"  note: the records are stored like real ones, in {settings.duckdb_path}; "
                "`make demo` keeps simulated data apart",
                flush=True,
            )
        tokens = {s: read_token(settings.tokens, s, settings.state_dir) for s in plan.sources}
        sender = Sender(args.url or settings.http_url, tokens, stop=stop)
        if args.wire:
            sender = _wire_sender(settings, args.url or settings.http_url, tokens, plan, stop)
        Driver(plan, sender, SimClock(plan.world.start, plan.speed)).run(stop)
        _summary(sender)
    finally:
        if pipeline is not None:
            pipeline.stop()
    return 0


def _wire_sender(
    settings: Settings, url: str, tokens: dict[str, str | None], plan: Plan, stop: threading.Event
) -> Sender:
    """The formats' channels, with the adapters' tokens and the province's organ codes (the first one
    of each unit; `make demo` fills illustrative ones in its own copy)."""
    from connectors.adapters.configuration import load_adapters
    from connectors.adapters.registry import ADAPTERS
    from simulator.wire import WireSender

    context = load_adapters(settings, []).context
    organs: dict[str, str] = {}
    for organ_id, unit in context.organs.by_id.items():
        organs.setdefault(unit, organ_id)
    every = {**tokens, **{a: read_token(settings.tokens, a, settings.state_dir) for a in ADAPTERS}}
    return WireSender(url, every, settings.units.timezone, organs, plan.world.seed,
                      operators=frozenset(context.operators), stop=stop)


def _announce(plan: Plan, url: str) -> None:
    w = plan.world
    per_day = {s: GENERATORS[s].records_per_day(w) for s in plan.sources}
    start = w.calendar.local(w.start).isoformat()
    print(
        f"simulating {', '.join(plan.sources)} -> {url}\n"
        f"  seed {w.seed}, start {start} (reproduce: --seed {w.seed} --start {start}), "
        f"{w.sites} sites, rate scale {w.rate_scale:g}, bad fraction {plan.bad_fraction:g}\n"
        f"  {plan.speed:.0f} simulated s per real s until the clock reaches now, then 1x; about "
        f"{sum(per_day.values()) * plan.speed / DAY:.0f} records/s meanwhile ("
        + ", ".join(f"{s} {n * plan.speed / DAY:.1f}" for s, n in per_day.items())
        + ")\n"
        "  every 5 s, per source: sent/accepted/dead-lettered",
        flush=True,
    )


def _summary(sender: Sender) -> None:
    for name, t in sender.tally.items():
        reasons = ", ".join(f"{r} {n}" for r, n in t.reasons.most_common()) or "none"
        print(
            f"{name}: generated {t.generated}, sent {t.sent}, accepted {t.accepted}, "
            f"duplicate {t.duplicate}, " + (f"ignored {t.ignored}, " if t.ignored else "") +
            f"dead-lettered {t.dead_lettered} ({reasons})" + (f", not delivered {t.lost}" if t.lost else "")
        )
