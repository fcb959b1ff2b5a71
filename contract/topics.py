"""The topic catalogue: every topic name the pipeline uses is derived here and nowhere else."""
from __future__ import annotations

from dataclasses import dataclass

_FOREVER = "-1"
KPI_GROUP = "ioc-kpi"    # the KPI workers' Faust app id, which is their consumer group
SINK_GROUP = "ioc-sink"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    retention_ms: str = _FOREVER   # raw topics are the KPI workers' system of record: keep them

    def configs(self) -> dict[str, str]:
        policy = "compact" if self.compacted else "delete"
        return {"cleanup.policy": policy, "retention.ms": self.retention_ms}


def raw(source: str) -> str:
    """Validated source records, keyed so that one entity's records stay in one partition."""
    return f"ioc.raw.{source}"


def raw_source(topic: str) -> str | None:
    """The source whose raw topic this is, or None for any other topic."""
    prefix = raw("")
    return topic[len(prefix):] if topic.startswith(prefix) else None


def dead_letters(source: str) -> str:
    """Records that could not be used, with the reason (contract section 3)."""
    return f"ioc.dlq.{source}"


def kpi(domain: str) -> str:
    """KPI update messages keyed kpi|unit|grain|period (compacted: latest value per key)."""
    return f"ioc.kpi.{domain}"


def alerts() -> str:
    return "ioc.alerts"


def partials(source: str) -> str:
    """Internal: per-partition partial aggregates from the fold stage to the combine stage."""
    return f"ioc.internal.partials.{source}"


def details(source: str) -> str:
    """Internal: per-entity drill-down rows (a dossier's due, end, supplement time...), compacted."""
    return f"ioc.internal.details.{source}"


def catalogue(sources: list[str], kpi_domains: list[str], partitions: int,
              detail_sources: list[str] | None = None) -> list[TopicSpec]:
    """Every topic the pipeline needs, with partitions and retention, for the given sources and KPI
    domains (contract/topology.py: the composition root has them from the registries)."""
    specs: list[TopicSpec] = []
    for source in sources:
        specs += [TopicSpec(raw(source), partitions), TopicSpec(dead_letters(source), partitions),
                  TopicSpec(partials(source), partitions)]
    specs += [TopicSpec(details(s), partitions, compacted=True) for s in detail_sources or []]
    specs += [TopicSpec(kpi(d), partitions, compacted=True) for d in kpi_domains]
    specs.append(TopicSpec(alerts(), 1))
    return specs


def faust_leader() -> str:
    """Faust's assignor topic: the workers subscribe to it, and with topic_allow_declare=False
    (all topics come from this catalogue) Faust never creates it itself."""
    return f"{KPI_GROUP}-__assignor-__leader"
