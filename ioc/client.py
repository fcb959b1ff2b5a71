"""HTTP client of the running pipeline, for the `ioc` command."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import orjson


class PipelineUnavailable(Exception):
    pass


def call(url: str, method: str = "GET", body: bytes | None = None, token: str | None = None,
         timeout: float = 120, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, orjson.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        try:
            return exc.code, orjson.loads(payload)
        except json.JSONDecodeError:
            return exc.code, {"error": payload.decode(errors="replace")}
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise PipelineUnavailable(f"no pipeline answers at {url}: {exc}") from exc


def post_with_retry(url: str, body: bytes, token: str | None, attempts: int = 30) -> tuple[int, Any]:
    """503 (broker restarting, sink restarting, DuckDB behind) and 429 (rate bound) are temporary:
    wait and retry."""
    for _ in range(attempts):
        status, answer = call(url, "POST", body, token)
        if status not in (429, 503):
            return status, answer
        time.sleep(2 if status == 503 else 0.5)
    return status, answer
