"""Load and validate the declarative configuration in config/ (every error reported at once)."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ioc.errors import ConfigError
from ioc.alert_rules import load_alert_rules
from ioc.index_rules import SuppliedFigures, load_rules, load_supplied
from ioc.units import UnitRegistry, load_units
from streams.alerts import AlertRule
from streams.kpis.index766 import Rules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "pipeline.toml"
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class BrokerSettings:
    bootstrap_servers: tuple[str, ...]
    security_protocol: str
    sasl_mechanism: str
    sasl_username: str
    sasl_password_env: str
    ssl_cafile: str

    @property
    def embedded(self) -> bool:
        return not self.bootstrap_servers


@dataclass(frozen=True)
class Settings:
    config_path: Path
    root: Path
    province_dir: Path
    state_dir: Path
    broker: BrokerSettings
    partitions: int
    replication_factor: int
    http_host: str
    http_port: int
    max_body_bytes: int
    requests_per_s: float           # per source token; bursts up to twice that
    max_record_bytes: int
    future_tolerance_s: float
    tokens: dict[str, str]
    pseudonym_key: str             # HMAC secret for personal ids in identity fields, or "generate"
    worker_count: int
    fetch_max_wait_ms: int
    batch_max: int
    batch_within_s: float
    live_interval_s: float
    late_after_days: float          # how late a record may arrive and still move KPIs (horizon.py)
    duckdb_path: Path
    query_port: int
    sink_batch_max: int
    sink_batch_wait_ms: int
    units: UnitRegistry = field(repr=False)
    index_rules: Rules | None = field(default=None, repr=False)
    supplied: SuppliedFigures = field(default_factory=lambda: SuppliedFigures(()), repr=False)
    alert_rules: list[AlertRule] = field(default_factory=list, repr=False)

    @property
    def late_us(self) -> int:
        return int(self.late_after_days * 86_400_000_000)

    @property
    def http_url(self) -> str:
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "") else self.http_host
        return f"http://{host}:{self.http_port}"


class _Reader:
    """Typed access to one TOML table that records problems instead of raising."""

    def __init__(self, data: dict[str, Any], where: str, problems: list[str]) -> None:
        self.data, self.where, self.problems = data, where, problems

    def table(self, key: str) -> "_Reader":
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"{self.where}: [{key}] must be a table")
            value = {}
        return _Reader(value, self.where + f" [{key}]", self.problems)

    def get(self, key: str, kind: type, default: Any, check: Any = None, hint: str = "") -> Any:
        value = self.data.get(key, default)
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if ok and check is not None and not check(value):
            ok = False
        if not ok:
            self.problems.append(f"{self.where}: {key} = {value!r}: {hint or 'expected ' + kind.__name__}")
            return default
        return value


def _port(v: int) -> bool:
    return 0 < v < 65536


def load_settings(config_path: Path | str | None = None) -> Settings:
    """Read pipeline.toml and the province files; raise ConfigError listing every problem."""
    path = Path(config_path or os.environ.get("IOC_CONFIG") or DEFAULT_CONFIG).resolve()
    problems: list[str] = []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"{path}: {exc}"]) from exc
    root = path.parent.parent if path.parent.name == "config" else path.parent
    top = _Reader(data, path.name, problems)
    b, t, h, i, w, s, k = (top.table(n) for n in ("broker", "topics", "http", "ingest", "workers", "sink", "kpi"))
    broker = BrokerSettings(
        bootstrap_servers=tuple(b.get("bootstrap_servers", list, [], lambda v: all(isinstance(x, str) and ":" in x for x in v), "a list of host:port strings")),
        security_protocol=b.get("security_protocol", str, "PLAINTEXT", lambda v: v in SECURITY_PROTOCOLS, f"one of {SECURITY_PROTOCOLS}"),
        sasl_mechanism=b.get("sasl_mechanism", str, "", lambda v: v in SASL_MECHANISMS, f"one of {SASL_MECHANISMS}"),
        sasl_username=b.get("sasl_username", str, ""),
        sasl_password_env=b.get("sasl_password_env", str, "IOC_KAFKA_PASSWORD"),
        ssl_cafile=b.get("ssl_cafile", str, ""),
    )
    if broker.security_protocol.startswith("SASL") and not broker.sasl_mechanism:
        problems.append(f"{path.name} [broker]: sasl_mechanism is required with {broker.security_protocol}")
    province = top.get("province", str, "", lambda v: bool(v), "the name of a folder under config/provinces/")
    province_dir = root / "config" / "provinces" / province
    state_dir = _resolve(root, top.get("state_dir", str, "var"))
    tokens = i.table("tokens")
    token_map = {k: _token(v, f"{tokens.where}: {k}", problems) for k, v in tokens.data.items()}
    units = load_units(province_dir, problems) if province else None
    x = top.table("index766")   # without it: the rules shipped with the project, no supplied figures
    rules = load_rules(_resolve(root if "rules" in x.data else PROJECT_ROOT,
                                x.get("rules", str, "config/index766/portal-2025.toml")), problems)
    supplied = load_supplied(_resolve(root if "supplied" in x.data else PROJECT_ROOT,
                                      x.get("supplied", str, "config/index766/supplied.toml")), rules, problems)
    a = top.table("alerts")
    alert_rules = load_alert_rules(_resolve(root if "rules" in a.data else PROJECT_ROOT,
                                            a.get("rules", str, "config/alerts.toml")), catalogue_kpis(rules), problems)
    settings = Settings(
        config_path=path, root=root, province_dir=province_dir, state_dir=state_dir, broker=broker,
        partitions=t.get("partitions", int, 4, lambda v: 1 <= v <= 256, "an integer 1..256"),
        replication_factor=t.get("replication_factor", int, 1, lambda v: 1 <= v <= 16, "an integer 1..16"),
        http_host=h.get("host", str, "127.0.0.1"),
        http_port=h.get("port", int, 8480, _port, "a port 1..65535"),
        max_body_bytes=h.get("max_body_bytes", int, 64 << 20, lambda v: v >= 1 << 20, "at least 1048576"),
        requests_per_s=h.get("requests_per_s", float, 50.0, lambda v: v > 0, "requests per second > 0"),
        max_record_bytes=i.get("max_record_bytes", int, 1 << 20, lambda v: v > 0, "a positive integer"),
        future_tolerance_s=i.get("future_tolerance_s", float, 600.0, lambda v: v >= 0, "seconds >= 0"),
        tokens={k: v for k, v in token_map.items() if v},
        pseudonym_key=_pseudonym_key(i.data.get("pseudonym_key"), f"{i.where}: pseudonym_key", problems),
        worker_count=w.get("count", int, 1, lambda v: 1 <= v <= 64, "an integer 1..64"),
        fetch_max_wait_ms=w.get("fetch_max_wait_ms", int, 10, lambda v: 1 <= v <= 5000, "1..5000 ms"),
        batch_max=w.get("batch_max", int, 2000, lambda v: v >= 1, "a positive integer"),
        batch_within_s=w.get("batch_within_s", float, 0.05, lambda v: v > 0, "seconds > 0"),
        live_interval_s=w.get("live_interval_s", float, 5.0, lambda v: v > 0, "seconds > 0"),
        late_after_days=k.get("late_after_days", float, 400.0, lambda v: v >= 1, "days >= 1"),
        duckdb_path=_resolve(state_dir, s.get("duckdb_path", str, "ioc.duckdb")),
        query_port=s.get("query_port", int, 8481, _port, "a port 1..65535"),
        sink_batch_max=s.get("batch_max_records", int, 5000, lambda v: v >= 1, "a positive integer"),
        sink_batch_wait_ms=s.get("batch_max_wait_ms", int, 200, lambda v: v >= 1, "a positive integer"),
        units=units,  # type: ignore[arg-type]
        index_rules=rules, supplied=supplied, alert_rules=alert_rules,
    )
    if settings.http_port == settings.query_port:
        problems.append(f"{path.name}: [http] port and [sink] query_port must differ")
    if problems:
        raise ConfigError(problems)
    return settings


def catalogue_kpis(rules: Rules | None) -> set[str]:
    """Every KPI name the pipeline emits (alert rules may watch any of them)."""
    from streams.kpis.registry import KPIS
    names = {row[0] for k in KPIS.values() for f in k.families for row in f.kpis(_zeros(f))}
    if rules is not None:
        names |= {"index766.total"} | {f"index766.group.{g.code}" for g in rules.groups}
    return names


def _zeros(family: Any) -> list[Any]:
    return [] if family.samples else [0] * family.size


def _resolve(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def _pseudonym_key(value: Any, where: str, problems: list[str]) -> str:
    """The population connector refuses to start without a key: "generate", "env:NAME" or a secret."""
    if value == "generate":
        return value
    key = _token(value, where, problems) if value is not None else ""
    if value is None:
        problems.append(f"{where}: required by the population connector (\"generate\", \"env:NAME\" or a secret)")
    elif key and len(key) < 16:
        problems.append(f"{where}: a secret of at least 16 characters")
    return key


def _token(value: Any, where: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: a token string or \"env:NAME\"")
        return ""
    if value.startswith("env:"):
        resolved = os.environ.get(value[4:], "")
        if not resolved:
            problems.append(f"{where}: environment variable {value[4:]} is not set")
        return resolved
    return value
