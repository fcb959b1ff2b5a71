"""Sinks: where the pipeline's records and KPIs are stored (DuckDB) and served for queries."""
