"""Operators log in (gateway/auth.py), in Chromium against a pipeline with users configured: the
screens need a log-in, a wrong password is refused, repeated failures lock the name out, a viewer
cannot acknowledge, an operator can (recorded in DuckDB), and a write without the CSRF token is
refused."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.auth import hash_password
from tests.datasets.telecom import alarm, site
from tests.harness import Pipeline

pytestmark = pytest.mark.integration
PASSWORD = "mật khẩu đủ dài 2026"
USERS = {"hoa": "operator", "lan": "viewer", "khoa": "operator"}
MAX_FAILURES = 3
COMMUNE = "03451"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    hashed = hash_password(PASSWORD)
    users = "".join(f'[auth.users.{name}]\nrole = "{role}"\npassword_hash = "{hashed}"\n'
                    for name, role in USERS.items())
    p = Pipeline(Path(tmp_path_factory.mktemp("login")),
                 f"[auth]\nmax_failures = {MAX_FAILURES}\nmax_address_failures = 100\n{users}")
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


@pytest.fixture
def pg(browser: Any, secured: Pipeline) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, base_url=secured.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def log_in(pg: Any, user: str, password: str = PASSWORD) -> None:
    pg.goto("about:blank")   # a fresh page each time: no message of the attempt before
    pg.goto("/ops/#/alerts")
    pg.wait_for_selector("body[data-ready=login]")
    pg.fill("#login-user", user)
    pg.fill("#login-password", password)
    with pg.expect_response("**/ops/api/login"):
        pg.click("#login button[type=submit]")


def problem(pg: Any) -> str:
    pg.wait_for_selector("#login-problem")
    return str(pg.locator("#login-problem").inner_text())


def open_cut_off(p: Pipeline) -> str:
    """A commune cut off now; returns its open alert's id."""
    records = [site("LG-1", COMMUNE, "2026-01-01T00:00:00+07:00"),
               alarm("LG-1-down", "LG-1", "site_down", "critical", "raised",
                     time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))]
    code, answer = p.ingest("telecom", records)
    assert code == 200 and answer["accepted"] == 2, answer
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = p.sql(f"SELECT alert_id FROM alerts WHERE subject = '{COMMUNE}' AND cleared_at IS NULL")
        if rows:
            return str(rows[0]["alert_id"])
        time.sleep(0.3)
    raise AssertionError("the cut-off raised no alert")


def test_the_screens_need_a_log_in(pg: Any) -> None:
    pg.goto("/ops/#/overview")
    pg.wait_for_selector("body[data-ready=login]")
    assert pg.locator("#login h1").inner_text() == "Đăng nhập"
    assert pg.request.get("/ops/api/alerts").status == 401
    assert pg.request.get("/ops/api/config").status == 401
    pg.click('.lang-btn[data-lang="en"]')     # the form speaks both languages
    assert pg.locator("#login h1").inner_text() == "Log in"


def test_a_wrong_password_is_refused(pg: Any) -> None:
    log_in(pg, "hoa", "not the password")
    assert problem(pg) == "Sai tên đăng nhập hoặc mật khẩu"
    log_in(pg, "nobody", PASSWORD)
    assert problem(pg) == "Sai tên đăng nhập hoặc mật khẩu"


def test_repeated_failures_lock_the_name_out(pg: Any) -> None:
    for _ in range(MAX_FAILURES):
        log_in(pg, "khoa", "wrong guess")
        assert problem(pg) == "Sai tên đăng nhập hoặc mật khẩu"
    log_in(pg, "khoa", PASSWORD)              # the right password, too late
    assert problem(pg).startswith("Đăng nhập sai quá nhiều lần")
    answer = pg.request.post("/ops/api/login", data={"user": "khoa", "password": PASSWORD})
    assert answer.status == 429 and int(answer.headers["retry-after"]) > 0
    log_in(pg, "hoa")                         # another name from the same address still may
    pg.wait_for_selector("body[data-ready=true]")


def test_a_viewer_cannot_acknowledge_an_operator_can(pg: Any, secured: Pipeline) -> None:
    alert_id = open_cut_off(secured)
    row = f'li[data-alert="{alert_id}"]'
    log_in(pg, "lan")
    pg.wait_for_selector("body[data-ready=true]")
    pg.wait_for_selector(row)
    assert pg.locator(f'{row} button[data-action="ack"]').count() == 0
    assert "chỉ xem" in pg.locator("#user").inner_text()
    pg.wait_for_selector("#viewer-only")
    csrf = pg.evaluate("() => fetch('api/session').then(r => r.json()).then(s => s.csrf)")
    refused = pg.evaluate("""([id, csrf]) => fetch(`api/alerts/${id}/ack`, {method: 'POST',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}, body: '{}'})
        .then(r => r.status)""", [alert_id, csrf])
    assert refused == 403
    pg.click("#logout")
    pg.wait_for_selector("body[data-ready=login]")
    assert pg.request.get("/ops/api/alerts").status == 401     # the session is gone

    log_in(pg, "hoa")
    pg.wait_for_selector("body[data-ready=true]")
    cookie = next(c for c in pg.context.cookies() if c["name"] == "ioc_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert pg.locator("#operator").count() == 0                # no name to type: the log-in says who
    pg.click(f'{row} button[data-action="ack"]')
    pg.wait_for_selector(f"{row} .acked")
    assert "Đã xác nhận: hoa" in pg.locator(f"{row} .acked").inner_text()
    stored = secured.sql(f"SELECT acknowledged_by FROM alerts WHERE alert_id = '{alert_id}'")
    assert stored == [{"acknowledged_by": "hoa"}]


def test_a_write_without_the_csrf_token_is_refused(pg: Any, secured: Pipeline) -> None:
    log_in(pg, "hoa")
    pg.wait_for_selector("body[data-ready=true]")
    alert_id = secured.sql(f"SELECT alert_id FROM alerts WHERE subject = '{COMMUNE}'")[0]["alert_id"]
    statuses = pg.evaluate("""(id) => Promise.all([
        fetch(`api/alerts/${id}/ack`, {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: '{}'}),
        fetch(`api/alerts/${id}/ack`, {method: 'POST', headers: {'Content-Type': 'application/json',
              'X-CSRF-Token': 'forged'}, body: '{}'}),
        fetch('api/logout', {method: 'POST'}),
      ].map((p) => p.then((r) => r.status)))""", alert_id)
    assert statuses == [403, 403, 403]
    assert pg.request.get("/ops/api/alerts").status == 200      # still logged in: the logout was refused
