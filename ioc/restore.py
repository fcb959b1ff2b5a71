"""At start: rebuild from DuckDB what the broker does not hold.

DuckDB is the durable record. The embedded broker is memory only, so after a restart its raw
topics are empty: the archived records are published again (with their original identity,
arrival and event time), and the KPI workers rebuild every KPI from them. The identities feed
the duplicate check, so a record sent again after a restart still counts as a duplicate.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

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


def restore(settings: Settings, topology: Topology, publisher: Publisher, index: IdentityIndex,
            empty_topics: set[str]) -> Restored:
    con = open_exclusive(settings.duckdb_path, topology.sources, settings.units.timezone.key)
    try:
        counts, republished = {}, {}
        for source in topology.sources:
            ids = con.execute(f"SELECT id FROM {raw_table(source)}").fetchall()
            index.load(source, (bytes.fromhex(i) for (i,) in ids))
            counts[source] = len(ids)
            topic = topology.names.raw(source)
            if ids and topic in empty_topics:
                republished[source] = _republish(con, publisher, source, topic)
        dead = con.execute("SELECT count(*) FROM dead_letters").fetchone()
        return Restored(counts, republished, int(dead[0]) if dead else 0)
    finally:
        con.close()


def _republish(con: duckdb.DuckDBPyConnection, publisher: Publisher, source: str, topic: str) -> int:
    total = 0
    for batch in archived(con, source, _COLUMNS, CHUNK):
        ids, keys, received, events, records = (batch.column(i).to_pylist() for i in range(5))
        publisher.publish(
            [
                Outgoing(
                    topic,
                    key.encode(),
                    record.encode(),
                    [(H_ID, rid.encode()), (H_RECEIVED, at.encode()), (H_EVENT, str(us).encode())],
                )
                for rid, key, at, us, record in zip(ids, keys, received, events, records, strict=True)
            ],
            timeout_s=120,
        )
        total += batch.num_rows
    log.info("republished %d archived %s records", total, source)
    return total
