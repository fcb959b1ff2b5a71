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
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import orjson

from connectors.dedup import DAY_US, SLOT_US, Identity, IdentityIndex
from connectors.publisher import Outgoing, Publisher
from connectors.registry import SOURCES
from contract.records import H_ARCHIVED, H_EVENT, H_ID, H_RECEIVED
from contract.settings import Settings
from contract.topology import Topology
from sinks import counters
from sinks.archive import archived, open_exclusive
from sinks.schema import archive_view, raw_table

log = logging.getLogger(__name__)
CHUNK = 10_000
# Identity.prefix of the hex identity in SQL: its first 8 bytes, little-endian, as a signed 64-bit integer
_UNSIGNED = "('0x' || " + " || ".join(f"substr(id, {i}, 2)" for i in range(15, 0, -2)) + ")::UBIGINT"
_PREFIX = (f"({_UNSIGNED}::HUGEINT - CASE WHEN {_UNSIGNED} >= {2**63} THEN {2**64}::HUGEINT ELSE 0 END)"
           "::BIGINT")
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
            counts[source] = _load_identities(con, index, source)
            if republish_since_us is not None:
                topic = topology.names.raw(source)
                republished[source] = _republish(con, publisher, source, topic, republish_since_us)
            last = con.execute(f"SELECT max(received_at) FROM {archive_view(source)}").fetchone()
            if last and last[0] is not None and (latest is None or last[0] > latest):
                latest = last[0]
        dead = con.execute("SELECT count(*) FROM dead_letters").fetchone()
        return Restored(counts, republished, int(dead[0]) if dead else 0,
                        latest.astimezone(UTC) if latest is not None else None)
    finally:
        con.close()


def _load_identities(con: duckdb.DuckDBPyConnection, index: IdentityIndex, source: str) -> int:
    """The identities within the horizon (connectors/dedup.py); returns how many records are archived."""
    start = index.horizon_start_us()
    since = f"epoch_us(event_time) >= {start}" if start is not None else "true"
    days = con.execute(f"""SELECT {_day('epoch_us(event_time)')} AS day, list({_PREFIX} ORDER BY {_PREFIX})
        FROM {raw_table(source)} WHERE {since} GROUP BY day""")
    while rows := days.fetchmany(64):
        index.load_days(source, ((day, array("q", digests)) for day, digests in rows),
                        SOURCES[source].dated_identity)
    total = con.execute(f"SELECT count(*) FROM {raw_table(source)}").fetchone()
    archived_rows = int(total[0]) if total else 0
    if source == counters.SOURCE:
        archived_rows += _load_counter_identities(con, index, source, start)
    return archived_rows


def _load_counter_identities(con: duckdb.DuckDBPyConnection, index: IdentityIndex, source: str,
                             start: int | None) -> int:
    """Counters on the quarter-hour grid as a bitmask a site and day (aggregated by DuckDB: a year of
    the full network is 74 million rows); any others one by one."""
    since = max(start or 0, 0)
    grid = con.execute(f"""SELECT site_id, epoch_us(period_start) // {DAY_US},
            bit_or((1::HUGEINT) << ((epoch_us(period_start) % {DAY_US}) // {SLOT_US})::INTEGER)
        FROM {counters.TABLE}
        WHERE epoch_us(period_start) >= {since} AND epoch_us(period_start) % {SLOT_US} = 0
        GROUP BY ALL""")
    while rows := grid.fetchmany(100_000):
        for site, day, mask in rows:
            index.load_grid(source, site, day, int(mask))
    spec = SOURCES[source]
    odd = con.execute(f"""SELECT site_id, strftime(period_start AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'),
            epoch_us(period_start) FROM {counters.TABLE}
        WHERE epoch_us(period_start) >= {start if start is not None else -(2**62)}
          AND NOT (epoch_us(period_start) >= 0 AND epoch_us(period_start) % {SLOT_US} = 0)""").fetchall()
    index.load(
        source,
        (
            Identity(spec.digest({"kind": counters.KIND, "site_id": site, "period_start": at}), us)
            for site, at, us in odd
        ),
    )
    total = con.execute(f"SELECT count(*) FROM {counters.TABLE}").fetchone()
    return int(total[0]) if total else 0


def _day(us: str) -> str:
    """The UTC day of a µs time in SQL, rounded down as Python's // does (DuckDB's // truncates)."""
    return f"CASE WHEN {us} >= 0 THEN {us} // {DAY_US} ELSE -((-{us} - 1) // {DAY_US}) - 1 END"


def journal_identity(message: Outgoing, source: str) -> Identity | None:
    """A journalled raw message's identity, as the index keeps it (None for one without the headers)."""
    digest, event = (_header(message, name) for name in (H_ID, H_EVENT))
    if digest is None or event is None:
        return None
    event_us = int(event)
    record = orjson.loads(message.value)
    grid = SOURCES[source].grid(record, event_us) if isinstance(record, dict) and "kind" in record else None
    return Identity(bytes.fromhex(digest.decode()), event_us, grid, SOURCES[source].dated_identity)


def _header(message: Outgoing, name: str) -> bytes | None:
    return next((v for k, v in message.headers if k == name), None)


def _republish(
    con: duckdb.DuckDBPyConnection, publisher: Publisher, source: str, topic: str, since_us: int
) -> int:
    total = 0
    where = f"epoch_us(received_at) >= {int(since_us)}"
    for batch in archived(con, source, _COLUMNS, CHUNK, where):
        ids, keys, received, events, records = (batch.column(i).to_pylist() for i in range(5))
        rows = zip(ids, keys, received, events, records, strict=True)
        publisher.publish(
            [
                Outgoing(topic, key.encode(), record.encode(), _headers(rid, at, us))
                for rid, key, at, us, record in rows
            ],
            timeout_s=120,
        )
        total += batch.num_rows
    if total:
        log.info("republished %d archived %s records", total, source)
    return total


def _headers(identity: str, received: str, event_us: int) -> list[tuple[str, bytes]]:
    return [
        (H_ID, identity.encode()),
        (H_RECEIVED, received.encode()),
        (H_EVENT, str(event_us).encode()),
        (H_ARCHIVED, b"1"),
    ]
