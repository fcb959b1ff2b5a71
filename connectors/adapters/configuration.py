"""The adapters' configuration (`[adapters.*]` in pipeline.toml, organs.csv, the counter profiles and
the cause table), read with every problem collected (ioc/config.py raises them all at once)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.adapters.base import Context
from connectors.adapters.causes import CauseTable, read_causes
from connectors.adapters.organs import load_organs
from connectors.adapters.profiles import Operator, PmProfiles, read_profiles
from connectors.adapters.registry import ADAPTERS
from contract.settings import PROJECT_ROOT, ConfigReader, Settings

ERROR_CODE_STYLES = ("int", "string", "string00")
# Without an [adapters.telecom.operators] table: the three national operators, VES passwords from
# IOC_VES_<OPERATOR>_PASSWORD (unset: their VES paths refuse), site ids as sent, the default profile.
DEFAULT_OPERATORS: dict[str, Any] = {
    name: {"ves_username": f"ves-{name}", "ves_password": f"env:IOC_VES_{name.upper()}_PASSWORD"}
    for name in ("viettel", "vnpt", "mobifone")
}
_OPERATOR = re.compile(r"[a-z][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class DvcqgLogin:
    username: str = ""
    password: str = ""  # empty: login refused, Bearer only
    session_ttl_s: float = 3600.0
    error_code_style: str = "int"


@dataclass(frozen=True)
class AdapterConfig:
    context: Context
    dvcqg: DvcqgLogin = field(default_factory=DvcqgLogin)
    inboxes: dict[str, Path] = field(default_factory=dict)  # adapter -> watched folder
    inbox_poll_s: float = 2.0
    inbox_batch_items: int = 500

    def ves_operator(self, username: str, password: str) -> str | None:
        """The operator whose VES credentials these are (constant-time compare), or None."""
        import hmac

        found = None
        for op in self.context.operators.values():
            if (
                op.ves_password
                and hmac.compare_digest(op.ves_username.encode(), username.encode())
                and hmac.compare_digest(op.ves_password.encode(), password.encode())
            ):
                found = op.name
        return found


def secret(value: Any) -> str:
    """A literal, or "env:NAME" read from the environment; unset reads as empty (refused), not an error."""
    if isinstance(value, str) and value.startswith("env:"):
        return os.environ.get(value[4:], "")
    return value if isinstance(value, str) else ""


def load_adapters(settings: Settings, problems: list[str]) -> AdapterConfig:
    top = settings.reader(problems).table("adapters")
    unknown = [k for k, v in top.data.items() if isinstance(v, dict) and k not in (*ADAPTERS, "telecom")]
    if unknown:
        problems.append(f"{top.where}: unknown adapter(s) {', '.join(unknown)}; known: {', '.join(ADAPTERS)}")
    d = top.table("dvcqg")
    procedures = d.get("full_online_procedures", str, "full-online-procedures.txt")
    style = d.get(
        "error_code_style", str, "int", lambda v: v in ERROR_CODE_STYLES, f"one of {ERROR_CODE_STYLES}"
    )
    login = DvcqgLogin(
        d.get("username", str, ""),
        secret(d.data.get("password", "")),
        d.get("session_ttl_s", float, 3600.0, lambda v: v > 0, "seconds > 0"),
        style,
    )
    telecom = top.table("telecom")
    profiles = _toml(settings, telecom, "pm_profiles", "config/telecom/pm-profiles.toml", problems)
    causes = _toml(settings, telecom, "alarm_causes", "config/telecom/alarm-causes.toml", problems)
    pm = read_profiles(profiles[0], profiles[1], problems) if profiles else PmProfiles()
    listed = telecom.table("operators")
    operators = _operators(listed if listed.data else ConfigReader(DEFAULT_OPERATORS, listed.where, problems),
                           pm, problems)
    context = Context(
        units=settings.units,
        organs=load_organs(settings.province_dir / "organs.csv", settings.units, problems),
        full_online_procedures=_procedures(settings.province_dir / procedures, problems),
        operators=operators,
        profiles=pm,
        causes=read_causes(causes[0], causes[1], problems) if causes else CauseTable(),
        max_record_bytes=settings.max_record_bytes,
        max_document_bytes={
            name: top.table(name).get(
                "max_document_bytes", int, default, lambda v: v >= 1 << 10, "bytes >= 1024"
            )
            for name, default in (("edxml", 64 << 20), ("meascollec", 16 << 20), ("portal766", 16 << 20))
        },
    )
    inboxes = {}
    for name in ADAPTERS:
        folder = top.table(name).get("inbox", str, "")
        if folder:
            inboxes[name] = settings.resolve(folder)
    return AdapterConfig(
        context,
        login,
        inboxes,
        inbox_poll_s=top.get("inbox_poll_s", float, 2.0, lambda v: v > 0, "seconds > 0"),
        inbox_batch_items=top.get("inbox_batch_items", int, 500, lambda v: v >= 1, "a positive integer"),
    )


def _toml(
    settings: Settings, table: ConfigReader, key: str, default: str, problems: list[str]
) -> tuple[dict[str, Any], str] | None:
    """A file the configuration names (relative to the installation), else the project's default."""
    path = settings.resolve(table.get(key, str, default), None if key in table.data else PROJECT_ROOT)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path.name
    except (OSError, tomllib.TOMLDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return None


def _procedures(path: Path, problems: list[str]) -> frozenset[str]:
    """One MaTTHC a line (`#` comments); no file: no procedure is fully online."""
    if not path.exists():
        return frozenset()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        problems.append(f"{path}: {exc}")
        return frozenset()
    return frozenset(x.split("#", 1)[0].strip() for x in lines if x.split("#", 1)[0].strip())


def _operators(table: ConfigReader, profiles: PmProfiles, problems: list[str]) -> dict[str, Operator]:
    out = {}
    for name in table.data:
        r = table.table(name)
        if not _OPERATOR.fullmatch(name):
            problems.append(f"{r.where}: an operator name of lower-case letters, digits, - or _")
        pattern = r.get("site_regex", str, "")
        compiled = None
        if pattern:
            try:
                compiled = re.compile(pattern)
                if "site" not in compiled.groupindex:
                    problems.append(f"{r.where}: site_regex needs a named group (?P<site>...)")
            except re.error as exc:
                problems.append(f"{r.where}: site_regex {pattern!r}: {exc}")
        template = r.get("site_id_template", str, "{site}", lambda v: "{site}" in v, 'a text with "{site}"')
        profile = r.get(
            "pm_profile",
            str,
            "default",
            lambda v: v in profiles.profiles,
            f"one of the profiles {sorted(profiles.profiles)}",
        )
        out[name] = Operator(
            name,
            r.get("ves_username", str, ""),
            secret(r.data.get("ves_password", "")),
            compiled,
            template,
            profile,
        )
    return out
