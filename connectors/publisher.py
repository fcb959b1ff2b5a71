"""Publish validated records and dead letters to the broker (kafka-python), waiting for acks."""
from __future__ import annotations

from dataclasses import dataclass

from kafka import KafkaProducer
from kafka.errors import KafkaError

from contract.kafka import kafka_python_kwargs
from contract.records import Headers
from contract.settings import BrokerSettings
from contract.topics import MAX_MESSAGE_BYTES


class PublishError(Exception):
    """The broker did not acknowledge all of a batch: the caller answers 503 and the source retries.
    `acked` tells which messages the broker did take (they must count as seen)."""

    def __init__(self, message: str, acked: list[bool]) -> None:
        super().__init__(message)
        self.acked = acked


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers


class Publisher:
    def __init__(self, broker: BrokerSettings) -> None:
        # Idempotent, with one request in flight per connection: a retry never writes a record twice
        # and each partition keeps send order, which barriers rely on.
        self._producer = KafkaProducer(
            **kafka_python_kwargs(broker),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            batch_size=512 * 1024,
            max_in_flight_requests_per_connection=1,
            retries=5,
            max_request_size=MAX_MESSAGE_BYTES,
            request_timeout_ms=15_000,
            max_block_ms=15_000,
        )

    def publish(self, messages: list[Outgoing], timeout_s: float = 30.0) -> None:
        """Send and block until every message is acknowledged, else raise PublishError."""
        futures, error = [], None
        try:
            for m in messages:
                futures.append(self._producer.send(m.topic, key=m.key, value=m.value, headers=m.headers))
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            error = exc
        acked = [f.is_done and f.succeeded() for f in futures] + [False] * (len(messages) - len(futures))
        if not all(acked):
            failure = error or next((f.exception for f in futures if f.is_done and f.failed()), None)
            raise PublishError(str(failure or "not acknowledged in time"), acked)

    def send_markers(self, targets: list[tuple[str, int]], headers: Headers, timeout_s: float = 30.0) -> None:
        """A control marker (empty value) on each given partition, after everything sent before."""
        try:
            futures = [
                self._producer.send(topic, value=b"", partition=p, headers=headers) for topic, p in targets
            ]
            self._producer.flush(timeout=timeout_s)
            for f in futures:
                f.get(timeout=timeout_s)
        except KafkaError as exc:
            raise PublishError(str(exc), [False] * len(targets)) from exc

    def close(self, timeout_s: float = 10) -> None:
        self._producer.close(timeout=timeout_s)
