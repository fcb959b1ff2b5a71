"""One validation path for every entry point (HTTP push, `ioc ingest`): body in, counts out."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from connectors.adapters.base import AdapterCounts, Mapped
from connectors.base import Accepted, SourceSpec
from connectors.dedup import Identity, IdentityIndex
from connectors.parse import Item, dumps_any, split_records
from connectors.privacy import contains_personal_id, mask, pseudonymize
from connectors.publisher import Outgoing
from connectors.registry import SOURCES
from contract.records import H_EVENT, H_ID, H_RECEIVED, DeadLetter, iso
from contract.settings import Settings
from contract.timestamps import parse_ts
from contract.topics import CONTRACT_NAMES, TopicNames
from contract.units import UnitRegistry

DEAD_LETTER_MAX_CHARS = 8 << 20   # a dead letter keeps the record whole up to 8 MiB of text


@dataclass
class IngestResult:
    source: str
    accepted: int = 0
    duplicate: int = 0
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)

    @property
    def dead_lettered(self) -> int:
        return sum(self.dead_letter_reasons.values())

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "received": self.accepted + self.duplicate + self.dead_lettered,
                "accepted": self.accepted, "duplicate": self.duplicate,
                "dead_lettered": self.dead_lettered, "dead_letter_reasons": dict(self.dead_letter_reasons)}


@dataclass
class Prepared:
    """A validated batch ready to publish; identities are reserved until commit or release."""
    result: IngestResult
    messages: list[Outgoing]
    identities: list[Identity]
    positions: list[int] = field(default_factory=list)   # the message of each identity
    adapter: AdapterCounts | None = None                 # per wire item, when an adapter read the body

    def acked_identities(self, acked: list[bool]) -> tuple[list[Identity], list[Identity]]:
        """(identities whose record the broker took, the others) after a partial failure."""
        taken = [i for i, pos in zip(self.identities, self.positions) if acked[pos]]
        rest = [i for i, pos in zip(self.identities, self.positions) if not acked[pos]]
        return taken, rest


class Validator:
    def __init__(
        self,
        spec: SourceSpec,
        units: UnitRegistry,
        index: IdentityIndex,
        max_record_bytes: int,
        future_tolerance_s: float,
        pseudonym_key: bytes | None = None,
        names: TopicNames = CONTRACT_NAMES,
    ) -> None:
        if spec.pseudonymized_fields and not pseudonym_key:
            raise ValueError(f"the {spec.name} connector needs a pseudonym key (HMAC secret) to start")
        self.spec, self.units, self.index, self.pseudonym_key = spec, units, index, pseudonym_key
        self.raw_topic, self.dead_letter_topic = names.raw(spec.name), names.dead_letters(spec.name)
        self.max_record_bytes = max_record_bytes
        self.tolerance_us = int(future_tolerance_s * 1_000_000)

    def prepare(self, body: bytes, received_at: datetime) -> Prepared:
        """Split, validate and deduplicate a body (pure CPU; no I/O)."""
        received_us = parse_ts(iso(received_at))
        assert received_us is not None
        received_h = iso(received_at).encode()
        result = IngestResult(self.spec.name)
        messages: list[Outgoing] = []
        ids: list[Identity] = []
        positions: list[int] = []
        for item in split_records(body, self.max_record_bytes):
            item = self._pseudonymize(item)
            verdict = (
                self.spec.check(item.value, received_us, self.tolerance_us, self.units)
                if item.reject is None
                else None
            )
            if isinstance(verdict, Accepted):
                if self.index.reserve(self.spec.name, verdict.identity):
                    ids.append(verdict.identity)
                    positions.append(len(messages))
                    messages.append(self._raw(item, verdict, received_h))
                    result.accepted += 1
                else:
                    result.duplicate += 1
                continue
            reason = item.reject or verdict.reason  # type: ignore[union-attr]
            result.dead_letter_reasons[reason] += 1
            messages.append(self._dead_letter(item, reason, received_at))
        return Prepared(result, messages, ids, positions)

    def prepare_mapped(
        self, adapter: str, mapped: Iterable[Mapped], received_at: datetime,
        letter_id: Callable[[str, str], str] | None = None,
    ) -> Prepared:
        """An adapter's wire items (wire-formats 0.2): each normalised record takes this source's check,
        identity and duplicate index exactly as a posted record; an item-level dead letter keeps the
        reduced item. `letter_id(position, reason)` makes dead-letter ids (default: random), the position
        being the item's number, with the record's after a dot for a record-level one."""
        received_us = parse_ts(iso(received_at))
        assert received_us is not None
        received_h = iso(received_at).encode()
        result, counts = IngestResult(self.spec.name), AdapterCounts(adapter)
        prepared = Prepared(result, [], [], [], counts)
        for n, item in enumerate(mapped):
            counts.items += 1
            if item.ignored is not None:
                counts.ignored_kinds[item.ignored] += 1
            elif item.reason is not None:
                counts.item_dead[item.reason] += 1
                text = orjson.dumps({"adapter": adapter, "item": mask(item.item)}, default=str).decode()
                self._add_dead(prepared, text, item.reason, received_at, _ids(letter_id, str(n)))
            else:
                counts.mapped += 1
                counts.records += len(item.records)
                for k, record in enumerate(item.records):
                    self._add_record(prepared, record, received_us, received_h, received_at,
                                     _ids(letter_id, f"{n}.{k}"))
        return prepared

    def _add_record(self, prepared: Prepared, record: dict[str, Any], received_us: int, received_h: bytes,
                    received_at: datetime, make_id: Callable[[str], str] | None) -> None:
        verdict = self.spec.check(record, received_us, self.tolerance_us, self.units)
        if isinstance(verdict, Accepted):
            if self.index.reserve(self.spec.name, verdict.identity):
                prepared.identities.append(verdict.identity)
                prepared.positions.append(len(prepared.messages))
                item = Item(record, dumps_any(record), None)
                prepared.messages.append(self._raw(item, verdict, received_h))
                prepared.result.accepted += 1
            else:
                prepared.result.duplicate += 1
            return
        text = dumps_any(mask(record) if contains_personal_id(record) else record)
        self._add_dead(prepared, text, verdict.reason, received_at, make_id)

    def _add_dead(self, prepared: Prepared, text: str, reason: str, received_at: datetime,
                  make_id: Callable[[str], str] | None) -> None:
        prepared.result.dead_letter_reasons[reason] += 1
        letter = DeadLetter(make_id(reason) if make_id else uuid.uuid4().hex, self.spec.name, reason,
                            received_at, text[:DEAD_LETTER_MAX_CHARS])
        prepared.messages.append(
            Outgoing(self.dead_letter_topic, None, letter.to_json(), [(H_ID, letter.id.encode())]))

    def _pseudonymize(self, item: Item) -> Item:
        if not self.spec.pseudonymized_fields or not isinstance(item.value, dict):
            return item
        value = pseudonymize(item.value, self.spec.pseudonymized_fields, self.pseudonym_key or b"")
        return item if value is item.value else Item(value, dumps_any(value), None)

    def _raw(self, item: Item, ok: Accepted, received_h: bytes) -> Outgoing:
        headers = [
            (H_ID, ok.identity.digest.hex().encode()),
            (H_RECEIVED, received_h),
            (H_EVENT, str(ok.event_us).encode()),
        ]
        return Outgoing(self.raw_topic, ok.key.encode(), item.text.encode(), headers)

    def _dead_letter(self, item: Item, reason: str, received_at: datetime) -> Outgoing:
        # Masked whenever a personal id is in the value, whatever the reason (a bare id is unparseable).
        text = dumps_any(mask(item.value)) if contains_personal_id(item.value) else item.text
        if len(text) > DEAD_LETTER_MAX_CHARS:
            text = text[:DEAD_LETTER_MAX_CHARS] + f"…[truncated: {len(text)} characters in all]"
        letter = DeadLetter(uuid.uuid4().hex, self.spec.name, reason, received_at, text)
        return Outgoing(self.dead_letter_topic, None, letter.to_json(), [(H_ID, letter.id.encode())])


def _ids(letter_id: Callable[[str, str], str] | None, position: str) -> Callable[[str], str] | None:
    return (lambda reason: letter_id(position, reason)) if letter_id else None


def build_validators(
    settings: Settings, index: IdentityIndex, pseudonym_key: bytes | None, names: TopicNames
) -> dict[str, Validator]:
    """One validator per registered source, sharing the identity index."""
    return {
        name: Validator(
            spec, settings.units, index, settings.max_record_bytes, settings.future_tolerance_s,
            pseudonym_key, names,
        )
        for name, spec in SOURCES.items()
    }
