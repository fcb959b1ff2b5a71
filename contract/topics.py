"""The topic catalogue: every topic name, consumer group and client id the pipeline uses is
derived here and nowhere else.

Names follow the contract (`ioc.raw.<source>`, `ioc.kpi.<domain>`...). An installation namespace
(`[kafka] namespace`, e.g. `laichau`) prefixes every one of them (`laichau.ioc.raw.dvc`, group
`laichau.ioc-kpi`), so several provinces share one Kafka cluster without seeing each other's
records, and a Kafka ACL on the prefix confines each installation to its own.
"""
from __future__ import annotations

from dataclasses import dataclass

_FOREVER = "-1"
# The largest message the pipeline sends: a dead letter keeps a too-large record whole up to 8 MiB.
# Producers may send this much, and every topic accepts it plus a record batch's framing (Apache
# Kafka's default is 1 MiB; the embedded Tansu has no such limit).
MAX_MESSAGE_BYTES = 9 << 20
_TOPIC_MAX_BYTES = str(MAX_MESSAGE_BYTES + (64 << 10))


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    retention_ms: str = _FOREVER   # raw topics are the KPI workers' system of record: keep them

    def configs(self) -> dict[str, str]:
        policy = "compact" if self.compacted else "delete"
        return {"cleanup.policy": policy, "retention.ms": self.retention_ms,
                "max.message.bytes": _TOPIC_MAX_BYTES}


@dataclass(frozen=True)
class TopicNames:
    """The names of one installation; the default (no namespace) are the contract's own."""
    namespace: str = ""

    def _named(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    @property
    def prefix(self) -> str:
        """What every name of this installation starts with (for ACLs; empty without a namespace)."""
        return f"{self.namespace}." if self.namespace else ""

    def raw(self, source: str) -> str:
        """Validated source records, keyed so that one entity's records stay in one partition."""
        return self._named(f"ioc.raw.{source}")

    def raw_source(self, topic: str) -> str | None:
        """The source whose raw topic this is, or None for any other topic."""
        prefix = self.raw("")
        return topic[len(prefix):] if topic.startswith(prefix) else None

    def dead_letters(self, source: str) -> str:
        """Records that could not be used, with the reason (contract section 3)."""
        return self._named(f"ioc.dlq.{source}")

    def kpi(self, domain: str) -> str:
        """KPI update messages keyed kpi|unit|grain|period (compacted: latest value per key)."""
        return self._named(f"ioc.kpi.{domain}")

    def alerts(self) -> str:
        return self._named("ioc.alerts")

    def partials(self, source: str) -> str:
        """Internal: per-partition partial aggregates from the fold stage to the combine stage."""
        return self._named(f"ioc.internal.partials.{source}")

    def details(self, source: str) -> str:
        """Internal: per-entity drill-down rows (a dossier's due, end, supplement time...), compacted."""
        return self._named(f"ioc.internal.details.{source}")

    @property
    def kpi_group(self) -> str:
        """The KPI workers' Faust app id, which is their consumer group."""
        return self._named("ioc-kpi")

    @property
    def sink_group(self) -> str:
        return self._named("ioc-sink")

    def faust_leader(self) -> str:
        """Faust's assignor topic: the workers subscribe to it, and with topic_allow_declare=False
        (all topics come from this catalogue) Faust never creates it itself."""
        return f"{self.kpi_group}-__assignor-__leader"

    def catalogue(self, sources: list[str], kpi_domains: list[str], partitions: int,
                  detail_sources: list[str] | None = None) -> list[TopicSpec]:
        """Every topic the pipeline needs, with partitions and retention, for the given sources and KPI
        domains (contract/topology.py: the composition root has them from the registries)."""
        specs: list[TopicSpec] = []
        for source in sources:
            names = (self.raw(source), self.dead_letters(source), self.partials(source))
            specs += [TopicSpec(name, partitions) for name in names]
        specs += [TopicSpec(self.details(s), partitions, compacted=True) for s in detail_sources or []]
        specs += [TopicSpec(self.kpi(d), partitions, compacted=True) for d in kpi_domains]
        specs.append(TopicSpec(self.alerts(), 1))
        return specs


CONTRACT_NAMES = TopicNames()   # the contract's own names: an installation without a namespace
