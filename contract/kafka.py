"""Kafka client settings derived from configuration, for kafka-python and aiokafka alike."""
from __future__ import annotations

import os
import ssl
from typing import Any

from contract.settings import BrokerSettings


def bootstrap(broker: BrokerSettings) -> str:
    """host:port[,host:port...]; the embedded broker's once `ioc run` started it (BrokerSettings.at)."""
    if not broker.bootstrap_servers:
        raise RuntimeError(
            "no broker address: configure [broker] bootstrap_servers, or start the "
            "pipeline with `ioc run`, which starts the embedded broker and passes its address on"
        )
    return ",".join(broker.bootstrap_servers)


def _password(broker: BrokerSettings) -> str | None:
    return os.environ.get(broker.sasl_password_env) if broker.sasl_mechanism else None


def kafka_python_kwargs(broker: BrokerSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": bootstrap(broker).split(","),
        "security_protocol": broker.security_protocol,
    }
    if broker.sasl_mechanism:
        kwargs.update(
            sasl_mechanism=broker.sasl_mechanism,
            sasl_plain_username=broker.sasl_username,
            sasl_plain_password=_password(broker),
        )
    if broker.ssl_cafile:
        kwargs["ssl_cafile"] = broker.ssl_cafile
    return kwargs


def aiokafka_kwargs(broker: BrokerSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "bootstrap_servers": bootstrap(broker),
        "security_protocol": broker.security_protocol,
    }
    if broker.sasl_mechanism:
        kwargs.update(
            sasl_mechanism=broker.sasl_mechanism,
            sasl_plain_username=broker.sasl_username,
            sasl_plain_password=_password(broker),
        )
    if broker.security_protocol in ("SSL", "SASL_SSL"):
        kwargs["ssl_context"] = ssl.create_default_context(cafile=broker.ssl_cafile or None)
    return kwargs


def producer_guarantees(broker: BrokerSettings) -> dict[str, Any]:
    """acks=all, and on Apache Kafka idempotence: a send retried after a broker died is written
    once and in order. The embedded Tansu answers aiokafka's InitProducerId with an error, so an
    idempotent aiokafka producer cannot start there (kafka-python's can: the gateway's Publisher)."""
    return {"acks": "all", "enable_idempotence": not broker.embedded}
