"""Operators log in to the ops screens: users of the configuration (`[auth.users.<name>]`, argon2
password hashes from `ioc passwd`) with a role (viewer < operator < admin), or the user a trusted
reverse proxy names in a header (only from the proxy's own addresses).

Without users and without a proxy header the screens are open, which `ioc run` allows on loopback
only (ioc/supervisor.py check_listen_policy). Otherwise the screens' data (`/ops/api/...`,
`/ops/events`) needs a session: a random id in an HttpOnly, SameSite=Strict cookie (Secure over
TLS), kept in this process (a restart logs everyone out). Every write also carries the session's
CSRF token in `X-CSRF-Token`; acknowledging an alert needs the operator role. Failed log-ins lock a
user name, and separately an address, for `lockout_minutes` after `max_failures`. The ingest
endpoints keep their bearer tokens; `/sql` and barriers from beyond loopback need an admin.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from contract.settings import Settings

ROLES = ("viewer", "operator", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}
COOKIE = "ioc_session"
CSRF_HEADER = "X-CSRF-Token"
USER_KEY = "ioc.user"        # request[USER_KEY]: the Identity the request was made by
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash(secrets.token_hex(16))   # unknown names cost the same time as known ones
MAX_KEYS = 10_000             # failure counters kept before the expired ones are swept
HASH_HINT = 'an argon2 hash from `ioc passwd`, or "env:NAME"'
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def hash_password(password: str) -> str:
    """An argon2id hash for `[auth.users.<name>] password_hash` (`ioc passwd`)."""
    return _HASHER.hash(password)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str


@dataclass(frozen=True)
class AuthSettings:
    users: dict[str, User] = field(default_factory=dict)
    session_s: float = 12 * 3600
    max_failures: int = 5             # per user name, within lockout_s
    max_address_failures: int = 20    # per client address, within lockout_s
    lockout_s: float = 15 * 60
    proxy_header: str = ""            # e.g. "X-Remote-User"; trusted from proxy_addresses only
    proxy_addresses: tuple[str, ...] = ()
    proxy_role: str = "viewer"        # of a proxy-named user not listed in users

    @property
    def enabled(self) -> bool:
        return bool(self.users or self.proxy_header)


def auth_of(settings: Settings, problems: list[str]) -> AuthSettings:
    """`[auth]` and `[auth.users.<name>]`, every problem reported."""
    a = settings.reader(problems).table("auth")
    users = {}
    table = a.table("users")
    for name in table.data:
        u = table.table(name)
        role = u.get("role", str, "viewer", lambda v: v in ROLES, f"one of {ROLES}")
        hashed = _secret(u.get("password_hash", str, "", bool, HASH_HINT), f"{u.where}: password_hash",
                         problems)
        if hashed and not hashed.startswith("$argon2"):
            problems.append(f"{u.where}: password_hash is not an argon2 hash (`ioc passwd` makes one)")
        users[name] = User(name, role, hashed)
    proxies = a.get("proxy_addresses", list, [], _addresses, "a list of IP addresses")
    header = a.get("proxy_header", str, "")
    if header and not proxies:
        problems.append(f"{a.where}: proxy_header needs proxy_addresses (the proxy's own addresses)")
    return AuthSettings(
        users=users,
        session_s=a.get("session_hours", float, 12.0, lambda v: 0 < v <= 24 * 30, "hours > 0") * 3600,
        max_failures=a.get("max_failures", int, 5, lambda v: v >= 1, "a positive integer"),
        max_address_failures=a.get("max_address_failures", int, 20, lambda v: v >= 1, "a positive integer"),
        lockout_s=a.get("lockout_minutes", float, 15.0, lambda v: v > 0, "minutes > 0") * 60,
        proxy_header=header,
        proxy_addresses=tuple(proxies),
        proxy_role=a.get("proxy_role", str, "viewer", lambda v: v in ROLES, f"one of {ROLES}"),
    )


def _addresses(values: list[Any]) -> bool:
    try:
        return all(isinstance(v, str) and ipaddress.ip_address(v) for v in values)
    except ValueError:
        return False


def _secret(value: str, where: str, problems: list[str]) -> str:
    if not value.startswith("env:"):
        return value
    resolved = os.environ.get(value[4:], "")
    if not resolved:
        problems.append(f"{where}: environment variable {value[4:]} is not set")
    return resolved


class Lockout:
    """Failed log-ins per key (a user name, an address) within a window; pure, clock passed in."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self.failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self.failures.get(key, []) if t > now - self.window_s]
        if kept:
            self.failures[key] = kept
        else:
            self.failures.pop(key, None)
        return kept

    def wait_s(self, key: str, limit: int, now: float) -> float:
        """0 when the key may try; else the seconds until its oldest counted failure expires."""
        recent = self._recent(key, now)
        return 0.0 if len(recent) < limit else recent[-limit] + self.window_s - now

    def failed(self, key: str, now: float) -> None:
        self.failures.setdefault(key, []).append(now)
        if len(self.failures) > MAX_KEYS:   # many names tried: forget those out of the window
            for k in list(self.failures):
                self._recent(k, now)

    def forget(self, key: str) -> None:
        self.failures.pop(key, None)


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    via: str          # session | proxy
    session: str = ""


