"""The wire-format adapters the pipeline knows. Adding a fifth is one module plus a line here."""

from __future__ import annotations

from connectors.adapters.base import Adapter
from connectors.adapters.dvcqg import DvcqgAdapter
from connectors.adapters.edxml import EdxmlAdapter
from connectors.adapters.meascollec import MeasCollecAdapter
from connectors.adapters.portal766 import Portal766Adapter
from connectors.adapters.ves import VesAdapter

ADAPTERS: dict[str, Adapter] = {
    a.name: a for a in (DvcqgAdapter(), EdxmlAdapter(), MeasCollecAdapter(), VesAdapter(), Portal766Adapter())
}
