"""Which record identities the pipeline has already accepted (first delivered copy wins)."""
from __future__ import annotations

from collections.abc import Iterable


class IdentityIndex:
    """Identity digests per source, with reservations for batches still being published.

    Rebuilt at start from the DuckDB raw archive, so duplicates are recognised across restarts.
    Each identity costs about 90 bytes of memory (~90 MB for 10^6 records).
    """

    def __init__(self) -> None:
        self._seen: dict[str, set[bytes]] = {}
        self._pending: dict[str, set[bytes]] = {}

    def load(self, source: str, identities: Iterable[bytes]) -> None:
        self._seen.setdefault(source, set()).update(identities)

    def reserve(self, source: str, identity: bytes) -> bool:
        """True if new (and now reserved); False if seen or reserved by another batch."""
        seen, pending = self._seen.setdefault(source, set()), self._pending.setdefault(source, set())
        if identity in seen or identity in pending:
            return False
        pending.add(identity)
        return True

    def commit(self, source: str, identities: Iterable[bytes]) -> None:
        ids = list(identities)
        self._pending.setdefault(source, set()).difference_update(ids)
        self._seen.setdefault(source, set()).update(ids)

    def release(self, source: str, identities: Iterable[bytes]) -> None:
        self._pending.setdefault(source, set()).difference_update(identities)

    def contains(self, source: str, identity: bytes) -> bool:
        return identity in self._seen.get(source, ())

    def count(self, source: str) -> int:
        return len(self._seen.get(source, ()))
