"""What the broker acknowledged but DuckDB may not hold yet: kept until a barrier proves it.

The embedded broker is memory only. If it dies, records it had acknowledged and the sink had
not archived would be lost; the gateway keeps them here and the supervisor republishes them
into the restarted broker. A barrier injected after them completes once the sink committed
everything before it; then they are dropped. Bounded: when full (the sink is down for long),
ingest answers 503 instead of accepting what it could not protect.
"""
from __future__ import annotations

from collections import deque

from connectors.publisher import Outgoing


class Journal:
    def __init__(self, max_messages: int = 500_000) -> None:
        self.max_messages = max_messages
        self._entries: deque[Outgoing] = deque()
        self._dropped = 0   # messages before the deque's first one that are known archived

    @property
    def size(self) -> int:
        return len(self._entries)

    @property
    def full(self) -> bool:
        return len(self._entries) >= self.max_messages

    @property
    def end(self) -> int:
        """A position after every message added so far (for a barrier injected now)."""
        return self._dropped + len(self._entries)

    def add(self, messages: list[Outgoing]) -> None:
        self._entries.extend(messages)

    def archived_up_to(self, position: int) -> None:
        """Everything before `position` is in DuckDB: forget it."""
        while self._dropped < position and self._entries:
            self._entries.popleft()
            self._dropped += 1

    def pending(self) -> list[Outgoing]:
        return list(self._entries)
