"""How the `ioc` command prints things."""
from __future__ import annotations

import csv
import sys
from typing import Any

import orjson


def _cell(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v)


def print_rows(result: dict[str, Any], fmt: str) -> None:
    columns, rows = result["columns"], result["rows"]
    if fmt == "json":
        print(orjson.dumps([dict(zip(columns, r)) for r in rows], option=orjson.OPT_INDENT_2).decode())
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in r] for r in rows])
    else:
        cells = [[_cell(v) for v in r] for r in rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        print(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
        print("-+-".join("-" * w for w in widths))
        for r in cells:
            print(" | ".join(v.ljust(w) for v, w in zip(r, widths)))
        print(
            f"({len(rows)} row{'s' if len(rows) != 1 else ''}"
            f"{', truncated' if result.get('truncated') else ''})"
        )


def print_ingest(source: str, totals: dict[str, Any], seconds: float) -> None:
    sent = totals["accepted"] + totals["duplicate"] + totals["dead_lettered"]
    print(f"{source}: {sent} records in {seconds:.2f} s ({sent / seconds if seconds else 0:,.0f}/s)")
    print(f"  accepted       {totals['accepted']}")
    print(f"  duplicate      {totals['duplicate']}")
    print(f"  dead-lettered  {totals['dead_lettered']}")
    for reason, n in sorted(totals["dead_letter_reasons"].items()):
        print(f"    {reason:<40} {n}")


def print_status(status: dict[str, Any]) -> None:
    print(
        f"uptime {status.get('uptime_s')} s, broker {status['broker']['address']}"
        f"{' (embedded)' if status['broker']['embedded'] else ''}"
    )
    restart = status.get("restart") or {}
    if "epoch" in restart:
        start = (f"from checkpoint {restart['seeded_from']}" if restart.get("seeded_from") is not None
                 else "from the whole archive")
        republished = sum((restart.get("republished") or {}).values())
        print(f"broker epoch {restart['epoch']}, started {start} "
              f"({republished:,} archived records republished)")
    print("sources (since start):")
    for source, t in status["sources"].items():
        print(
            f"  {source:<12} received {t['received']:>8}  accepted {t['accepted']:>8}"
            f"  duplicate {t['duplicate']:>6}"
            f"  dead-lettered {t['dead_lettered']:>6}"
        )
        for reason, n in sorted(t["dead_letter_reasons"].items()):
            print(f"      {reason:<40} {n}")
    adapters = status.get("adapters") or {}
    if adapters:
        print("adapters (wire items since start):")
    for name, a in adapters.items():
        print(
            f"  {name:<12} items {a['items']:>8}  records {a['records']:>8}  accepted {a['accepted']:>8}"
            f"  duplicate {a['duplicate']:>6}  dead-lettered {a['dead_lettered']:>6}"
            f"  ignored {a['ignored']:>6}"
        )
        for reason, n in sorted(a["dead_letter_reasons"].items()):
            print(f"      {reason:<40} {n}")
        for kind, n in sorted(a["ignored_kinds"].items()):
            print(f"      ignored {kind:<32} {n}")
    sink = status.get("sink_stats") or {}
    print(f"sink: {'up' if status['sink'].get('alive') else 'DOWN'}")
    for key, value in (sink.get("written") or {}).items():
        print(f"  written {key:<20} {value}")
    for topic, lag in (sink.get("lag") or {}).items():
        print(f"  lag {topic:<30} {lag}")
    lag = status.get("consumer_lag")
    if isinstance(lag, dict):
        for group, per_topic in lag.items():
            print(f"consumer group {group}: lag " + ", ".join(f"{t} {n}" for t, n in per_topic.items()))
    else:
        print(f"consumer lag: {lag}")
    for w in status["workers"]:
        print(
            f"worker {w['name']}: {'up' if w['alive'] else 'DOWN'} (pid {w['pid']}, restarts {w['restarts']})"
        )
