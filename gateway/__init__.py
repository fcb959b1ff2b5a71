"""The pipeline's HTTP service: ingest, status, metrics, barriers, and the operations screens."""
