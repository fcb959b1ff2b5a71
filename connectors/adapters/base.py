"""The adapter contract (wire-formats 0.2): a wire document in, per wire item either normalised
contract records, one item-level dead letter, or "ignored" with its kind. Pure: no I/O, no state
between documents; the records then take the target source's own validation path unchanged."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

from connectors.adapters.causes import CauseTable
from connectors.adapters.organs import Organs
from connectors.adapters.profiles import Operator, PmProfiles
from connectors.parse import strict_loads
from contract.units import UnitRegistry

# Reason categories in contract 7's order: within a category, the mapping table's order decides.
ORDER = ("too_large", "unparseable", "personal_id", "missing_field", "bad_type", "bad_enum", "unknown_unit")


@dataclass(frozen=True, slots=True)
class Mapped:
    """One wire item's outcome: records, or a dead letter (`reason` with the reduced `item`), or ignored."""

    records: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    item: Any = None
    ignored: str | None = None


def dead(reason: str, item: Any) -> Mapped:
    return Mapped(reason=reason, item=item)


def ignored(kind: str) -> Mapped:
    return Mapped(ignored=kind)


class Problems:
    """Reasons found while mapping one item; the first by contract 7's category order wins, then the
    first found (the mapping table's order)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, reason: str) -> None:
        self.found.append(reason)

    def first(self) -> str | None:
        if not self.found:
            return None
        return min(self.found, key=lambda r: (ORDER.index(r.split(":", 1)[0]), self.found.index(r)))


@dataclass(frozen=True)
class Meta:
    """What the entry point knows beside the document: the operator (meascollec, ves), a file name."""

    operator: str | None = None
    filename: str | None = None
    period: str | None = None  # portal766: the period a portal JSON answer is about (?period=, --period)


@dataclass(frozen=True)
class Catalogue:
    """The 766 rules' groups and components with their maxima (portal766 checks figures against it)."""

    groups: dict[str, float] = field(default_factory=dict)  # group -> max points
    components: dict[str, tuple[str, float]] = field(default_factory=dict)  # component -> (group, max)

    def sole_component(self, group: str) -> str | None:
        """The group's component when it has exactly one (its points are the group's)."""
        codes = [c for c, (g, _) in self.components.items() if g == group]
        return codes[0] if len(codes) == 1 else None


@dataclass(frozen=True)
class Context:
    """The configuration an adapter maps with (read once at start)."""

    units: UnitRegistry
    organs: Organs = field(default_factory=Organs)
    full_online_procedures: frozenset[str] = frozenset()
    operators: dict[str, Operator] = field(default_factory=dict)
    profiles: PmProfiles = field(default_factory=PmProfiles)
    causes: CauseTable = field(default_factory=CauseTable)
    max_record_bytes: int = 1 << 20
    max_document_bytes: dict[str, int] = field(default_factory=dict)
    catalogue: Catalogue = field(default_factory=Catalogue)


class Adapter(ABC):
    """One wire format. Adding a fifth is one module with a subclass, a line in the registry, and
    its configuration and tests."""

    name: ClassVar[str]
    target: ClassVar[str]  # the contract source its records belong to
    needs_operator: ClassVar[bool] = False
    file_suffixes: ClassVar[tuple[str, ...]] = (".json", ".ndjson")  # for an inbox

    @abstractmethod
    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        """Every wire item of the document, mapped, in document order."""


@dataclass
class AdapterCounts:
    """Per-item outcomes of one request (or since start): each item counts once."""

    adapter: str
    items: int = 0
    mapped: int = 0  # items that made records
    records: int = 0
    item_dead: Counter[str] = field(default_factory=Counter)
    ignored_kinds: Counter[str] = field(default_factory=Counter)

    @property
    def ignored(self) -> int:
        return sum(self.ignored_kinds.values())

    def add(self, other: AdapterCounts) -> None:
        self.items += other.items
        self.mapped += other.mapped
        self.records += other.records
        self.item_dead.update(other.item_dead)
        self.ignored_kinds.update(other.ignored_kinds)


def json_size(value: Any) -> int:
    return len(orjson.dumps(value)) if _plain(value) else len(repr(value).encode())


def _plain(value: Any) -> bool:
    try:
        orjson.dumps(value)
    except TypeError:
        return False
    return True


def load_json(data: bytes) -> Any:
    """The JSON value of a body (ValueError when it is not JSON), as strict as the contract's parser."""
    try:
        return strict_loads(data)
    except (RecursionError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None


def json_lines(data: bytes) -> list[Any] | None:
    """NDJSON of values, or None when some line is not JSON (then the body is one bad document)."""
    values = []
    for line in data.splitlines():
        if line.strip():
            try:
                values.append(load_json(line))
            except ValueError:
                return None
    return values
