"""While a backlog lasts, the fold and combine stages send one update per key, not one per batch
(streams/engine/stage.py `flush_due`); caught up, each batch goes out at once. The combine's own
input is a trickle of reports, so it coalesces on what the fold says: a report sent while the fold
had more input waiting carries a `behind` header (streams/engine/partials.py)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson

from contract.settings import load_settings
from contract.topology import Topology
from ioc.config import load_config
from streams.engine import partials
from streams.engine.combine_stage import CombineStage
from streams.engine.fold_stage import FoldStage
from streams.engine.messages import Msg
from streams.kpis.registry import KPIS
from tests import dvc_dataset as ds

UNITS = load_settings().units
TOPOLOGY = Topology(load_config().topology.flows, 1, None)
RECORDS = [orjson.dumps(r) for r in ds.PHASE1 + ds.PHASE2]
BATCH = 4


class EmptyLog:
    async def read(self, topic: str, partition: int, start: int = 0) -> AsyncIterator[list[Msg]]:
        yield []


class Topics:
    """The stages' outbox: every message put, per topic, numbered as the broker would."""

    def __init__(self) -> None:
        self.sent: dict[str, list[Msg]] = {}

    async def put(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                  headers: Any) -> None:
        log = self.sent.setdefault(topic, [])
        log.append(Msg(partition or 0, len(log), key, value, headers))

    async def deliver(self) -> None:
        pass


def run(fold_behind: bool) -> tuple[list[Msg], list[Msg], list[Msg]]:
    """The records through a fold (flushing every batch) whose input is behind until the last
    batch when `fold_behind`, then its reports one by one through a combine. Returns the fold's
    reports, the KPI updates the combine sent for the fold's first two messages (its state when it
    took the partition, before any record, and the mark that it is ready) and those it sent after."""
    topics = Topics()
    kpis = KPIS["dvc"]
    fold = FoldStage(kpis, UNITS, TOPOLOGY, EmptyLog(), lambda: {0}, topics, 3600.0, None, coalesce_s=1e-9)  # type: ignore[arg-type]
    combine = CombineStage(kpis, UNITS, TOPOLOGY, EmptyLog(), lambda: {0}, topics, coalesce_s=3600.0)  # type: ignore[arg-type]
    warm_up: list[Msg] = []
    raw = [Msg(0, offset, None, value, []) for offset, value in enumerate(RECORDS)]

    async def go() -> None:
        for start in range(0, len(raw), BATCH):
            more = fold_behind and start + BATCH < len(raw)
            await fold.handle(raw[start : start + BATCH], behind={0} if more else ())
        taken, rest = topics.sent[fold.out][:2], topics.sent[fold.out][2:]
        await combine.handle(taken)
        warm_up.extend(topics.sent.pop(combine.out, []))
        for report in rest:
            await combine.handle([report])   # a trickle: the combine's own input never looks behind

    asyncio.run(go())
    return topics.sent[fold.out], warm_up, topics.sent[combine.out]


def latest(updates: list[Msg]) -> dict[bytes | None, bytes | None]:
    return {u.key: orjson.loads(u.value or b"{}").get("value") for u in updates}


def test_the_combine_sends_each_key_once_while_the_fold_is_behind() -> None:
    reports, _, updates = run(fold_behind=True)
    assert sum(partials.is_behind(r.headers) for r in reports) >= len(RECORDS) // BATCH - 1
    assert not partials.is_behind(reports[-1].headers)   # the last batch caught up
    assert len(updates) == len(latest(updates)), "a key was sent twice during the backlog"


def test_caught_up_every_report_goes_out_and_the_values_are_the_same() -> None:
    reports, warm_up, updates = run(fold_behind=False)
    _, coalesced_warm_up, coalesced = run(fold_behind=True)
    assert not any(partials.is_behind(r.headers) for r in reports)
    assert len(updates) > len(latest(updates))   # a key changed by several batches went out each time
    assert latest(warm_up + updates) == latest(coalesced_warm_up + coalesced)
