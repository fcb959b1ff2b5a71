"""`ioc sql` waits out the gateway's 503 (the sink restarting) instead of failing the operator's query."""
from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar, cast

import orjson
import pytest

from ioc.cli import _sql
from ioc.config import Config


class Gateway(BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, bytes]]] = []   # what each POST gets, in turn

    def do_POST(self) -> None:   # the stdlib calls it by this name
        self.rfile.read(int(self.headers["Content-Length"]))
        code, body = self.answers.pop(0)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if code == 503:
            self.send_header("Retry-After", "5")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_sql(url: str, query: str) -> int:
    config = cast(Config, SimpleNamespace(settings=SimpleNamespace(http_url=url)))
    return _sql(config, argparse.Namespace(query=query, format="table"))


def test_a_503_is_waited_out(gateway: str, capsys: pytest.CaptureFixture[str]) -> None:
    Gateway.answers = [
        (503, orjson.dumps({"error": "the DuckDB sink is not answering: connection refused"})),
        (200, orjson.dumps({"columns": ["n"], "rows": [[42]], "truncated": False})),
    ]
    assert run_sql(gateway, "SELECT 42 AS n") == 0
    assert "42" in capsys.readouterr().out
    assert Gateway.answers == []


def test_a_refused_query_fails_at_once(gateway: str, capsys: pytest.CaptureFixture[str]) -> None:
    Gateway.answers = [(400, orjson.dumps({"error": "Parser Error: syntax error at or near \"SELEC\""}))]
    assert run_sql(gateway, "SELEC 1") == 1
    assert "syntax error" in capsys.readouterr().err
