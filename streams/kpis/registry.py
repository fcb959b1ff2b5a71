"""The KPI modules of every source. A new source's KPIs are one module plus a line here."""
from __future__ import annotations

from streams.kpis.base import SourceKpis
from streams.kpis.dvc import DvcKpis
from streams.kpis.eoffice import EofficeKpis
from streams.kpis.population import PopulationKpis
from streams.kpis.telecom import TelecomKpis

KPIS: dict[str, SourceKpis] = {k.source: k for k in (DvcKpis(), EofficeKpis(), PopulationKpis(), TelecomKpis())}
