"""The conformance suite: every test below runs for each adapter (a kit in kits.py)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.adapters.base import Context
from connectors.adapters.configuration import AdapterConfig
from connectors.adapters.organs import Organs
from connectors.adapters.registry import ADAPTERS
from connectors.dedup import Identity, IdentityIndex
from connectors.ingest import Prepared
from connectors.publisher import PublishError
from contract.records import H_ID, header, now_utc
from gateway.inbox import Inbox
from tests.conformance.kits import KITS, NAMES, Composition, Kit
from tests.wire_kit import context, counts, dead_letters, expected, raw_records, run, validator

# 12 digits in a row, not inside a word: a dead letter's id is 32 hex characters, and one in 13 holds
# 12 decimal digits in a row between letters, which is no personal id.
OUTSIDE_A_WORD = re.compile(rb"(?<![0-9A-Za-z])[0-9]{12}(?![0-9A-Za-z])")

pytestmark = pytest.mark.parametrize("kit", list(KITS.values()), ids=list(KITS))


def ctx_for(kit: Kit) -> Context:
    base = context()
    return replace(
        base,
        organs=Organs(
            {**base.organs.by_id, **{o: u for u, o in kit.organs.items()}}, dict(base.organs.by_name)
        ),
    )


def run_all(kit: Kit, bodies: list[bytes], index: IdentityIndex | None = None) -> list[Prepared]:
    index = index or IdentityIndex()
    return [run(kit.name, b, kit.meta, index=index, ctx=ctx_for(kit)) for b in bodies]


def total(prepared: list[Prepared]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "items": 0,
        "records": 0,
        "accepted": 0,
        "duplicate": 0,
        "dead_lettered": 0,
        "ignored": 0,
        "item_dead": 0,
        "mapped": 0,
    }
    for p in prepared:
        c = counts(p)
        for k in ("items", "records", "accepted", "duplicate", "dead_lettered", "ignored"):
            out[k] += c[k]
        assert p.adapter is not None
        out["item_dead"] += sum(p.adapter.item_dead.values())
        out["mapped"] += p.adapter.mapped
    return out


def test_worked_example(kit: Kit) -> None:
    prepared = run(kit.name, kit.example, kit.meta)
    c = counts(prepared)
    assert {k: c[k] for k in kit.example_counts} == kit.example_counts
    assert all(r in raw_records(prepared) for r in expected(kit.expected))


def test_duplicates(kit: Kit) -> None:
    index = IdentityIndex()
    first = counts(run(kit.name, kit.example, kit.meta, index=index))
    again = counts(run(kit.name, kit.example, kit.meta, index=index))
    assert (again["accepted"], again["duplicate"]) == (0, first["accepted"])
    assert again["dead_letter_reasons"] == first["dead_letter_reasons"]  # dead letters are never deduplicated


def test_limits(kit: Kit) -> None:
    """A JSON item over max_record_bytes, or an XML document over max_document_bytes: too_large."""
    prepared = run(kit.name, kit.too_large, kit.meta)
    c = counts(prepared)
    assert c["dead_letter_reasons"].get("too_large") == 1
    for letter in dead_letters(prepared):
        assert len(letter["record"]) < 200_000  # the reduced item, or the first 64 KiB


def test_hostile_input(kit: Kit) -> None:
    prepared = run(kit.name, kit.hostile, kit.meta)
    c = counts(prepared)
    assert (c["items"], c["records"], c["dead_letter_reasons"]) == (1, 0, {"unparseable": 1})
    assert len(prepared.messages) == 1


@pytest.mark.parametrize(
    "composition",
    [
        Composition(1, 0, 0),
        Composition(0, 1, 0),
        Composition(0, 0, 1),
        Composition(7, 3, 2),
        Composition(40, 0, 5),
    ],
)
def test_every_item_accounted(kit: Kit, composition: Composition) -> None:
    prepared = run_all(kit, kit.write(composition, 3))
    t = total(prepared)
    assert t["items"] == composition.items == t["mapped"] + t["item_dead"] + t["ignored"]
    assert t["item_dead"] == composition.bad and t["ignored"] == composition.ignored
    assert t["mapped"] == composition.good
    assert t["records"] == t["accepted"] + t["duplicate"] + (t["dead_lettered"] - t["item_dead"])
    messages = b"".join(m.value for p in prepared for m in p.messages)
    assert not any(name.encode() in messages for name in NAMES)
    assert not OUTSIDE_A_WORD.search(messages)


def test_no_state_between_documents(kit: Kit) -> None:
    """A record depends only on its document: any order gives the same records (0.2)."""
    a, b = kit.write(Composition(5, 1, 1), 11), kit.write(Composition(5, 1, 1), 12)
    forward = run_all(kit, a + b)
    backward = run_all(kit, b + a)
    def records(prepared: list[Prepared]) -> list[bytes]:
        return sorted(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for p in prepared for r in raw_records(p))

    assert records(forward) == records(backward)
    items = list(ADAPTERS[kit.name].read(a[0], kit.meta, ctx_for(kit)))
    assert items == list(ADAPTERS[kit.name].read(a[0], kit.meta, ctx_for(kit)))


# -- the inbox, restarted in the middle of a file ------------------------------------------------


class Archive:
    """What DuckDB would hold: a raw row per identity, a dead-letter row per id."""

    def __init__(self) -> None:
        self.raw: dict[bytes, bytes] = {}
        self.dead: dict[bytes, bytes] = {}
        self.identities: list[Identity] = []   # what the gateway's index is loaded with at start

    def take(self, prepared: Prepared) -> None:
        self.identities += prepared.identities
        for m in prepared.messages:
            key = header(m.headers, H_ID)
            assert key is not None
            (self.raw if ".raw." in m.topic else self.dead).setdefault(key, m.value)


class FakeRoutes:
    """The gateway's publish path without a broker: `fail_after` batches, then the process "dies"
    (before publishing, or just after: `published_then_dies`)."""

    def __init__(
        self,
        name: str,
        ctx: Context,
        archive: Archive,
        index: IdentityIndex,
        fail_after: int | None,
        published_then_dies: bool = False,
    ) -> None:
        self.archive, self.index, self.fail_after = archive, index, fail_after
        self.published_then_dies = published_then_dies
        self.batches = 0
        self.counted: list[Prepared] = []
        self.gateway = type("G", (), {"validators": {ADAPTERS[name].target: validator(name, index)}})()

    async def publish(self, name: str, prepare: Any, count: bool = True) -> Prepared:
        if self.fail_after is not None and self.batches >= self.fail_after and not self.published_then_dies:
            raise PublishError("the process died", [])
        prepared: Prepared = prepare(now_utc())   # the gateway gives its arrival clock's time
        self.archive.take(prepared)
        self.index.commit(ADAPTERS[name].target, prepared.identities)
        self.batches += 1
        if self.fail_after is not None and self.batches > self.fail_after and self.published_then_dies:
            raise PublishError(
                "the process died after the broker took the batch", [True] * len(prepared.messages)
            )
        if count:
            self.counted.append(prepared)
        return prepared


def inbox_run(
    kit: Kit, folder: Path, archive: Archive, fail_after: int | None, then_dies: bool = False
) -> bool:
    """One `ioc run` of the inbox over `folder`; False when it died in the middle of the file."""
    index = IdentityIndex()
    target = ADAPTERS[kit.name].target
    index.load(target, archive.identities)  # restored from DuckDB at start
    config = AdapterConfig(ctx_for(kit), inboxes={kit.name: folder}, inbox_batch_items=2)
    routes = FakeRoutes(kit.name, config.context, archive, index, fail_after, then_dies)
    inbox = Inbox(routes.publish, routes.gateway.validators, config)
    (folder / ".progress").mkdir(exist_ok=True)
    for sub in ("done", "failed"):
        (folder / sub).mkdir(exist_ok=True)
    operator = kit.meta.operator
    try:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            asyncio.run(inbox.ingest_file(kit.name, path, operator))
    except PublishError:
        return False
    return True


@pytest.mark.parametrize("then_dies", [False, True], ids=["dies-before-publishing", "dies-after-publishing"])
def test_inbox_restart_mid_file(kit: Kit, tmp_path: Path, then_dies: bool) -> None:
    bodies = kit.write(Composition(9, 3, 2), 21)
    reference = Archive()
    for prepared in run_all(kit, bodies):
        reference.take(prepared)
    clean_dead = len([1 for p in run_all(kit, bodies) for m in p.messages if ".dlq." in m.topic])
    folder = tmp_path / "inbox"
    folder.mkdir()
    for i, body in enumerate(bodies):
        (folder / f"{i:03d}{ADAPTERS[kit.name].file_suffixes[0]}").write_bytes(body)
    archive = Archive()
    died = not inbox_run(kit, folder, archive, fail_after=2, then_dies=then_dies)
    assert died or kit.name == "edxml"
    assert inbox_run(kit, folder, archive, fail_after=None)
    assert sorted(archive.raw) == sorted(reference.raw)  # nothing lost, nothing twice
    assert len(archive.dead) == clean_dead  # every bad item dead-lettered once
    done = sorted((folder / "done").glob("*.result.json"))
    assert len(done) == len(bodies) and not list((folder / ".progress").iterdir())
    results = [orjson.loads(p.read_bytes()) for p in done]
    assert sum(r["items"] for r in results) == Composition(9, 3, 2).items
    if not then_dies:  # published steps are counted once, from the progress kept
        assert sum(r["accepted"] for r in results) == len(reference.raw)


def test_inbox_moves_a_broken_file_to_failed(kit: Kit, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / f"broken{ADAPTERS[kit.name].file_suffixes[0]}").write_bytes(kit.hostile)
    archive = Archive()
    assert inbox_run(kit, folder, archive, fail_after=None)
    reasons = list((folder / "failed").glob("*.reason"))
    assert len(reasons) == 1 and reasons[0].read_text().startswith("unparseable")
    assert len(archive.dead) == 1
