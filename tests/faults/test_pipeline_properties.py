"""Generated hostile records through the real pipeline, then a privacy and secrets sweep of everything.

Per source, seeded mutations of valid simulator records (tests/faults/mutations.py: `quick` a few
hundred records per source, `full` over 10,000) are POSTed like a source system would, in bodies
of every framing and encoding, with a few bodies over `[http] max_body_bytes` (413, nothing
counted) and a few records over 1 MiB (too_large). Then, once `ioc status --wait-idle` succeeds:

- every body was answered 200 (or 413 when oversized; 429 is retried) and its `received` equals the
  records the body holds (`expected_records`);
- no worker or sink died (alive, restarts 0);
- per source, sent == accepted + duplicate + dead-lettered in the answers, in `ioc status --json`
  and in `ioc_ingest_records_total{source,outcome}`;
- every dead letter is in DuckDB `dead_letters` (count and reasons per source equal the answers'),
  every accepted record is in `raw_<source>` once.

Then requests with no token, a wrong token, another source's token, the pseudonym key, and a personal
id as token, and the sweep (tests/faults/privacy_scan.py): no planted personal id and no 12-digit
value in any topic, DuckDB table, log, `/metrics` or `/status`, and no ingest token or pseudonym key
in any of them.
"""
from __future__ import annotations

import os
import random
import secrets
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.faults.conftest import SCALES, Ledger, per_source
from tests.faults.driver import Answers, log_tail, post, wait_idle_unbroken
from tests.faults.framing import BODY_KINDS
from tests.faults.mutations import Mutator, valid_records
from tests.faults.oracle import expected_records
from tests.faults.privacy_scan import (
    Findings,
    scan_duckdb,
    scan_http,
    scan_text_files,
    scan_topics,
    secrets_of,
)
from tests.faults.values import pid
from tests.faults.workload import SOURCES
from tests.harness import Pipeline

pytestmark = pytest.mark.integration

RECORDS = {"quick": 300, "full": 10_000}
MAX_BODY = 2 << 20
FRAMING_WEIGHTS = {
    "ndjson": 40,
    "ndjson_crlf": 12,
    "array": 15,
    "array_broken": 4,
    "pretty": 3,
    "truncated": 6,
    "utf16": 2,
    "utf16le": 2,
    "utf32": 1,
    "latin1": 4,
    "cp1258": 3,
    "invalid_utf8": 6,
    "whitespace": 2,
}
assert set(FRAMING_WEIGHTS) == set(BODY_KINDS)


def plan_bodies(source: str, target: int, rng: random.Random, m: Mutator, pool_size: str) -> list[bytes]:
    """Bodies holding at least `target` records of `source`, plus two over 1 MiB per record."""
    pool = valid_records(source, pool_size)
    bodies, total = [], 0
    framings, weights = list(FRAMING_WEIGHTS), list(FRAMING_WEIGHTS.values())
    while total < target:
        lines = []
        for _ in range(rng.randint(1, 40)):
            kinds = [k for k in m.random_kinds(0.4) if k != "too_large"]
            lines.append(m.line(source, rng.choice(pool), kinds))
        body = m.body(lines, rng.choices(framings, weights)[0])
        bodies.append(body)
        total += expected_records(body)
    for _ in range(2):  # one record over 1 MiB beside a good one: too_large, the other goes through
        bodies.append(
            m.line(source, rng.choice(pool), ["too_large"]) + b"\n" + orjson.dumps(rng.choice(pool))
        )
    rng.shuffle(bodies)
    return bodies


def oversized(source: str, rng: random.Random) -> bytes:
    pool = valid_records(source)
    lines, size = [], 0
    while size <= MAX_BODY:
        lines.append(orjson.dumps(rng.choice(pool)))
        size += len(lines[-1]) + 1
    return b"\n".join(lines)


def send(p: Pipeline, source: str, body: bytes, token: str, answers: Answers) -> tuple[int, Any]:
    deadline = time.monotonic() + 300
    while True:
        code, headers, answer = post(f"{p.url}/ingest/{source}", body, token)
        answers.codes[code] += 1
        if code not in (429, 503) or time.monotonic() > deadline:
            return code, answer
        time.sleep(min(float(headers.get("Retry-After") or 1), 5.0))


def metric_counts(p: Pipeline) -> dict[tuple[str, str], float]:
    text = urllib.request.urlopen(f"{p.url}/metrics", timeout=60).read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        if family.name == "ioc_ingest_records":
            for sample in family.samples:
                if sample.name == "ioc_ingest_records_total":
                    out[(sample.labels["source"], sample.labels["outcome"])] = sample.value
    return out


