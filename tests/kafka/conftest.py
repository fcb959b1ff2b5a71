"""Registers the `kafka` marker here: pytest runs with --strict-markers and pyproject.toml's marker
list is not this folder's to edit. `pytest -m 'not kafka'` leaves these tests out."""
import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kafka: runs on a real Apache Kafka cluster (KRaft JVMs on loopback)")
