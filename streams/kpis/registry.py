"""The KPI modules of every source. A new source's KPIs are one module plus a line here."""
from __future__ import annotations

from streams.kpis.base import SourceKpis
from streams.kpis.dvc import DvcKpis

KPIS: dict[str, SourceKpis] = {k.source: k for k in (DvcKpis(),)}
