"""The stage topology: which stage reads and sends which topics, and where barrier markers travel.

A barrier marker (`ioc status --wait-idle`, the gateway's journal confirmation) enters every raw
and dead-letter partition at the gateway; each stage forwards it after the outputs of every record
before it; the sink calls it complete once it came on every partition of every topic it reads,
from every sender. This is the one place that knows that wiring: the gateway, the stages and the
sink all ask it. The composition root (ioc/config.py) builds it from the registries.
"""
from __future__ import annotations

from dataclasses import dataclass

from contract.records import fold_sender
from contract.topics import CONTRACT_NAMES, TopicNames, TopicSpec

Arrival = tuple[str, int, int]   # topic, partition, sender
Target = tuple[str, int, int]    # topic, partition, the sender id a marker carries there
GATEWAY = 0                      # the sender id of the markers the gateway injects


@dataclass(frozen=True)
class Flow:
    """One source's way through the stages."""
    source: str
    kpi_domain: str | None = None   # the KPI topic its combine stage writes (None: no KPIs)
    details: bool = False           # its fold also writes drill-down rows


@dataclass(frozen=True)
class Topology:
    flows: tuple[Flow, ...]
    partitions: int
    index_input: str | None = None   # the KPI domain whose combine stage scores the 766 index (None: none)
    index_domain: str = "index766"
    names: TopicNames = CONTRACT_NAMES

    # -- what there is ------------------------------------------------------------------------
    @property
    def sources(self) -> list[str]:
        return [f.source for f in self.flows]

    @property
    def kpi_flows(self) -> list[Flow]:
        return [f for f in self.flows if f.kpi_domain is not None]

    @property
    def kpi_domains(self) -> list[str]:
        """The KPI topics' domains (`ioc.kpi.<domain>`), the combine stages' first, then the index's."""
        domains = [f.kpi_domain for f in self.flows if f.kpi_domain is not None]
        return domains + ([self.index_domain] if self.index_input is not None else [])

    @property
    def detail_sources(self) -> list[str]:
        return [f.source for f in self.flows if f.details]

    def flow(self, source: str) -> Flow:
        return next(f for f in self.flows if f.source == source)

    def catalogue(self) -> list[TopicSpec]:
        """Every topic, as `ioc run` and `ioc topics create` make them (the Faust leader topic included)."""
        specs = self.names.catalogue(self.sources, self.kpi_domains, self.partitions, self.detail_sources)
        return specs + [TopicSpec(self.names.faust_leader(), 1)]

    # -- who sends markers where --------------------------------------------------------------
    def _all(self, topic: str, sender: int) -> list[Target]:
        return [(topic, p, sender) for p in range(self.partitions)]

    def gateway_targets(self) -> list[Target]:
        """Where the gateway injects a barrier: every raw and dead-letter partition."""
        return [t for s in self.sources for topic in (self.names.raw(s), self.names.dead_letters(s))
                for t in self._all(topic, GATEWAY)]

    def fold_targets(self, source: str, partition: int) -> list[Target]:
        """Where fold partition `partition` forwards a barrier: its partials (and drill-down) topics,
        then the dead letters it makes (`too_late`...), so DuckDB has those too when idle."""
        return self._all(self.names.partials(source), partition) + self._fold_to_sink(source, partition)

    def _fold_to_sink(self, source: str, partition: int) -> list[Target]:
        details = self._all(self.names.details(source), partition) if self.flow(source).details else []
        return details + self._all(self.names.dead_letters(source), fold_sender(partition))

    def combine_targets(self, domain: str, partition: int) -> list[Target]:
        """Where combine partition `partition` forwards a barrier (once it came from every fold
        partition): its KPI topic, and the index's when it scores the 766 index."""
        index = self._all(self.names.kpi(self.index_domain), partition) if domain == self.index_input else []
        return self._all(self.names.kpi(domain), partition) + index

    def expected_arrivals(self) -> frozenset[Arrival]:
        """A barrier is complete when it came on every partition of every topic the sink reads,
        from every sender there."""
        out: set[Arrival] = set(self.gateway_targets())
        for f in self.kpi_flows:
            assert f.kpi_domain is not None
            for p in range(self.partitions):
                out.update(self._fold_to_sink(f.source, p))
                out.update(self.combine_targets(f.kpi_domain, p))
        return frozenset(out)

    # -- who reads what -----------------------------------------------------------------------
    def sink_topics(self) -> list[str]:
        """Raw and dead-letter topics of every source, every KPI topic, the drill-down topics."""
        n = self.names
        return [t for s in self.sources for t in (n.raw(s), n.dead_letters(s))] + \
            [n.kpi(d) for d in self.kpi_domains] + [n.details(s) for s in self.detail_sources]

    def worker_topics(self) -> list[str]:
        """What the KPI workers' consumer group reads: the raw and partial topics."""
        return [t for f in self.kpi_flows for t in (self.names.raw(f.source), self.names.partials(f.source))]

    def group_topics(self) -> dict[str, list[str]]:
        return {self.names.kpi_group: self.worker_topics(), self.names.sink_group: self.sink_topics()}

    def topic_kind(self, topic: str) -> tuple[str, str]:
        """(kind, source or domain) of a topic of the catalogue: raw, dlq, partials, details, kpi."""
        for source in self.sources:
            n = self.names
            for kind, name in (("raw", n.raw(source)), ("dlq", n.dead_letters(source)),
                               ("partials", n.partials(source)), ("details", n.details(source))):
                if topic == name:
                    return kind, source
        for domain in self.kpi_domains:
            if topic == self.names.kpi(domain):
                return "kpi", domain
        return "other", topic