class Auth:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self.sessions: dict[str, tuple[Identity, float]] = {}   # id -> (who, expires)
        self.lockout = Lockout(settings.lockout_s)
        self._key = secrets.token_bytes(32)

    # -- who is asking --------------------------------------------------------------------------
    def identify(self, request: web.Request) -> Identity | None:
        s = self.settings
        if s.proxy_header and request.remote in s.proxy_addresses:
            name = request.headers.get(s.proxy_header, "").strip()
            if name:
                user = s.users.get(name)
                return Identity(name, user.role if user else s.proxy_role, "proxy")
        sid = request.cookies.get(COOKIE, "")
        entry = self.sessions.get(sid)
        if entry is None:
            return None
        if entry[1] < time.time():
            del self.sessions[sid]
            return None
        return entry[0]

    def csrf(self, who: Identity) -> str:
        subject = f"{who.via}:{who.session or who.user}".encode()
        return hmac.new(self._key, subject, hashlib.sha256).hexdigest()

    def _secure(self, request: web.Request) -> bool:
        proxied = request.remote in self.settings.proxy_addresses
        return request.secure or (proxied and request.headers.get("X-Forwarded-Proto") == "https")

    # -- the gate -------------------------------------------------------------------------------
    def needs(self, request: web.Request) -> str | None:
        """The role a request needs (None: open to anyone)."""
        path = request.path
        if path in ("/ops/api/session", "/ops/api/login"):
            return None
        if path.startswith("/ops/api/") or path == "/ops/events":
            return "viewer" if request.method in ("GET", "HEAD") or path == "/ops/api/logout" else "operator"
        if (path == "/sql" or path.startswith("/barrier")) and not _loopback(request.remote):
            return "admin"
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.settings.enabled:
            return await handler(request)
        need = self.needs(request)
        if need is None:
            return await handler(request)
        who = self.identify(request)
        if who is None:
            return _json({"error": "log in first", "login": True}, 401)
        if RANK[who.role] < RANK[need]:
            return _json({"error": f"the {need} role is needed for this"}, 403)
        writes = request.method not in ("GET", "HEAD")
        if writes and not hmac.compare_digest(request.headers.get(CSRF_HEADER, ""), self.csrf(who)):
            return _json({"error": f"missing or wrong {CSRF_HEADER}: reload the page"}, 403)
        request[USER_KEY] = who
        return await handler(request)

    # -- log-in, log-out, who am I --------------------------------------------------------------
    def routes(self, prefix: str) -> list[web.RouteDef]:
        return [web.get(f"{prefix}/session", self.session), web.post(f"{prefix}/login", self.login),
                web.post(f"{prefix}/logout", self.logout)]

    def _me(self, who: Identity) -> dict[str, Any]:
        return {"mode": who.via, "user": who.user, "role": who.role, "csrf": self.csrf(who)}

    async def session(self, request: web.Request) -> web.Response:
        if not self.settings.enabled:
            return _json({"mode": "open", "user": None, "role": "operator", "csrf": ""})
        who = self.identify(request)
        return _json(self._me(who)) if who else _json({"mode": "login", "error": "log in first"}, 401)

    async def login(self, request: web.Request) -> web.Response:
        if not self.settings.users:
            return _json({"error": "no users are configured here"}, 404)
        try:
            body = await request.json(loads=orjson.loads)
        except ValueError:
            body = None
        name = str(body.get("user", "")).strip()[:80] if isinstance(body, dict) else ""
        password = str(body.get("password", "")) if isinstance(body, dict) else ""
        keys = ((f"user:{name}", self.settings.max_failures),
                (f"addr:{request.remote}", self.settings.max_address_failures))
        now = time.time()
        wait = max(self.lockout.wait_s(k, limit, now) for k, limit in keys)
        if wait > 0:
            return _json({"error": "too many failed log-ins", "retry_after_s": round(wait)}, 429,
                         {"Retry-After": str(int(wait) + 1)})
        user = self.settings.users.get(name)
        matches = await asyncio.to_thread(_verify, user.password_hash if user else _DUMMY, password)
        if user is None or not matches:
            for key, _ in keys:
                self.lockout.failed(key, now)
            return _json({"error": "wrong user name or password"}, 401)
        self.lockout.forget(keys[0][0])
        self.sessions = {k: v for k, v in self.sessions.items() if v[1] > now}   # the expired go
        sid = secrets.token_urlsafe(32)
        who = Identity(user.name, user.role, "session", sid)
        self.sessions[sid] = (who, now + self.settings.session_s)
        response = _json(self._me(who))
        response.set_cookie(COOKIE, sid, path="/", httponly=True, samesite="Strict",
                            secure=self._secure(request), max_age=int(self.settings.session_s))
        return response

    async def logout(self, request: web.Request) -> web.Response:
        who: Identity | None = request.get(USER_KEY)
        if who is not None and who.session:
            self.sessions.pop(who.session, None)
        response = _json({"mode": "login"})
        response.del_cookie(COOKIE, path="/")
        return response


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json",
                        headers={"Cache-Control": "no-store", **(headers or {})})
