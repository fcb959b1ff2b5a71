"""The pure parts of the log-in (gateway/auth.py): configuration, lock-out, what needs which role,
and the start-up rule beyond loopback (ioc/supervisor.py)."""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from contract.settings import Settings
from gateway.auth import Auth, AuthSettings, Lockout, User, auth_of, hash_password
from ioc.config import load_config
from ioc.supervisor import check_listen_policy

CONFIG = load_config()


def settings_with(tables: dict[str, object]) -> Settings:
    return replace(CONFIG.settings, tables=tables)


def test_users_roles_and_hashes_are_checked_with_every_problem_reported() -> None:
    problems: list[str] = []
    good = hash_password("a long enough password")
    auth = auth_of(settings_with({"auth": {"users": {
        "hoa": {"role": "operator", "password_hash": good},
        "x": {"role": "root", "password_hash": "plain-text"},
        "y": {"role": "viewer", "password_hash": "env:IOC_TEST_UNSET_HASH"}},
        "proxy_header": "X-Remote-User"}}), problems)
    assert auth.users["hoa"] == User("hoa", "operator", good)
    assert len(problems) == 4, problems   # x: role and hash; y: unset variable; proxy without addresses
    assert any("root" in p for p in problems) and any("argon2" in p for p in problems)
    assert any("IOC_TEST_UNSET_HASH" in p for p in problems) and any("proxy_addresses" in p for p in problems)


def test_lockout_counts_failures_within_the_window() -> None:
    lock = Lockout(window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert lock.wait_s("user:a", 3, t) == 0
        lock.failed("user:a", t)
    assert lock.wait_s("user:a", 3, 3.0) == pytest.approx(57.0)
    assert lock.wait_s("user:b", 3, 3.0) == 0          # another name is not locked
    assert lock.wait_s("user:a", 3, 60.5) == 0         # the first failure left the window
    lock.forget("user:a")
    assert lock.failures == {}


@pytest.mark.parametrize(("method", "path", "remote", "need"), [
    ("GET", "/ops/", "10.0.0.9", None),
    ("GET", "/ops/static/js/main.js", "10.0.0.9", None),
    ("GET", "/ops/api/session", "10.0.0.9", None),
    ("POST", "/ops/api/login", "10.0.0.9", None),
    ("GET", "/ops/api/alerts", "10.0.0.9", "viewer"),
    ("GET", "/ops/events", "10.0.0.9", "viewer"),
    ("POST", "/ops/api/logout", "10.0.0.9", "viewer"),
    ("POST", "/ops/api/alerts/" + "a" * 32 + "/ack", "10.0.0.9", "operator"),
    ("POST", "/sql", "10.0.0.9", "admin"),
    ("POST", "/sql", "127.0.0.1", None),               # `ioc sql` on the machine itself
    ("POST", "/ingest/dvc", "10.0.0.9", None),         # bearer tokens, as before
    ("GET", "/metrics", "10.0.0.9", None),             # Prometheus scrapes it
])
def test_what_needs_which_role(method: str, path: str, remote: str, need: str | None) -> None:
    auth = Auth(AuthSettings(users={"a": User("a", "admin", hash_password("x" * 12))}))
    request = make_mocked_request(method, path)
    request = request.clone(remote=remote)
    assert auth.needs(request) == need


def test_only_the_configured_proxy_may_name_the_user() -> None:
    auth = Auth(AuthSettings(proxy_header="X-Remote-User", proxy_addresses=("10.0.0.5",)))
    named = make_mocked_request("GET", "/ops/api/alerts", headers={"X-Remote-User": "hoa"})
    assert auth.identify(named.clone(remote="10.0.0.5")) is not None
    assert auth.identify(named.clone(remote="10.0.0.6")) is None


def test_beyond_loopback_the_screens_need_users_or_a_proxy(tmp_path: Path) -> None:
    tokens = "".join(f'{s} = "token-of-{s}-0123456789"\n' for s in CONFIG.topology.sources)
    config = tmp_path / "config" / "pipeline.toml"
    config.parent.mkdir()
    os.symlink(CONFIG.settings.province_dir.parent, config.parent / "provinces")
    base = f'province = "lai-chau"\n[http]\nhost = "0.0.0.0"\n[ingest]\npseudonym_key = "generate"\n' \
           f"[ingest.tokens]\n{tokens}"
    config.write_text(base)
    with pytest.raises(RuntimeError, match=r"\[auth.users"):
        check_listen_policy(load_config(config))
    user = f'[auth.users.hoa]\nrole = "operator"\npassword_hash = "{hash_password("x" * 12)}"\n'
    config.write_text(base + user)
    check_listen_policy(load_config(config))   # accepted


@pytest.mark.parametrize("shipped", ["compose", "k8s"])
def test_the_shipped_deployments_start_beyond_loopback(shipped: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """0.0.0.0 with tokens and an admin whose hash comes from the environment."""
    for name in ("IOC_TOKEN_DVC", "IOC_TOKEN_EOFFICE", "IOC_TOKEN_POPULATION", "IOC_TOKEN_TELECOM",
                 "IOC_TOKEN_OFFICIAL766", "IOC_TOKEN_PORTAL766"):
        monkeypatch.setenv(name, f"{name.lower()}-0123456789")
    monkeypatch.setenv("IOC_PSEUDONYM_KEY", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("IOC_ADMIN_PASSWORD_HASH", hash_password("x" * 12))
    config = tmp_path / "config" / "pipeline.toml"
    config.parent.mkdir()
    os.symlink(CONFIG.settings.province_dir.parent, config.parent / "provinces")
    config.write_text((CONFIG.settings.root / "deploy" / shipped / "pipeline.toml").read_text())
    loaded = load_config(config)
    assert loaded.settings.http_host == "0.0.0.0" and loaded.auth.users["admin"].role == "admin"
    check_listen_policy(loaded)
