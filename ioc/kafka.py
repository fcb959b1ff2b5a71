"""Kafka client settings derived from configuration, for kafka-python and aiokafka alike."""
from __future__ import annotations

import os
import ssl
from typing import Any

from ioc.settings import BrokerSettings

BOOTSTRAP_ENV = "IOC_BOOTSTRAP"   # set by the supervisor to the embedded broker's address


def bootstrap(broker: BrokerSettings) -> str:
    address = os.environ.get(BOOTSTRAP_ENV) or ",".join(broker.bootstrap_servers)
    if not address:
        raise RuntimeError(f"no broker address: configure [broker] bootstrap_servers or set {BOOTSTRAP_ENV}")
    return address


def _password(broker: BrokerSettings) -> str | None:
    return os.environ.get(broker.sasl_password_env) if broker.sasl_mechanism else None


def kafka_python_kwargs(broker: BrokerSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"bootstrap_servers": bootstrap(broker).split(","),
                              "security_protocol": broker.security_protocol}
    if broker.sasl_mechanism:
        kwargs.update(sasl_mechanism=broker.sasl_mechanism, sasl_plain_username=broker.sasl_username,
                      sasl_plain_password=_password(broker))
    if broker.ssl_cafile:
        kwargs["ssl_cafile"] = broker.ssl_cafile
    return kwargs


def aiokafka_kwargs(broker: BrokerSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"bootstrap_servers": bootstrap(broker),
                              "security_protocol": broker.security_protocol}
    if broker.sasl_mechanism:
        kwargs.update(sasl_mechanism=broker.sasl_mechanism, sasl_plain_username=broker.sasl_username,
                      sasl_plain_password=_password(broker))
    if broker.security_protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = ssl.create_default_context(cafile=broker.ssl_cafile or None)
    return kwargs
