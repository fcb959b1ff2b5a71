"""The one generic layer that owns the Faust plumbing; KPI modules never import Faust."""
