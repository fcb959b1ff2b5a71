"""The pipeline's settings from config/pipeline.toml and the province folder, validated with every
problem collected (the composition root, ioc/config.py, adds the features' own configuration and
raises them all at once)."""
from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from contract.errors import ConfigError
from contract.units import NO_UNITS, UnitRegistry, load_units

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
    embedded: bool   # no cluster configured: `ioc run` starts Tansu and hands its address on (at())

    def at(self, address: str) -> BrokerSettings:
        """The same settings for the broker at `address` (host:port[,host:port...])."""
        return replace(self, bootstrap_servers=tuple(address.split(",")))


@dataclass(frozen=True)
class Settings:
    config_path: Path
    root: Path
    province_dir: Path
    state_dir: Path
    broker: BrokerSettings
    namespace: str                  # prefixes every topic and group (several installations on one cluster)
    broker_rotate_mib: int          # the embedded broker is replaced by a fresh one past this RSS (0: never)
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
    coalesce_s: float               # a stage behind its input flushes at most this often (fewer KPI messages)
    checkpoint_dir: Path            # stage snapshots (streams/engine/checkpoints.py)
    checkpoint_interval_s: float    # the gateway injects a checkpoint barrier this often while records flow
    late_after_days: float          # how late a record may arrive and still move KPIs (horizon.py)
    duckdb_path: Path
    query_port: int
    sink_batch_max: int
    sink_batch_wait_ms: int
    units: UnitRegistry = field(repr=False)
    tables: dict[str, Any] = field(default_factory=dict, repr=False)   # the whole TOML: features read theirs

    def with_broker(self, address: str) -> Settings:
        """These settings for the broker at `address` (the embedded one, once started)."""
        return replace(self, broker=self.broker.at(address))

    def reader(self, problems: list[str]) -> ConfigReader:
        """Typed access to the configuration's tables, for a feature's own keys."""
        return ConfigReader(self.tables, self.config_path.name, problems)

    def resolve(self, value: str, default_base: Path | None = None) -> Path:
        """A path from the configuration: relative to the installation root (or `default_base`)."""
        return _resolve(default_base or self.root, value)

    @property
    def late_us(self) -> int:
        return int(self.late_after_days * 86_400_000_000)

    @property
    def http_url(self) -> str:
        host = "127.0.0.1" if self.http_host in ("0.0.0.0", "") else self.http_host
        return f"http://{host}:{self.http_port}"


class ConfigReader:
    """Typed access to one TOML table that records problems instead of raising."""

    def __init__(self, data: dict[str, Any], where: str, problems: list[str]) -> None:
        self.data, self.where, self.problems = data, where, problems

    def table(self, key: str) -> ConfigReader:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"{self.where}: [{key}] must be a table")
            value = {}
        return ConfigReader(value, self.where + f" [{key}]", self.problems)

    def get(self, key: str, kind: type, default: Any, check: Callable[[Any], bool] | None = None,
            hint: str = "") -> Any:
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


NAMESPACE_HINT = "lower-case letters, digits, - or _, at most 40, starting with a letter or digit"


def _namespace(v: str) -> bool:
    """Kafka's topic characters without the dot (the separator before the contract's name)."""
    return v == "" or re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", v) is not None


def _port(v: int) -> bool:
    return 0 < v < 65536


def config_path(given: Path | str | None = None) -> Path:
    return Path(given or os.environ.get("IOC_CONFIG") or DEFAULT_CONFIG).resolve()


def installation_root(path: Path) -> Path:
    """The folder that holds config/ (relative paths of the configuration start there)."""
    return path.parent.parent if path.parent.name == "config" else path.parent