@pytest.mark.timeout(5400)
@pytest.mark.parametrize("scale", SCALES)
def test_generated_records_are_all_accounted_and_nothing_leaks(
    scale: str, tmp_path: Path, ledger: Ledger
) -> None:
    seed = os.environ.get("IOC_FAULTS_SEED") or str(random.SystemRandom().randrange(1, 10**9))
    rng = random.Random(f"{seed}:generated:{scale}")
    print(f"seed {seed!r} (IOC_FAULTS_SEED={seed} runs the same records again)")   # shown on a failure
    m = Mutator(rng, max_record_bytes=1 << 20)
    p = Pipeline(tmp_path)
    p.config.write_text(p.config.read_text().replace("[http]\n", f"[http]\nmax_body_bytes = {MAX_BODY}\n", 1))
    p.start()
    answers, mismatched, unexpected = Answers(), [], []
    try:
        tokens = {s: p.token(s) for s in SOURCES}
        queue = [
            (s, b)
            for s in SOURCES
            for b in plan_bodies(s, RECORDS[scale], rng, m, "small" if scale == "quick" else "large")
        ]
        queue += [(s, oversized(s, rng)) for s in SOURCES for _ in range(2)]
        rng.shuffle(queue)
        for n, (source, body) in enumerate(queue):
            code, answer = send(p, source, body, tokens[source], answers)
            if len(body) > MAX_BODY:
                if code != 413:
                    unexpected.append(f"{source}: a body of {len(body)} bytes answered {code}, not 413")
                continue
            if code != 200:
                path = tmp_path / f"body-{n}-{source}.bin"
                path.write_bytes(body)
                unexpected.append(f"{source}: HTTP {code} {str(answer)[:300]} (body saved in {path})")
                continue
            answers.add(source, expected_records(body), answer)
            if answer["received"] != expected_records(body):
                path = tmp_path / f"body-{n}-{source}.bin"
                path.write_bytes(body)
                mismatched.append(
                    f"{source}: received {answer['received']}, the body holds "
                    f"{expected_records(body)} ({path})"
                )
        wait_idle_unbroken(p, timeout_s=1800)
        status = p.status()
        status_cli = p.cli("status", "--json")  # the operator's view: the same counters
        assert status_cli.returncode == 0, status_cli.stderr
        assert orjson.loads(status_cli.stdout)["sources"] == status["sources"]
        metrics = metric_counts(p)
        dead = Counter(
            {
                (r["source"], r["reason"]): r["n"]
                for r in p.sql("SELECT source, reason, count(*) AS n FROM dead_letters GROUP BY ALL")
            }
        )
        raw = {s: p.sql(f"SELECT count(*) AS n, count(DISTINCT id) AS d FROM raw_{s}")[0] for s in SOURCES}
        ledger.add(
            {
                "kind": "generated_records",
                "scale": scale,
                "trial": 0,
                "seed": seed,
                "kpis_differ": False,
                "sources": per_source(answers, None, status["sources"]),
                "codes": {str(k): v for k, v in answers.codes.items()},
            }
        )

        assert not unexpected, "\n".join(unexpected[:20])
        assert not mismatched, "\n".join(mismatched[:20])
        problems = []
        for child in [status["sink"], *status["workers"]]:
            if not child["alive"] or child["restarts"]:
                problems.append(f"{child['name']} alive {child['alive']}, restarts {child['restarts']}")
        for s in SOURCES:
            st = status["sources"][s]
            if answers.sent[s] < RECORDS[scale]:
                problems.append(f"{s}: only {answers.sent[s]} records sent")
            if (
                not answers.sent[s]
                == answers.accounted(s)
                == st["accepted"] + st["duplicate"] + st["dead_lettered"]
            ):
                problems.append(
                    f"{s}: sent {answers.sent[s]}, accounted {answers.accounted(s)} (answers), "
                    f"{st['accepted']} + {st['duplicate']} + {st['dead_lettered']} (ioc status)"
                )
            got = (
                metrics.get((s, "accepted")),
                metrics.get((s, "duplicate")),
                metrics.get((s, "dead_letter")),
            )
            if got != (answers.accepted[s], answers.duplicate[s], answers.dead_lettered[s]):
                problems.append(
                    f"{s}: ioc_ingest_records_total accepted/duplicate/dead_letter {got}, answers "
                    f"{answers.accepted[s]}/{answers.duplicate[s]}/{answers.dead_lettered[s]}"
                )
            in_duckdb = Counter({reason: n for (source, reason), n in dead.items() if source == s})
            if in_duckdb != answers.reasons.get(s, Counter()) or st["dead_letter_reasons"] != dict(in_duckdb):
                problems.append(
                    f"{s}: dead letters in DuckDB {dict(in_duckdb)}, answers "
                    f"{dict(answers.reasons.get(s, {}))}, ioc status {st['dead_letter_reasons']}"
                )
            if not raw[s]["n"] == raw[s]["d"] == answers.accepted[s]:
                problems.append(f"{s}: raw_{s} {raw[s]}, accepted {answers.accepted[s]}")
        assert not problems, "\n".join(problems)

        # -- tokens: refused without writing them (or a personal id given as token) anywhere ----
        secret = secrets_of(p)
        wrong = secrets.token_urlsafe(24)
        token_id = pid(rng)
        m.planted.append(token_id)
        body = orjson.dumps({**valid_records("dvc")[0], "CCCD": pid(rng)})
        for token, source, want in [
            (None, "dvc", 401),
            (wrong, "dvc", 401),
            (tokens["eoffice"], "dvc", 403),
            (tokens["dvc"], "population", 403),
            (secret["pseudonym_key"], "dvc", 401),
            (token_id, "telecom", 401),
            (f"{tokens['dvc']}x", "dvc", 401),
            (tokens["dvc"], "no-such-source", 404),
        ]:
            code, _, answer = post(f"{p.url}/ingest/{source}", body, token)
            assert code == want, (source, code, answer)

        # -- the sweep ---------------------------------------------------------------------------
        findings = Findings(m.planted, {**secret, "wrong token": wrong})
        read = scan_topics(p, findings)
        scan_http(p, findings)
    except BaseException:
        print(log_tail(p))
        p.kill()
        raise
    assert p.stop() == 0
    tables = scan_duckdb(p.workdir / "var" / "ioc.duckdb", findings)
    scan_text_files([p.log, *(p.workdir / "var" / "logs").glob("*.log")], findings)
    print(f"swept {read} messages, DuckDB {tables}, {len(set(m.planted))} planted personal ids")
    assert read > sum(answers.accepted.values()) and tables.get("dead_letters", 0) == sum(
        answers.dead_lettered.values()
    )
    assert not findings.items, "\n".join(findings.items)
