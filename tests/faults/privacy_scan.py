"""Looking for personal id numbers and secrets everywhere a pipeline writes: every topic of the
broker, every DuckDB table and view, every log, `/metrics` (gateway and sink) and `/status`.

A personal id (contract 2.3 and 7) is a JSON string of exactly 12 digits or a 12-digit JSON integer.
Where there is JSON (records, dead letters whose record parses, KPI messages, DuckDB cells) it is
looked for structurally (not in the internal partial-sum topics, whose fixed-point sums are numbers).
Text that is not JSON (an unparseable record kept in a dead letter, logs, metrics) must not hold a run
of exactly 12 digits (digit-bounded in dead letters, which mask those;
delimited by anything but letters, digits, `.`, `_` and `-` in logs and metrics, where hex ids and
decimals are common). Separately, no planted id (every id the test put on the wire) may appear
anywhere as a digit-bounded run, no secret (ingest tokens, pseudonym key) at all, and no planted
personal text of the wire formats (names in `ChuHoSo`, `SignerInfo`, `StaffInfo`, phones) at all.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tests.harness import Pipeline, run_async
from tests.personal_ids import DIGIT_BOUNDED, has_personal_id, is_personal_id

RECORD_TOPICS = ("ioc.raw.", "ioc.dlq.", "ioc.kpi.", "ioc.alerts")  # where records and KPI messages go
# A re-encoding turns invalid UTF-8 spliced after an id into U+FFFD, then into "?" (latin-1, cp1258):
# the string is then longer than 12 digits, no personal id (contract 7), and is accepted as it is.
REPLACEMENT = (b"?", "\ufffd".encode(), b"\\ufffd")
TEXT_DELIMITED = re.compile(rb"(?<![0-9A-Za-z._-])[0-9]{12}(?![0-9A-Za-z._-])")


def parse(data: bytes | str) -> Any:
    """The JSON value of `data`, or None (big integers and deep nesting included)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def planted_stands_alone(run: bytes, blob: bytes) -> bool:
    """Whether some occurrence of `run` in `blob` is not glued to a replacement character."""
    at = blob.find(run)
    while at >= 0:
        before, after = blob[:at], blob[at + len(run) :]
        if not any(before.endswith(r) or after.startswith(r) for r in REPLACEMENT):
            return True
        at = blob.find(run, at + 1)
    return False


class Findings:
    def __init__(self, planted: Iterable[str], secrets: dict[str, str], names: Iterable[str] = ()) -> None:
        """`names`: personal data of the wire formats that is not a number (holders', signers' and staff
        members' names, phones, free texts about a person), looked for as it was sent, anywhere."""
        self.planted = {p.encode() for p in planted}
        escaped = {json.dumps(n)[1:-1].encode() for n in names if not n.isascii()}   # as JSON may write it
        self.names = {n.encode() for n in names} | escaped
        self.secrets = {name: value.encode() for name, value in secrets.items() if value}
        self.items: list[str] = []

    def add(self, where: str, what: str) -> None:
        if len(self.items) < 200:
            self.items.append(f"{where}: {what}")

    def bytes_(self, where: str, blob: bytes, text_rule: re.Pattern[bytes] | None = None) -> None:
        for run in set(DIGIT_BOUNDED.findall(blob)) & self.planted:
            if planted_stands_alone(run, blob):
                self.add(where, f"planted personal id {run.decode()}")
        for name, secret in self.secrets.items():
            if secret in blob:
                self.add(where, f"secret {name}")
        for text in self.names:
            if text in blob:
                self.add(where, f"personal data {text.decode(errors='replace')!r}")
        if text_rule is not None:
            for run in set(text_rule.findall(blob)):
                self.add(where, f"12-digit number {run.decode()} in text")

    def json_or_text(self, where: str, data: bytes | str) -> None:
        """A record or dead-letter text: structurally when it is JSON, else no digit-bounded 12-digit run."""
        value = parse(data)
        if value is None:
            raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            for run in set(DIGIT_BOUNDED.findall(raw)):
                self.add(where, f"12 digits {run.decode()} in unparseable text")
        elif has_personal_id(value):
            self.add(where, f"a personal id in {str(data)[:160]!r}")


