"""Alerts: rules and their configuration, evaluation, delivery, and the Prometheus rule export."""
