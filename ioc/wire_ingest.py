"""`ioc ingest <adapter> FILE...`: each file (each body of a dvcqg or ves file) posted to
`/ingest/<adapter>` of the running pipeline, as the source system would push it (wire-formats 0.1)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from connectors.adapters.base import load_json
from connectors.adapters.registry import ADAPTERS
from ioc.client import call
from ioc.config import Config

JSON_BODIES = ("dvcqg", "ves")  # a file may hold several request bodies (a JSON array or NDJSON)


def bodies(name: str, path: Path) -> Iterator[bytes]:
    data = path.read_bytes()
    if name not in JSON_BODIES:
        yield data  # one document per file
        return
    try:
        load_json(data)
        yield data  # one body (an object, or an array the endpoint reads)
    except ValueError:
        lines = [line for line in data.splitlines() if line.strip()]
        yield from (lines or [data])  # NDJSON of bodies; a bad line is the pipeline's to judge


def ingest_wire(
    config: Config, name: str, files: list[Path], url: str, token: str | None, operator: str | None,
    period: str | None = None,
) -> int:
    adapter = ADAPTERS[name]
    if adapter.needs_operator and operator not in config.adapters.context.operators:
        known = ", ".join(sorted(config.adapters.context.operators))
        print(f"error: {name} needs --operator, one of: {known}", file=sys.stderr)
        return 2
    query = f"?operator={quote(operator)}" if adapter.needs_operator and operator else ""
    if period:
        query += f"{'&' if query else '?'}period={quote(period)}"
    totals: dict[str, Any] = {
        "items": 0,
        "records": 0,
        "accepted": 0,
        "duplicate": 0,
        "dead_lettered": 0,
        "ignored": 0,
        "dead_letter_reasons": Counter(),
        "ignored_kinds": Counter(),
    }
    started = time.perf_counter()
    for path in files:
        for body in bodies(name, path):
            status, answer = _post(
                f"{url}/ingest/{name}{query}", body, token, {"X-Filename": quote(path.name)}
            )
            if status != 200:
                print(f"error: {path}: HTTP {status}: {answer.get('error', answer)}", file=sys.stderr)
                return 1
            for key in ("items", "records", "accepted", "duplicate", "dead_lettered", "ignored"):
                totals[key] += answer[key]
            totals["dead_letter_reasons"].update(answer["dead_letter_reasons"])
            totals["ignored_kinds"].update(answer["ignored_kinds"])
    print_wire(name, adapter.target, totals, time.perf_counter() - started)
    return 0


def _post(url: str, body: bytes, token: str | None, headers: dict[str, str]) -> tuple[int, Any]:
    for _ in range(30):  # 503 (broker restarting, DuckDB behind) and 429 are temporary
        status, answer = call(url, "POST", body, token, headers=headers)
        if status not in (429, 503):
            return status, answer
        time.sleep(2 if status == 503 else 0.5)
    return status, answer


def print_wire(name: str, source: str, totals: dict[str, Any], seconds: float) -> None:
    print(f"{name} -> {source}: {totals['items']} items, {totals['records']} records in {seconds:.2f} s")
    print(f"  accepted       {totals['accepted']}")
    print(f"  duplicate      {totals['duplicate']}")
    print(f"  dead-lettered  {totals['dead_lettered']}")
    for reason, n in sorted(totals["dead_letter_reasons"].items()):
        print(f"    {reason:<40} {n}")
    print(f"  ignored        {totals['ignored']}")
    for kind, n in sorted(totals["ignored_kinds"].items()):
        print(f"    {kind:<40} {n}")
