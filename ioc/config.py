"""The whole configuration, as the composition root hands it to each part: the settings, the 766
index's rules and supplied figures, the alert rules, and the stage topology built from the
registries. Every problem of every file is reported at once (ConfigError)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from alerts.alertmanager import AlertmanagerSettings, alertmanager_of
from alerts.catchup import backfill_after_of
from alerts.rules import AlertRule, alert_rules_of
from connectors.adapters.base import Catalogue
from connectors.adapters.configuration import AdapterConfig, load_adapters
from connectors.registry import source_names
from contract.errors import ConfigError
from contract.settings import Settings, load_settings
from contract.topics import TopicNames
from contract.topology import Flow, Topology
from gateway.auth import AuthSettings, auth_of
from reports.settings import ReportSettings, report_settings
from streams.kpis.base import Family
from streams.kpis.index766.rules import Index766, Rules, load_index766
from streams.kpis.registry import INDEX_DOMAIN, KPIS


@dataclass(frozen=True)
class Config:
    settings: Settings
    index766: Index766 | None
    alert_rules: list[AlertRule]
    topology: Topology
    adapters: AdapterConfig
    alertmanager: AlertmanagerSettings
    backfill_after_s: float          # the rules of a source behind with a backfill wait (alerts/catchup.py)
    auth: AuthSettings               # who may use the ops screens (gateway/auth.py)
    reports: ReportSettings = field(default_factory=ReportSettings)

    def with_broker(self, address: str) -> Config:
        """The same configuration for the broker at `address` (the embedded one, once started)."""
        return replace(self, settings=self.settings.with_broker(address))


def load_config(path: Path | str | None = None, broker: str | None = None) -> Config:
    problems: list[str] = []
    settings = load_settings(path, problems)
    if broker:
        settings = settings.with_broker(broker)
    index766 = load_index766(settings, problems)
    known = catalogue_kpis(index766.rules if index766 else None)
    alerts = alert_rules_of(settings, known, problems)
    adapters = load_adapters(settings, problems)
    if index766 is not None:   # portal766 checks official figures against the rules in force
        catalogue = catalogue_of(index766.rules)
        adapters = replace(adapters, context=replace(adapters.context, catalogue=catalogue))
    alertmanager = alertmanager_of(settings, problems)
    backfill_after_s = backfill_after_of(settings, problems)
    auth = auth_of(settings, problems)
    reports = report_settings(settings, known, problems)
    if problems:
        raise ConfigError(problems)
    return Config(settings, index766, alerts, topology(settings, index766 is not None), adapters,
                  alertmanager, backfill_after_s, auth, reports)


def topology(settings: Settings, with_index: bool = True) -> Topology:
    """Which stage sends what, from the source and KPI registries, under the installation's names."""
    flows = tuple(Flow(s, KPIS[s].domain if s in KPIS else None, s in KPIS and KPIS[s].drill_down)
                  for s in source_names())
    return Topology(flows, settings.partitions, index_input=KPIS["dvc"].domain if with_index else None,
                    index_domain=INDEX_DOMAIN, names=TopicNames(settings.namespace))


def catalogue_of(rules: Rules) -> Catalogue:
    """The groups and components of the 766 rules with their maxima, for the portal766 adapter."""
    return Catalogue({g.code: g.max for g in rules.groups},
                     {c.code: (c.group, c.max) for c in rules.components})


def catalogue_kpis(rules: Rules | None) -> set[str]:
    """Every KPI name the pipeline emits (alert rules may watch any of them)."""
    names = {row[0] for k in KPIS.values() for f in k.families for row in f.kpis(_zeros(f))}
    if rules is not None:
        names |= {"index766.total"} | {f"index766.group.{g.code}" for g in rules.groups}
    return names


def _zeros(family: Family) -> list[int]:
    return [] if family.samples else [0] * family.size
