"""The fault-test summary: per fault kind, trials and KPI differences; per source, sent vs accounted."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

KINDS = ["undisturbed", "worker_sigkill", "sink_sigkill", "broker_restart", "stop_start_twice",
         "two_workers_one_killed", "generated_records"]


def render(entries: list[dict[str, Any]]) -> str:
    by_kind: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_kind[(e["kind"], e["scale"])].append(e)
    order = sorted(by_kind, key=lambda k: (KINDS.index(k[0]) if k[0] in KINDS else 99, k[1]))
    lines = [
        f"{'fault kind':<24} {'scale':<6} {'trials':>6} {'KPIs differed':>14}   per source: sent / accounted "
        "(accepted + duplicate + dead-lettered, from the answers | from ioc status)"
    ]
    for kind, scale in order:
        trials = by_kind[(kind, scale)]
        differed = sum(1 for t in trials if t.get("kpis_differ"))
        compared = kind != "generated_records"
        lines.append(f"{kind:<24} {scale:<6} {len(trials):>6} {differed if compared else '-':>14}")
        codes: dict[str, int] = defaultdict(int)
        for t in trials:
            for code, n in (t.get("codes") or {}).items():
                codes[code] += n
        if codes:
            lines.append(
                "    HTTP answers (retries included): "
                + ", ".join(
                    f"{'no connection' if code == '0' else code} x{n}" for code, n in sorted(codes.items())
                )
            )
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for t in trials:
            for source, counts in t["sources"].items():
                for k, v in counts.items():
                    totals[source][k] += v
        for source, c in totals.items():
            accounted = c["accepted"] + c["duplicate"] + c["dead_lettered"]
            ok = "ok" if c["sent"] == accounted == c["status_accounted"] else "MISMATCH"
            lines.append(
                f"    {source:<11} sent {c['sent']:>7}  accounted {accounted:>7} | {c['status_accounted']:>7}"
                f"  (accepted {c['accepted']}, duplicate {c['duplicate']}, dead-lettered "
                f"{c['dead_lettered']})  {ok}"
            )
    return "\n".join(lines)


def verdict(entries: list[dict[str, Any]]) -> list[str]:
    """What is wrong in the ledger: a trial whose KPIs differed, or records not accounted."""
    problems = []
    for e in entries:
        if e.get("kpis_differ"):
            problems.append(
                f"{e['kind']}[{e['scale']}] trial {e['trial']}: final KPIs differ from the undisturbed run"
            )
        for source, c in e["sources"].items():
            accounted = c["accepted"] + c["duplicate"] + c["dead_lettered"]
            if not c["sent"] == accounted == c["status_accounted"]:
                problems.append(
                    f"{e['kind']}[{e['scale']}] trial {e['trial']} {source}: sent {c['sent']}, "
                    f"accounted {accounted} (answers) / {c['status_accounted']} (ioc status)"
                )
    return problems
