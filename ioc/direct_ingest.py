"""`ioc ingest --broker HOST:PORT`: the same validation path, published straight to a broker.

For loading files where no pipeline's HTTP port is reachable. Duplicates are recognised within
the files given; across earlier deliveries the KPI workers and the DuckDB archive still count
each identity once (the first copy wins), but this command cannot tell it in its counts.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from connectors.dedup import IdentityIndex
from connectors.ingest import build_validators
from connectors.publisher import Publisher, PublishError
from connectors.registry import SOURCES
from contract.records import now_utc
from contract.settings import Settings
from contract.topics import TopicNames
from gateway.tokens import load_pseudonym_key
from ioc.view import print_ingest


def ingest_to_broker(settings: Settings, names: TopicNames, source: str, files: list[Path]) -> int:
    """`settings` name the broker to publish to (BrokerSettings.at)."""
    if source not in SOURCES:
        print(f"error: unknown source {source!r}; known: {', '.join(SOURCES)}", file=sys.stderr)
        return 2
    index = IdentityIndex()
    secret = load_pseudonym_key(settings.pseudonym_key, settings.state_dir)
    validator = build_validators(settings, index, secret, names)[source]
    publisher = Publisher(settings.broker)
    totals: dict[str, Any] = {"accepted": 0, "duplicate": 0, "dead_lettered": 0, "dead_letter_reasons": {}}
    started = time.perf_counter()
    try:
        for path in files:
            prepared = validator.prepare(path.read_bytes(), now_utc())
            publisher.publish(prepared.messages, timeout_s=120)
            index.commit(source, prepared.identities)
            result = prepared.result.as_dict()
            for key in ("accepted", "duplicate", "dead_lettered"):
                totals[key] += result[key]
            for reason, n in result["dead_letter_reasons"].items():
                totals["dead_letter_reasons"][reason] = totals["dead_letter_reasons"].get(reason, 0) + n
    except PublishError as exc:
        print(f"error: the broker did not acknowledge: {exc}", file=sys.stderr)
        return 1
    finally:
        publisher.close()
    print_ingest(source, totals, time.perf_counter() - started)
    return 0
