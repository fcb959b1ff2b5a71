"""What the adapter tests share: the configuration of the spec's worked examples (Lai Châu defaults,
with the illustrative organ code `000.00.04.H35` for 12.STP), running a document through an adapter
and the target source's real Validator, and the messages that would be published."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from connectors.adapters.base import Context, Meta
from connectors.adapters.configuration import AdapterConfig, load_adapters
from connectors.adapters.organs import Organs
from connectors.adapters.registry import ADAPTERS
from connectors.dedup import IdentityIndex
from connectors.ingest import Prepared, Validator
from connectors.registry import SOURCES
from contract.settings import DEFAULT_CONFIG, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
WIRE = ROOT / "examples" / "wire"
EXPECTED = Path(__file__).resolve().parent / "unit" / "adapters" / "expected"
MEAS_FILE = "A20261120.0000+0700-0015+0700_LCU0123.xml"
STP_ORGAN = "000.00.04.H35"  # the spec's illustrative code for 12.STP (2.4)
# after every worked example's event times (the latest: 2026-11-25), so nothing is future_time
RECEIVED = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
VES_PASSWORD = "ves-secret-for-tests"
DVCQG_PASSWORD = "dvcqg-secret-for-tests"

# [adapters] of the integration tests: a login and a VES password
PIPELINE_CONFIG = f"""[adapters.dvcqg]
username = "motcua-laichau"
password = "{DVCQG_PASSWORD}"
[adapters.telecom.operators.viettel]
ves_username = "ves-viettel"
ves_password = "{VES_PASSWORD}"
[adapters.telecom.operators.vnpt]
ves_username = "ves-vnpt"
ves_password = "env:IOC_TEST_VNPT_UNSET"
"""


@cache
def settings() -> Settings:
    return load_settings(DEFAULT_CONFIG)


@cache
def adapter_config() -> AdapterConfig:
    problems: list[str] = []
    config = load_adapters(settings(), problems)
    assert problems == [], problems
    return config


def context() -> Context:
    """Lai Châu defaults plus the example's organ code for the Department of Justice, and the 766
    rules' catalogue (portal766), as ioc/config.py composes them."""
    from ioc.config import catalogue_of
    from streams.kpis.index766.rules import load_rules

    ctx = adapter_config().context
    organs = Organs({**ctx.organs.by_id, STP_ORGAN: "12.STP"}, dict(ctx.organs.by_name))
    rules = load_rules(ROOT / "config" / "index766" / "portal-2025.toml", [])
    assert rules is not None
    return replace(ctx, organs=organs, catalogue=catalogue_of(rules))


def fill_stp_code(province_dir: Path) -> None:
    """The same in a pipeline's own copy of the province folder (tests/harness.py copies it)."""
    path = province_dir / "organs.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",12.STP,", f"{STP_ORGAN},12.STP,", 1), encoding="utf-8"
    )


def validator(adapter: str, index: IdentityIndex | None = None) -> Validator:
    s = settings()
    return Validator(
        SOURCES[ADAPTERS[adapter].target],
        s.units,
        index or IdentityIndex(),
        s.max_record_bytes,
        s.future_tolerance_s,
        b"k" * 32,
    )


def run(
    adapter: str,
    body: bytes,
    meta: Meta | None = None,
    *,
    index: IdentityIndex | None = None,
    ctx: Context | None = None,
    received: datetime = RECEIVED,
) -> Prepared:
    """The document through the adapter and its source's validation; identities committed."""
    v = validator(adapter, index)
    read = ADAPTERS[adapter].read(body, meta or Meta(), ctx or context())
    prepared = v.prepare_mapped(adapter, read, received)
    v.index.commit(ADAPTERS[adapter].target, prepared.identities)
    return prepared


def raw_records(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if ".raw." in m.topic]


def dead_letters(prepared: Prepared) -> list[dict[str, Any]]:
    return [orjson.loads(m.value) for m in prepared.messages if ".dlq." in m.topic]


def counts(prepared: Prepared) -> dict[str, Any]:
    """0.3's counts of one request, as the HTTP answer gives them."""
    from gateway.adapters import answer

    assert prepared.adapter is not None
    return answer(prepared.adapter, prepared.result)


def expected(name: str) -> list[dict[str, Any]]:
    return list(orjson.loads((EXPECTED / name).read_bytes()))


def example(name: str) -> bytes:
    return (WIRE / name).read_bytes()


def meta_of(adapter: str) -> Meta:
    return {"meascollec": Meta("viettel", MEAS_FILE), "ves": Meta("viettel")}.get(adapter, Meta())


def spec_path() -> Path | None:
    """The shared spec beside the repository (a developer's machine and CI have it), if present."""
    for candidate in (
        ROOT.parent / "shared" / "spec" / "wire-formats.md",
        Path(os.environ.get("IOC_WIRE_SPEC", "/nonexistent")),
    ):
        if candidate.exists():
            return candidate
    return None
