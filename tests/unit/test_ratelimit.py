from __future__ import annotations

from gateway.ratelimit import TokenBucket


def test_a_burst_passes_then_requests_wait() -> None:
    bucket = TokenBucket(rate_per_s=1.0, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take()
    assert 0.9 < wait <= 1.0


def test_the_bucket_refills_with_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = [100.0]
    monkeypatch.setattr("gateway.ratelimit.time.monotonic", lambda: clock[0])
    bucket = TokenBucket(rate_per_s=2.0, burst=2)
    assert bucket.take() == 0 and bucket.take() == 0 and bucket.take() > 0
    clock[0] += 0.5
    assert bucket.take() == 0.0
