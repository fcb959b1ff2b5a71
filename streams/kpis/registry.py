"""The KPI modules of every source. A new source's KPIs are one module plus a line here."""
from __future__ import annotations

from streams.kpis.base import SourceKpis
from streams.kpis.dvc import DvcKpis
from streams.kpis.eoffice import EofficeKpis
from streams.kpis.population import PopulationKpis
from streams.kpis.telecom import TelecomKpis

KPIS: dict[str, SourceKpis] = {
    k.source: k for k in (DvcKpis(), EofficeKpis(), PopulationKpis(), TelecomKpis())
}
# Each source's combine stage owns its KPI topic: barriers (sinks/barriers.py) count one sender
# per combine partition and topic, so two sources must not share a domain.
assert len({k.domain for k in KPIS.values()}) == len(KPIS), "one KPI domain per source"


INDEX_DOMAIN = "index766"  # computed from the dvc KPIs by the index stage


def kpi_domains() -> list[str]:
    """The KPI topics' domains (`ioc.kpi.<domain>`), in registry order, then the 766 index."""
    return [k.domain for k in KPIS.values()] + [INDEX_DOMAIN]


def detail_sources() -> list[str]:
    """Sources whose folds offer per-entity drill-down rows."""
    return [k.source for k in KPIS.values() if k.drill_down]
