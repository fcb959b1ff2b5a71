"""`ioc backup DIR` (while the pipeline runs) and `ioc backup --restore DIR` (into a stopped one).

A backup is the DuckDB store copied by the sink between two batches, the snapshots of a checkpoint
taken just before, and the generated secrets (ingest tokens, the pseudonym key: without the same key,
the same citizen would get another pseudonym). A fresh installation restored from it starts from
those snapshots and the archive after them: the same KPIs, the same duplicates recognised.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from contract.settings import Settings
from ioc.client import call
from sinks.archive import open_exclusive
from streams.engine.checkpoints import write_json

SECRETS = ("tokens.json", "secrets.json")


def create(settings: Settings, to: Path) -> int:
    to = to.resolve()
    if to.exists() and any(to.iterdir()):
        print(f"error: {to} is not empty", file=sys.stderr)
        return 2
    started = time.perf_counter()
    code, answer = call(f"{settings.http_url}/barrier", "POST", orjson.dumps({"checkpoint": True}))
    if code != 200 or not _wait(settings, answer["barrier"]):
        print(f"error: no checkpoint could be taken: {answer}", file=sys.stderr)
        return 1
    code, copied = call(
        f"http://127.0.0.1:{settings.query_port}/backup", "POST", orjson.dumps({"to": str(to)})
    )
    if code != 200:
        print(f"error: the sink could not copy the store: {copied}", file=sys.stderr)
        return 1
    for name in SECRETS:
        if (settings.state_dir / name).exists():
            shutil.copy2(settings.state_dir / name, to / name)  # keeps mode 0600
    write_json(
        to / "manifest.json",
        {
            **copied,
            "province": settings.units.province.code,
            "created_at": time.time(),
            "secrets": list(SECRETS),
        },
    )
    print(
        f"backup in {to}: {copied['database']} ({copied['bytes'] / 2**20:,.1f} MiB), checkpoint "
        f"{copied['checkpoint']} with {copied['snapshots']} snapshots, secrets; "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def _wait(settings: Settings, barrier: str, timeout_s: float = 600) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code, answer = call(f"{settings.http_url}/barrier/{barrier}")
        if code == 200 and answer.get("complete"):
            return True
        time.sleep(0.3)
    return False


def restore(settings: Settings, sources: list[str], source: Path, force: bool) -> int:
    manifest = _manifest(source)
    if manifest is None:
        print(f"error: {source} holds no backup (manifest.json)", file=sys.stderr)
        return 2
    if manifest.get("province") != settings.units.province.code:
        print(
            f"error: the backup is of province {manifest.get('province')}, this installation's is "
            f"{settings.units.province.code}",
            file=sys.stderr,
        )
        return 2
    if settings.duckdb_path.exists() and not force:
        print(f"error: {settings.duckdb_path} exists: --force replaces it", file=sys.stderr)
        return 2
    if settings.duckdb_path.exists():
        open_exclusive(settings.duckdb_path, sources, settings.units.timezone.key).close()  # not running
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / manifest["database"], settings.duckdb_path)
    shutil.rmtree(settings.checkpoint_dir, ignore_errors=True)
    if (source / "checkpoints").exists():
        shutil.copytree(source / "checkpoints", settings.checkpoint_dir)
    for name in manifest.get("secrets", []):
        if (source / name).exists():
            shutil.copy2(source / name, settings.state_dir / name)
    print(
        f"restored {settings.duckdb_path} and checkpoint {manifest.get('checkpoint')} from {source}; "
        "`ioc run` starts from it"
    )
    return 0


def _manifest(source: Path) -> dict[str, Any] | None:
    try:
        data = orjson.loads((source / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
