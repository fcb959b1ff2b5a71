"""Per-source bearer tokens for POST /ingest/<source>: configured, or generated once."""
from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import orjson


def load_tokens(configured: dict[str, str], sources: list[str], state_dir: Path) -> dict[str, str]:
    """Configured tokens win; missing ones are generated into <state_dir>/tokens.json (mode 0600)."""
    path = state_dir / "tokens.json"
    stored: dict[str, str] = orjson.loads(path.read_bytes()) if path.exists() else {}
    tokens = {s: configured.get(s) or stored.get(s) or secrets.token_urlsafe(24) for s in sources}
    generated = {s: t for s, t in tokens.items() if s not in configured}
    if generated != stored:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(generated, option=orjson.OPT_INDENT_2))
    return tokens


def read_token(configured: dict[str, str], source: str, state_dir: Path) -> str | None:
    if source in configured:
        return configured[source]
    path = state_dir / "tokens.json"
    return orjson.loads(path.read_bytes()).get(source) if path.exists() else None


def authorize(tokens: dict[str, str], source: str, presented: str) -> int:
    """200 for the source's own token, 403 for another source's, 401 otherwise (constant time)."""
    verdict = 401
    for name, token in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            verdict = 200 if name == source else 403
    return verdict


def load_pseudonym_key(setting: str, state_dir: Path) -> bytes:
    """The configured secret, or one generated once into <state_dir>/secrets.json (mode 0600)."""
    if setting != "generate":
        return setting.encode()
    path = state_dir / "secrets.json"
    stored = orjson.loads(path.read_bytes()) if path.exists() else {}
    if "pseudonym_key" not in stored:
        stored["pseudonym_key"] = secrets.token_hex(32)
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(stored, option=orjson.OPT_INDENT_2))
    return str(stored["pseudonym_key"]).encode()
