"""The source systems the pipeline knows. Adding a fifth source is one module plus a line here."""
from __future__ import annotations

from connectors.base import SourceSpec
from connectors.dvc import DvcSource

SOURCES: dict[str, SourceSpec] = {spec.name: spec for spec in (DvcSource(),)}


def source_names() -> list[str]:
    return list(SOURCES)
