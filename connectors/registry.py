"""The source systems the pipeline knows. Adding a fifth source is one module plus a line here."""
from __future__ import annotations

from connectors.base import SourceSpec
from connectors.dvc import DvcSource
from connectors.eoffice import EofficeSource
from connectors.official766 import Official766Source
from connectors.population import PopulationSource
from connectors.telecom import TelecomSource

SOURCES: dict[str, SourceSpec] = {
    spec.name: spec for spec in (DvcSource(), EofficeSource(), PopulationSource(), TelecomSource(),
                                     Official766Source())}


def source_names() -> list[str]:
    return list(SOURCES)