def scan_topics(pipeline: Pipeline, findings: Findings) -> int:
    """Every message of every topic the broker holds, from offset 0; returns how many were read."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    broker = pipeline.status()["broker"]["address"]

    async def scan() -> int:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=broker,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
            max_partition_fetch_bytes=32 << 20,
        )
        await consumer.start()
        read = 0
        try:
            names = [t for t in await consumer.topics() if not t.startswith("__")]
            tps = [
                TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or [])
            ]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            empty = 0
            while empty < 5:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                empty = 0 if batch else empty + 1
                for tp, records in batch.items():
                    for r in records:
                        read += 1
                        where = f"topic {tp.topic}[{tp.partition}]@{r.offset}"
                        findings.bytes_(
                            where,
                            (r.key or b"")
                            + b"\0"
                            + (r.value or b"")
                            + b"\0"
                            + b"\0".join(v for _, v in r.headers or []),
                        )
                        if r.key and is_personal_id(r.key.decode(errors="replace")):
                            findings.add(where, "the key is a personal id")
                        for name, v in r.headers or []:
                            if is_personal_id(v.decode(errors="replace")):
                                findings.add(where, f"header {name} is a personal id")
                        if not tp.topic.startswith(RECORD_TOPICS):
                            continue  # internal partial sums are fixed-point numbers, not records
                        value = parse(r.value) if r.value else None
                        if isinstance(value, dict) and "record" in value and ".dlq." in tp.topic:
                            findings.json_or_text(where, value["record"])
                        elif value is not None and has_personal_id(value):
                            findings.add(where, f"a personal id in {r.value[:160]!r}")
                positions = {tp: await consumer.position(tp) for tp in tps}
                if all(positions[tp] >= ends[tp] for tp in tps):
                    break
        finally:
            await consumer.stop()
        return read

    return run_async(scan)


def scan_duckdb(path: Path, findings: Findings) -> dict[str, int]:
    """Every row of every table and view, read-only (after the pipeline stopped)."""
    con = duckdb.connect(str(path), read_only=True)
    counts = {}
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for name in names:
            cursor = con.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            n = 0
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    n += 1
                    for column, cell in zip(columns, row):
                        where = f"duckdb {name}.{column} (row {n})"
                        if isinstance(cell, str):
                            findings.bytes_(where, cell.encode("utf-8", "surrogatepass"))
                            if cell[:1] in "[{" or column == "record":
                                findings.json_or_text(where, cell)
                            elif is_personal_id(cell):
                                findings.add(where, f"the value {cell}")
                        elif is_personal_id(cell):
                            findings.add(where, f"the value {cell}")
            counts[name] = n
    finally:
        con.close()
    return counts


def scan_text_files(paths: Iterable[Path], findings: Findings) -> None:
    for path in paths:
        findings.bytes_(f"log {path.name}", path.read_bytes(), TEXT_DELIMITED)


def scan_http(pipeline: Pipeline, findings: Findings) -> None:
    pages = {
        "/metrics": f"{pipeline.url}/metrics",
        "/status": f"{pipeline.url}/status",
        "sink /metrics": f"http://127.0.0.1:{pipeline.query_port}/metrics",
    }
    for name, url in pages.items():
        try:
            body = urllib.request.urlopen(url, timeout=60).read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                continue  # the sink may not serve metrics
            raise
        findings.bytes_(name, body, TEXT_DELIMITED)


def secrets_of(pipeline: Pipeline) -> dict[str, str]:
    var = pipeline.workdir / "var"
    tokens = orjson.loads((var / "tokens.json").read_bytes())
    key = orjson.loads((var / "secrets.json").read_bytes())["pseudonym_key"]
    return {**{f"token:{s}": t for s, t in tokens.items()}, "pseudonym_key": key}
