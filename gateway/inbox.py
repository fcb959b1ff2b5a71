"""Inbox folders (`[adapters.<name>] inbox = ...`): each file dropped there is ingested once through its
adapter, then moved to `done/` (its counts beside it) or `failed/` (the reason beside it).

A file is published in steps of `inbox_batch_items` wire items; after each step its progress is kept in
`.progress/<file>.json`. After a restart in the middle of a file, the steps already published are
offered again without being counted (records found again are duplicates; a record the memory-only
broker lost before DuckDB archived it is taken again) and their dead letters are sent again with the
same ids, which DuckDB keeps once: nothing is lost and nothing counts twice. Writers drop a file whole
(write elsewhere or as `.part`/`.tmp`, then rename); dot files are not read.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from connectors.adapters.base import AdapterCounts, Mapped, Meta
from connectors.adapters.configuration import AdapterConfig
from connectors.adapters.registry import ADAPTERS
from connectors.ingest import IngestResult, Prepared, Validator
from connectors.publisher import PublishError


class Publish(Protocol):
    """The adapters' publish path (gateway/adapters.py AdapterRoutes.publish)."""

    async def __call__(
        self, name: str, prepare: Callable[[datetime], Prepared], count: bool = True
    ) -> Prepared: ...

log = logging.getLogger(__name__)
WHOLE_DOCUMENT = ("unparseable", "too_large")
PARTIAL = (".part", ".tmp")


class Inbox:
    def __init__(self, publish: Publish, validators: Mapping[str, Validator], config: AdapterConfig) -> None:
        self.publish, self.validators, self.config = publish, validators, config
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.config.inboxes:
            self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def folders(self) -> list[tuple[str, Path, str | None]]:
        """(adapter, folder, operator): an adapter that needs an operator has a folder per operator."""
        out: list[tuple[str, Path, str | None]] = []
        for name, folder in self.config.inboxes.items():
            if ADAPTERS[name].needs_operator:
                out += [(name, folder / op, op) for op in self.config.context.operators]
            else:
                out.append((name, folder, None))
        return out

    async def _watch(self) -> None:
        for _, folder, _ in self.folders():
            for sub in ("", "done", "failed", ".progress"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        while not self._stop.is_set():
            for name, folder, operator in self.folders():
                for path in waiting(folder, ADAPTERS[name].file_suffixes):
                    if self._stop.is_set():
                        return
                    try:
                        await self.ingest_file(name, path, operator)
                    except PublishError as exc:  # the broker is down: the file stays, its progress kept
                        log.warning("inbox %s: %s not finished (%s); trying again", name, path.name, exc)
                        break
                    except Exception:
                        log.exception("inbox %s: %s", name, path.name)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.config.inbox_poll_s)
            except TimeoutError:
                pass

    async def ingest_file(self, name: str, path: Path, operator: str | None) -> None:
        adapter, ctx = ADAPTERS[name], self.config.context
        data = await asyncio.to_thread(path.read_bytes)
        digest = hashlib.sha256(data).hexdigest()
        progress_path = path.parent / ".progress" / (path.name + ".json")
        done_before, totals = _progress(progress_path, digest)
        meta = Meta(operator, path.name)
        items: list[Mapped] = await asyncio.to_thread(lambda: list(adapter.read(data, meta, ctx)))
        validator = self.validators[adapter.target]
        step = self.config.inbox_batch_items
        for start in range(0, len(items) or 1, step):
            batch = items[start : start + step]

            def prepare(received: datetime, batch: list[Mapped] = batch, start: int = start) -> Prepared:
                return validator.prepare_mapped(name, batch, received, _letter_ids(digest, start))

            already = start + len(batch) <= done_before
            prepared = await self.publish(name, prepare, count=not already)
            if not already:
                _add(totals, prepared)
                _save(progress_path, digest, start + len(batch), totals)
        whole = [
            m for m in items if m.reason in WHOLE_DOCUMENT and isinstance(m.item, dict) and "sha256" in m.item
        ]
        if whole and len(items) == 1:
            problem = whole[0].item.get("problem", "")
            _move(path, "failed", f"{whole[0].reason}: {problem}\n".encode())
        else:
            _move(path, "done", orjson.dumps(totals, option=orjson.OPT_INDENT_2))
        progress_path.unlink(missing_ok=True)
        log.info("inbox %s: %s: %s", name, path.name, _summary(totals))


def waiting(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files to read, oldest first: not dot files, not partial, with one of the adapter's suffixes."""
    try:
        entries = [
            p
            for p in folder.iterdir()
            if p.is_file()
            and not p.name.startswith(".")
            and not p.name.endswith(PARTIAL)
            and p.name.lower().endswith(suffixes)
        ]
    except OSError:
        return []
    return sorted(entries, key=lambda p: (p.stat().st_mtime, p.name))


def _letter_ids(digest: str, start: int) -> Any:
    """Dead-letter ids from the file's content and the item's place in it: sent again, kept once."""

    def make(position: str, reason: str) -> str:
        head, _, tail = position.partition(".")
        where = f"{start + int(head)}.{tail}" if tail else str(start + int(head))
        return hashlib.sha256(f"{digest}:{where}:{reason}".encode()).hexdigest()[:32]

    return make


def _progress(path: Path, digest: str) -> tuple[int, dict[str, Any]]:
    try:
        stored = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        stored = {}
    if stored.get("sha256") != digest:
        return 0, {
            "items": 0,
            "records": 0,
            "accepted": 0,
            "duplicate": 0,
            "dead_letter_reasons": {},
            "ignored_kinds": {},
        }
    return int(stored["items_done"]), stored["counts"]


def _save(path: Path, digest: str, items_done: int, totals: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(orjson.dumps({"sha256": digest, "items_done": items_done, "counts": totals}))
    os.replace(tmp, path)


def _add(totals: dict[str, Any], prepared: Prepared) -> None:
    counts: AdapterCounts | None = prepared.adapter
    result: IngestResult = prepared.result
    assert counts is not None
    totals["items"] += counts.items
    totals["records"] += counts.records
    totals["accepted"] += result.accepted
    totals["duplicate"] += result.duplicate
    totals["dead_letter_reasons"] = dict(Counter(totals["dead_letter_reasons"]) + result.dead_letter_reasons)
    totals["ignored_kinds"] = dict(Counter(totals["ignored_kinds"]) + counts.ignored_kinds)


def _move(path: Path, to: str, note: bytes) -> None:
    target = path.parent / to / path.name
    if target.exists():  # a file of the same name came before: keep both
        target = target.with_name(f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}")
    os.replace(path, target)
    target.with_name(target.name + (".reason" if to == "failed" else ".result.json")).write_bytes(note)


def _summary(totals: dict[str, Any]) -> str:
    dead = sum(totals["dead_letter_reasons"].values())
    return (
        f"{totals['items']} items, {totals['records']} records: {totals['accepted']} accepted, "
        f"{totals['duplicate']} duplicate, {dead} dead-lettered, "
        f"{sum(totals['ignored_kinds'].values())} ignored"
    )
