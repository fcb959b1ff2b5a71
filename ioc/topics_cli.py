"""`ioc topics plan|create`: the topic catalogue on an Apache Kafka cluster, without running the pipeline.

`ioc run` creates missing topics itself; on a multi-broker deployment an operator (or a deployment
job: deploy/docker-compose.yml `ioc-topics`, deploy/k8s/topics-job.yaml) creates them first, so
workers and sink on other machines find them, and so that the cluster can keep
`auto.create.topics.enable=false`. Besides the catalogue (contract/topics.py, contract/topology.py)
this creates the KPI workers' Faust leader topic, which Faust subscribes to but, with
`topic_allow_declare=False`, never creates itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from contract import topics
from contract.settings import Settings
from ioc.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="action")
    sub.add_parser(
        "plan", help="print the topics with partitions, replication and configs (no broker needed)"
    )
    sub.add_parser(
        "create", help="create the missing topics on the configured broker, then describe them all"
    )


def main(config: Config, args: argparse.Namespace) -> int:
    settings = config.settings
    specs = config.topology.catalogue()
    if args.action == "plan":
        print_plan(specs, settings.replication_factor)
        return 0
    if settings.broker.embedded:
        print(
            "error: [broker] bootstrap_servers is empty: the embedded broker lives inside `ioc run`, "
            "which creates its topics itself",
            file=sys.stderr,
        )
        return 2
    try:
        found = asyncio.run(create(settings, specs))
    except Exception as exc:  # noqa: BLE001 - the broker's answer, whatever the client raised: say it and fail
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    problems = 0
    for spec in specs:
        partitions, replicas, policy = found.get(spec.name, (0, 0, "?"))
        want = "compact" if spec.compacted else "delete"
        ok = (partitions, replicas, policy) == (spec.partitions, settings.replication_factor, want)
        problems += not ok
        print(
            f"{'ok ' if ok else 'BAD'} {spec.name:<44} partitions {partitions:>3}  replicas {replicas}  "
            f"cleanup.policy {policy}"
        )
    if problems:
        print(f"{problems} topic(s) differ from the configuration", file=sys.stderr)
    return 1 if problems else 0


def print_plan(specs: list[topics.TopicSpec], replication: int) -> None:
    for spec in specs:
        configs = " ".join(f"{k}={v}" for k, v in spec.configs().items())
        print(f"{spec.name:<44} partitions {spec.partitions:>3}  replicas {replication}  {configs}")


async def create(settings: Settings, specs: list[topics.TopicSpec]) -> dict[str, tuple[int, int, str]]:
    """Create what is missing (refusing different partition counts, as `ioc run` does); then
    {topic: (partitions, replicas of partition 0, cleanup.policy)} as the broker reports them."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
    from aiokafka.errors import TopicAuthorizationFailedError

    from contract.kafka import aiokafka_kwargs
    from ioc.broker import ensure_topics

    await ensure_topics(settings.broker, specs, settings.replication_factor)
    admin = AIOKafkaAdminClient(**aiokafka_kwargs(settings.broker))
    await admin.start()
    try:
        names = [s.name for s in specs]
        described = await admin.describe_topics(names)
        denied = TopicAuthorizationFailedError
        refused = [d["topic"] for d in described if d.get("error_code") == denied.errno]
        if refused:   # another installation's namespace, or a user without its ACLs
            raise denied(f"not authorised for {len(refused)} topic(s), e.g. {refused[0]}")
        layout = {
            d["topic"]: (len(d["partitions"]), len(d["partitions"][0]["replicas"]) if d["partitions"] else 0)
            for d in described
        }
        policies: dict[str, str] = {}
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        for response in responses:
            for resource in response.resources:
                name, entries = resource[3], resource[4]
                policies[name] = next((e[1] for e in entries if e[0] == "cleanup.policy"), "?")
        return {n: (*layout.get(n, (0, 0)), policies.get(n, "?")) for n in names}
    finally:
        await admin.close()
