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
from connectors.registry import source_names
from ioc import topics
from ioc.records import H_EVENT, H_ID, H_RECEIVED
from sinks.schema import raw_table
from sinks.store import open_store

log = logging.getLogger(__name__)
CHUNK = 10_000


@dataclass
class Restored:
    archived: dict[str, int]
    republished: dict[str, int]
    dead_letters: int


def restore(settings, publisher: Publisher, index: IdentityIndex, empty_topics: set[str]) -> Restored:  # type: ignore[no-untyped-def]
    try:
        con = open_store(settings.duckdb_path, settings.units.timezone.key)
    except duckdb.IOException as exc:
        raise RuntimeError(f"cannot open {settings.duckdb_path}: is another pipeline running on it? ({exc})") from exc
    try:
        archived, republished = {}, {}
        for source in source_names():
            ids = con.execute(f"SELECT id FROM {raw_table(source)}").fetchall()
            index.load(source, (bytes.fromhex(i) for (i,) in ids))
            archived[source] = len(ids)
            if ids and topics.raw(source) in empty_topics:
                republished[source] = _republish(con, publisher, source)
        dead = con.execute("SELECT count(*) FROM dead_letters").fetchone()
        return Restored(archived, republished, int(dead[0]) if dead else 0)
    finally:
        con.close()


def _republish(con: duckdb.DuckDBPyConnection, publisher: Publisher, source: str) -> int:
    cursor = con.execute(f"""SELECT id, key, strftime(received_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'),
                                    epoch_us(event_time), record::VARCHAR
                             FROM {raw_table(source)} ORDER BY received_at, id""")
    total = 0
    while rows := cursor.fetchmany(CHUNK):
        publisher.publish([Outgoing(topics.raw(source), key.encode(), record.encode(),
                                    [(H_ID, rid.encode()), (H_RECEIVED, received.encode()),
                                     (H_EVENT, str(event_us).encode())])
                           for rid, key, received, event_us, record in rows], timeout_s=120)
        total += len(rows)
    log.info("republished %d archived %s records", total, source)
    return total
