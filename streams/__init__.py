"""Stream processing: pure KPI logic (kpis/) and the one generic Faust layer (engine/)."""
