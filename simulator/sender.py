"""NDJSON batches to POST /ingest/<source>, the path every real source system uses.

Standard library only. A batch leaves when it holds `batch_max` records or its oldest record has
waited `flush_s`. 503 (the broker is unavailable, or the pipeline is stopping) is retried after
the server's Retry-After; a refused connection is retried with backoff (the pipeline may be
restarting). A source the pipeline does not know (404) or whose token it refuses (401/403) is
switched off with one message; the others go on.
"""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

Post = Callable[[str, bytes, str | None], tuple[int, dict[str, str], Any]]

RETRIED = (0, 429, 503)   # unreachable, rate bound, broker or DuckDB not ready: wait and retry


@dataclass
class Tally:
    generated: int = 0
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    dead_lettered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    lost: int = 0                  # given up (source switched off, or stopped while retrying)
    ignored: int = 0               # wire items an adapter counted as carrying nothing (heartbeats...)
    off: str | None = None         # why the source was switched off


def post_ndjson(
    url: str, body: bytes, token: str | None, timeout: float = 60
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-ndjson")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), orjson.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        try:
            answer = orjson.loads(payload)
        except orjson.JSONDecodeError:
            answer = {"error": payload.decode(errors="replace")}
        return exc.code, dict(exc.headers), answer


class Sender:
    def __init__(
        self,
        base_url: str,
        tokens: dict[str, str | None],
        batch_max: int = 500,
        flush_s: float = 0.5,
        post: Post = post_ndjson,
        stop: threading.Event | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.base_url, self.tokens = base_url.rstrip("/"), tokens
        self.batch_max, self.flush_s = batch_max, flush_s
        self.post, self.say = post, say
        self.stop = stop or threading.Event()  # set: give up retrying, and wake from waits at once
        self.tally = {source: Tally() for source in tokens}
        self.queue: dict[str, list[bytes]] = {source: [] for source in tokens}
        self.oldest: dict[str, float] = {}
        for source, token in tokens.items():
            if token is None:
                self._switch_off(source, "no ingest token (has this pipeline ever started?)")

    def add(self, source: str, lines: list[bytes]) -> None:
        tally = self.tally[source]
        tally.generated += len(lines)
        if tally.off:
            tally.lost += len(lines)
            return
        if lines and not self.queue[source]:
            self.oldest[source] = time.monotonic()
        self.queue[source].extend(lines)

    def pending(self) -> int:
        return sum(len(q) for q in self.queue.values())

    def pump(self, force: bool = False) -> None:
        """Send every full batch, and partial ones that waited long enough (all of them if forced)."""
        now = time.monotonic()
        for source, queue in self.queue.items():
            while len(queue) >= self.batch_max or (
                queue and (force or now - self.oldest[source] >= self.flush_s)
            ):
                batch = queue[: self.batch_max]
                del queue[: self.batch_max]
                self.oldest[source] = time.monotonic()
                if not self._send(source, batch):
                    break

    def request(self, source: str, batch: list[bytes]) -> tuple[str, bytes]:
        """(URL, body) of one batch: NDJSON to /ingest/<source> (the wire sender writes other formats)."""
        return f"{self.base_url}/ingest/{source}", b"\n".join(batch)

    def _send(self, source: str, batch: list[bytes]) -> bool:
        tally, backoff = self.tally[source], 1.0
        url, body = self.request(source, batch)
        while True:
            try:
                status, headers, answer = self.post(url, body, self.tokens[source])
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                status, headers, answer = 0, {}, {"error": str(exc)}
            if status == 200:
                self._count(tally, len(batch), answer)
                return True
            if status in (401, 403, 404):
                self._switch_off(source, f"HTTP {status}: {answer.get('error', answer)}")
                tally.lost += len(batch) + len(self.queue[source])
                self.queue[source].clear()
                return False
            if self.stop.is_set() or status not in RETRIED:
                tally.lost += len(batch)
                if status not in RETRIED:
                    self.say(
                        f"{source}: HTTP {status}: {answer.get('error', answer)}; {len(batch)} records lost"
                    )
                return status not in RETRIED
            wait = _retry_after(headers, backoff)
            if status != 429:  # the rate bound is routine back-pressure, not news
                self.say(
                    f"{source}: {'pipeline unreachable' if status == 0 else f'HTTP {status}'}; "
                    f"retrying in {wait:.0f} s"
                )
            self.stop.wait(wait)
            backoff = min(backoff * 2, 30.0)

    def _count(self, tally: Tally, n: int, answer: dict[str, Any]) -> None:
        tally.sent += n
        tally.accepted += answer.get("accepted", 0)
        tally.duplicate += answer.get("duplicate", 0)
        tally.dead_lettered += answer.get("dead_lettered", 0)
        tally.reasons.update(answer.get("dead_letter_reasons") or {})

    def _switch_off(self, source: str, why: str) -> None:
        self.tally[source].off = why
        self.say(f"{source}: not sent any more: {why}")


def _retry_after(headers: dict[str, str], fallback: float) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return min(max(float(value), 0.2), 60.0) if value is not None else fallback
    except ValueError:
        return fallback