def load_settings(given: Path | str | None = None, problems: list[str] | None = None) -> Settings:
    """Read pipeline.toml and the province files. Every problem found is appended to `problems`;
    without that list, they are raised (ConfigError) at the end. An unreadable file raises at once."""
    if problems is None:
        found: list[str] = []
        settings = load_settings(given, found)
        if found:
            raise ConfigError(found)
        return settings
    path = config_path(given)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"{path}: {exc}"]) from exc
    root = installation_root(path)
    top = ConfigReader(data, path.name, problems)
    tables = ("broker", "topics", "http", "ingest", "workers", "sink", "kpi", "checkpoints")
    b, t, h, i, w, s, k, c = (top.table(n) for n in tables)
    broker = BrokerSettings(
        bootstrap_servers=tuple(
            b.get(
                "bootstrap_servers",
                list,
                [],
                lambda v: all(isinstance(x, str) and ":" in x for x in v),
                "a list of host:port strings",
            )
        ),
        security_protocol=b.get(
            "security_protocol",
            str,
            "PLAINTEXT",
            lambda v: v in SECURITY_PROTOCOLS,
            f"one of {SECURITY_PROTOCOLS}",
        ),
        sasl_mechanism=b.get(
            "sasl_mechanism", str, "", lambda v: v in SASL_MECHANISMS, f"one of {SASL_MECHANISMS}"
        ),
        sasl_username=b.get("sasl_username", str, ""),
        sasl_password_env=b.get("sasl_password_env", str, "IOC_KAFKA_PASSWORD"),
        ssl_cafile=b.get("ssl_cafile", str, ""),
        embedded=not b.data.get("bootstrap_servers"),
    )
    if broker.security_protocol.startswith("SASL") and not broker.sasl_mechanism:
        problems.append(f"{path.name} [broker]: sasl_mechanism is required with {broker.security_protocol}")
    province = top.get("province", str, "", lambda v: bool(v), "the name of a folder under config/provinces/")
    province_dir = root / "config" / "provinces" / province
    state_dir = _resolve(root, top.get("state_dir", str, "var"))
    tokens = i.table("tokens")
    token_map = {k: _token(v, f"{tokens.where}: {k}", problems) for k, v in tokens.data.items()}
    units = load_units(province_dir, problems) if province else None
    settings = Settings(
        config_path=path,
        root=root,
        province_dir=province_dir,
        state_dir=state_dir,
        broker=broker,
        namespace=top.table("kafka").get("namespace", str, "", _namespace, NAMESPACE_HINT),
        broker_rotate_mib=b.get(
            "rotate_above_mib", int, 1024, lambda v: v == 0 or v >= 16, "0 or >= 16 (MiB)"
        ),
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
        coalesce_s=w.get("coalesce_s", float, 3.0, lambda v: 0 < v <= 60, "seconds in (0, 60]"),
        checkpoint_dir=_resolve(state_dir, c.get("directory", str, "checkpoints")),
        checkpoint_interval_s=c.get("interval_s", float, 60.0, lambda v: v >= 1, "seconds >= 1"),
        late_after_days=k.get("late_after_days", float, 400.0, lambda v: v >= 1, "days >= 1"),
        duckdb_path=_resolve(state_dir, s.get("duckdb_path", str, "ioc.duckdb")),
        query_port=s.get("query_port", int, 8481, _port, "a port 1..65535"),
        sink_batch_max=s.get("batch_max_records", int, 5000, lambda v: v >= 1, "a positive integer"),
        sink_batch_wait_ms=s.get("batch_max_wait_ms", int, 200, lambda v: v >= 1, "a positive integer"),
        units=units or NO_UNITS,
        tables=data,
    )
    if settings.http_port == settings.query_port:
        problems.append(f"{path.name}: [http] port and [sink] query_port must differ")
    return settings


def _resolve(base: Path, value: str) -> Path:
    p = Path(value)
    return p if p.is_absolute() else (base / p).resolve()


def _pseudonym_key(value: Any, where: str, problems: list[str]) -> str:
    """The population connector refuses to start without a key: "generate", "env:NAME" or a secret."""
    if value == "generate":
        return "generate"
    key = _token(value, where, problems) if value is not None else ""
    if value is None:
        problems.append(f'{where}: required by the population connector ("generate", "env:NAME" or a secret)')
    elif key and len(key) < 16:
        problems.append(f"{where}: a secret of at least 16 characters")
    return key


def _token(value: Any, where: str, problems: list[str]) -> str:
    if not isinstance(value, str) or not value:
        problems.append(f'{where}: a token string or "env:NAME"')
        return ""
    if value.startswith("env:"):
        resolved = os.environ.get(value[4:], "")
        if not resolved:
            problems.append(f"{where}: environment variable {value[4:]} is not set")
        return resolved
    return value
