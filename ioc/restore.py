"""At start: rebuild from DuckDB what the broker does not hold.

DuckDB is the durable record. The embedded broker is memory only, so after a restart its raw
topics are empty: the archived records from the last complete checkpoint on are published again
(with their original identity, arrival and event time), and the KPI workers take their partitions
from the checkpoint's snapshots plus those records (streams/engine/seeding.py); without a usable
checkpoint, the whole archive is republished and every KPI rebuilt from it. The identities feed
the duplicate check, so a record sent again after a restart still counts as a duplicate.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from connectors.dedup import IdentityIndex
from connectors.publisher import Outgoing, Publisher
from contract.records import H_EVENT, H_ID, H_RECEIVED
from contract.settings import Settings
from contract.topology import Topology
from sinks.archive import archived, open_exclusive
from sinks.schema import raw_table

log = logging.getLogger(__name__)
CHUNK = 10_000
_COLUMNS = ("id, key, strftime(received_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'), "
            "epoch_us(event_time), record::VARCHAR")


@dataclass
class Restored:
    archived: dict[str, int]
    republished: dict[str, int]
    dead_letters: int
    latest_arrival: datetime | None   # the archive's latest received_at: the gateway's clock goes on after it


def restore(settings: Settings, topology: Topology, publisher: Publisher, index: IdentityIndex,
            republish_since_us: int | None) -> Restored:
    """Load the identities; republish the archive received from `republish_since_us` on (0: all of
    it; None: nothing, the broker's log is durable)."""
    con = open_exclusive(settings.duckdb_path, topology.sources, settings.units.timezone.key)
    try:
        counts, republished, latest = {}, {}, None
        for source in topology.sources:
            ids = con.execute(f"SELECT id FROM {raw_table(source)}").fetchall()
            index.load(source, (bytes.fromhex(i) for (i,) in ids))
            counts[source] = len(ids)
            if republish_since_us is not None:
                topic = topology.names.raw(source)
                republished[source] = _republish(con, publisher, source, topic, republish_since_us)
            last = con.execute(f"SELECT max(received_at) FROM {raw_table(source)}").fetchone()
            if last and last[0] is not None and (latest is None or last[0] > latest):
                latest = last[0]
        dead = con.execute("SELECT count(*) FROM dead_letters").fetchone()
        return Restored(counts, republished, int(dead[0]) if dead else 0,
                        latest.astimezone(UTC) if latest is not None else None)
    finally:
        con.close()


def _republish(con: duckdb.DuckDBPyConnection, publisher: Publisher, source: str, topic: str,
               since_us: int) -> int:
    total = 0
    where = f"epoch_us(received_at) >= {int(since_us)}"
    for batch in archived(con, source, _COLUMNS, CHUNK, where):
        ids, keys, received, events, records = (batch.column(i).to_pylist() for i in range(5))
        rows = zip(ids, keys, received, events, records, strict=True)
        publisher.publish([Outgoing(topic, key.encode(), record.encode(), _headers(rid, at, us))
                           for rid, key, at, us, record in rows], timeout_s=120)
        total += batch.num_rows
    if total:
        log.info("republished %d archived %s records", total, source)
    return total


def _headers(identity: str, received: str, event_us: int) -> list[tuple[str, bytes]]:
    return [(H_ID, identity.encode()), (H_RECEIVED, received.encode()), (H_EVENT, str(event_us).encode())]
