"""A stage's snapshot never holds output it has not sent, and never one taken mid-checkpoint on a
rebalance (streams/engine/stage.py).

A stage that sends a key only when its value changed (the combine's KPI rows, the 766 index book)
remembers what it sent. A checkpoint marker in the middle of a batch made the stage snapshot its
state before it sent what the records ahead of the marker changed; it sent that right after. A
stage restored from the snapshot then believed downstream held the older value, and a later record
that brought the value back to it was never sent: DuckDB kept the newer one. Found by the fault
trial `stop_start_twice` (an index component of 4 points where the undisturbed run had 3).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from contract.records import H_SRC, barrier_headers
from streams.engine.checkpoints import Epoch, FileCheckpointStore
from streams.engine.messages import Msg
from streams.engine.stage import Checkpointing, PartitionedStage, Slot

CHECKPOINT = 7
LOG = [
    Msg(0, 0, b"k", b"1", []),
    Msg(0, 1, b"k", b"2", []),
    Msg(0, 2, b"m", b"", barrier_headers("b1", 0, CHECKPOINT)),
    Msg(0, 3, b"k", b"1", []),   # after the checkpoint: back to the value sent before it
]


class Log:
    """The partition's log up to `end`, as streams/engine/reader.py reads it from an offset."""

    def __init__(self, end: int, messages: list[Msg] = LOG) -> None:
        self.end, self.messages = end, messages

    async def read(self, topic: str, partition: int, start: int = 0) -> AsyncIterator[list[Msg]]:
        yield [m for m in self.messages if start <= m.offset < self.end]


class Downstream:
    def __init__(self) -> None:
        self.values: list[bytes | None] = []

    async def put(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None,
                  headers: Any) -> None:
        if value:
            self.values.append(value)

    async def deliver(self) -> None:
        pass


class Latest(PartitionedStage[dict[str, Any]]):
    """Sends its partition's latest value when it differs from the one it sent last."""

    def new_state(self, partition: int) -> dict[str, Any]:
        return {"value": None, "sent": None}

    def apply(self, partition: int, state: dict[str, Any], msg: Msg) -> None:
        state["value"] = msg.value

    async def flush(self, partition: int, slot: Slot[dict[str, Any]], taken: bool) -> None:
        if slot.state["value"] != slot.state["sent"]:
            await self.outbox.put("out", b"k", slot.state["value"], partition, [])
            slot.state["sent"] = slot.state["value"]
        slot.barriers.clear()


def checkpointing(folder: Path) -> Checkpointing:
    return Checkpointing(FileCheckpointStore(folder), Epoch(1), "toy", {}, lambda: {CHECKPOINT})


def stage(folder: Path, downstream: Downstream, log_end: int) -> Latest:
    return Latest("latest", "in", Log(log_end), lambda: {0}, downstream, 1, checkpointing(folder))


def test_a_restored_stage_sends_a_value_changed_back_after_its_snapshot(tmp_path: Path) -> None:
    downstream = Downstream()
    first = stage(tmp_path, downstream, log_end=1)
    asyncio.run(first.handle(LOG[:1]))
    first.reader.end = 3
    asyncio.run(first.handle(LOG[1:3], behind={0}))   # the marker comes in the middle of a batch
    assert downstream.values == [b"1", b"2"]
    # The worker dies before it reads offset 3; the next owner starts from the snapshot.
    second = stage(tmp_path, downstream, log_end=len(LOG))
    asyncio.run(second.handle(LOG[3:]))
    assert downstream.values[-1] == b"1", downstream.values   # downstream holds the latest value


class FromTwo(Latest):
    senders = 2   # as a combine partition hears from several fold partitions


def data(offset: int, sender: int, value: bytes) -> Msg:
    return Msg(0, offset, b"k", value, [(H_SRC, str(sender).encode())])


ALIGNING = [
    Msg(0, 0, b"m", b"", barrier_headers("b1", 0, CHECKPOINT)),
    data(1, 0, b"a"),   # held: sender 0 is past the checkpoint, sender 1 not yet
    Msg(0, 2, b"m", b"", barrier_headers("b1", 1, CHECKPOINT)),
    data(3, 1, b"b"),
]


def test_a_partition_revoked_mid_checkpoint_is_not_stuck_at_its_next_owner(tmp_path: Path) -> None:
    """Revoked between two senders' checkpoint markers, a partition was snapshotted from its first
    held message on: the next owner never saw sender 0's marker again, waited for it for ever and
    held back everything after it (seen on Apache Kafka when a third worker joined)."""
    downstream = Downstream()
    first = FromTwo("latest", "in", Log(2, ALIGNING), lambda: {0}, downstream, 1, checkpointing(tmp_path))
    asyncio.run(first.handle(ALIGNING[:2]))
    asyncio.run(first.revoke({0}))
    second = FromTwo("latest", "in", Log(4, ALIGNING), lambda: {0}, downstream, 1, checkpointing(tmp_path))
    asyncio.run(second.handle(ALIGNING[2:]))
    assert downstream.values[-1] == b"b", downstream.values
    assert [h.checkpoint for h in FileCheckpointStore(tmp_path).headers("latest", 0)] == [CHECKPOINT]
