"""The `ioc` command: run the pipeline, feed it, watch it, query it."""
from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from connectors.adapters.registry import ADAPTERS
from connectors.parse import split_records
from contract.errors import ConfigError
from gateway.tokens import read_token
from ioc.client import PipelineUnavailable, call, post_with_retry
from ioc.config import Config, load_config
from ioc.view import print_ingest, print_rows, print_status

CHUNK_RECORDS = 5000


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `ioc sql ... | head` ends quietly
    args = _parser().parse_args(argv)
    if getattr(args, "before_config", False):   # writes configuration: must not need a valid one
        return int(args.handler(None, args) or 0)
    try:
        config = load_config(args.config, args.bootstrap)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        return int(args.handler(config, args) or 0)
    except PipelineUnavailable as exc:
        print(f"error: {exc}\nIs the pipeline running? Start it with `make run`.", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ioc", description="Provincial IOC event pipeline")
    p.add_argument("--config", help="pipeline.toml (default: config/pipeline.toml or $IOC_CONFIG)")
    p.add_argument(
        "--bootstrap", help=argparse.SUPPRESS
    )  # `ioc run` hands its children the embedded broker's address
    sub = p.add_subparsers(required=True, metavar="command")
    sub.add_parser("run", help="start the whole pipeline").set_defaults(handler=_run)
    sub.add_parser("worker", help="(internal) one KPI worker").set_defaults(handler=_worker)
    sub.add_parser("sink", help="(internal) the DuckDB sink").set_defaults(handler=_sink)
    ing = sub.add_parser(
        "ingest", help="send files of source records, or of a source system's own wire format"
    )
    ing.add_argument("source", help="a source (dvc, eoffice, population, telecom) or an adapter "
                     "(dvcqg, edxml, meascollec, ves, portal766)")
    ing.add_argument("files", nargs="+", type=Path)
    ing.add_argument("--url", help="pipeline URL (default from the configuration)")
    ing.add_argument("--token", help="bearer token (default: configured or generated one)")
    ing.add_argument("--operator", help="meascollec, ves: the operator the files come from")
    ing.add_argument("--period", help="portal766: the period a portal JSON answer is about "
                     "(2026-11, 2026-Q4, 2026)")
    ing.add_argument(
        "--broker",
        help="validate here and publish straight to this broker (host:port) "
        "instead of the running pipeline's HTTP port",
    )
    ing.set_defaults(handler=_ingest)
    st = sub.add_parser("status", help="pipeline health")
    st.add_argument(
        "--wait-idle", action="store_true", help="exit 0 once DuckDB reflects every accepted record"
    )
    st.add_argument("--checkpoint", action="store_true",
                    help="with --wait-idle: through a checkpoint (stages snapshot; a restart starts there)")
    st.add_argument("--timeout", type=float, default=120.0)
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=_status)
    bk = sub.add_parser(
        "backup", help="copy the store, a checkpoint and the secrets (while running); --restore"
    )
    bk.add_argument("folder", type=Path)
    bk.add_argument(
        "--restore", action="store_true", help="restore a backup into this (stopped) installation"
    )
    bk.add_argument("--force", action="store_true", help="with --restore: replace an existing store")
    bk.set_defaults(handler=_backup)
    sq = sub.add_parser("sql", help="read-only SQL on the DuckDB store")
    sq.add_argument("query")
    sq.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sq.set_defaults(handler=_sql)
    al = sub.add_parser("alerts", help="the alert rules of the configuration")
    al.add_argument(
        "format", choices=("prometheus",), help="prometheus: print them as a Prometheus rule file"
    )
    al.set_defaults(handler=_alerts)
    pw = sub.add_parser("passwd", help="a password hash for [auth.users.<name>]: the ops screens' log-in")
    pw.add_argument("user", help="the user name (as it will log in)")
    pw.add_argument("--role", choices=("viewer", "operator", "admin"), default="operator")
    pw.set_defaults(handler=_passwd)
    rp = sub.add_parser("replay", help="recompute every KPI from the DuckDB archive (pipeline stopped)")
    rp.add_argument(
        "--compare",
        action="store_true",
        help="write nothing; exit 1 when kpi_current differs from the recomputation",
    )
    rp.set_defaults(handler=_replay)
    from ioc import province, report

    prov = sub.add_parser("province", help="a province's configuration from the official list: init | list")
    province.add_arguments(prov)
    prov.set_defaults(handler=province.main, before_config=True)

    rep = sub.add_parser("report", help="the workbook (xlsx) or leadership summary (pdf) of a period")
    report.add_arguments(rep)
    rep.set_defaults(handler=report.main)
    from ioc.simulate import add_arguments

    sim = sub.add_parser("simulate", help="send realistic simulated records of every source (demo data)")
    add_arguments(sim)
    sim.set_defaults(handler=_simulate)
    from ioc import topics_cli

    tp = sub.add_parser("topics", help="the topic catalogue on an Apache Kafka cluster: plan | create")
    topics_cli.add_arguments(tp)
    tp.set_defaults(handler=topics_cli.main)
    return p


def _run(config: Config, args: argparse.Namespace) -> int:
    from ioc.supervisor import run_pipeline

    return run_pipeline(config)


def _backup(config: Config, args: argparse.Namespace) -> int:
    from ioc import backup

    if args.restore:
        try:
            return backup.restore(config.settings, config.topology.sources, args.folder, args.force)
        except RuntimeError as exc:  # the store is open: the pipeline runs
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return backup.create(config.settings, args.folder)


def _alerts(config: Config, args: argparse.Namespace) -> int:
    from alerts.prometheus import rule_file

    sys.stdout.write(rule_file(config.alert_rules))
    return 0


def _passwd(config: Config, args: argparse.Namespace) -> int:
    """Asks twice on a terminal; reads one line from a pipe. Prints the TOML to add."""
    import getpass

    from gateway.auth import hash_password

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.user}: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:
        print("error: a password of at least 10 characters", file=sys.stderr)
        return 2
    print(f'[auth.users."{args.user}"]\nrole = "{args.role}"\npassword_hash = "{hash_password(password)}"')
    return 0


def _simulate(config: Config, args: argparse.Namespace) -> int:
    from ioc.simulate import main as simulate

    return simulate(config.settings, args)


def _replay(config: Config, args: argparse.Namespace) -> int:
    from ioc.replay import run_replay

    try:
        return run_replay(config, args.compare)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _worker(config: Config, args: argparse.Namespace) -> int:
    from streams.worker import run_worker

    run_worker(config.settings, config.topology, config.index766)
    return 0


def _sink(config: Config, args: argparse.Namespace) -> int:
    from sinks.service import run_sink

    run_sink(config.settings, config.topology, config.alert_rules, config.alertmanager,
             config.backfill_after_s)
    return 0


def _chunks(path: Path, whole_below: int = 8 << 20) -> Iterator[bytes]:
    """Bounded request bodies: NDJSON by lines, a large JSON array by elements; else the file whole.

    The pipeline does all parsing and validation; the array is only re-cut where every element
    can be written back unchanged, so nothing is judged here.
    """
    data = path.read_bytes()
    if data.lstrip()[:1] != b"[":
        lines = data.splitlines()
        for i in range(0, len(lines), CHUNK_RECORDS):
            yield b"\n".join(lines[i : i + CHUNK_RECORDS])
        return
    if len(data) < whole_below:
        yield data
        return
    try:
        items = list(split_records(data, len(data)))
        texts = [item.text for item in items if item.reject is None]
        if len(texts) != len(items):
            raise ValueError("not a clean array")
    except (ValueError, RecursionError):
        yield data  # the pipeline dead-letters it with the reason
        return
    for i in range(0, len(texts), CHUNK_RECORDS):
        yield ("[" + ",".join(texts[i : i + CHUNK_RECORDS]) + "]").encode()


def _ingest(config: Config, args: argparse.Namespace) -> int:
    settings = config.settings
    if args.source in ADAPTERS:
        from ioc.wire_ingest import ingest_wire

        if args.broker:
            print("error: adapters go through the pipeline's HTTP port (no --broker)", file=sys.stderr)
            return 2
        url = (args.url or settings.http_url).rstrip("/")
        token = args.token or read_token(settings.tokens, args.source, settings.state_dir)
        return ingest_wire(config, args.source, args.files, url, token, args.operator, args.period)
    if args.broker:
        from ioc.direct_ingest import ingest_to_broker

        names = config.topology.names
        return ingest_to_broker(settings.with_broker(args.broker), names, args.source, args.files)
    url = (args.url or settings.http_url).rstrip("/")
    token = args.token or read_token(settings.tokens, args.source, settings.state_dir)
    totals: dict[str, Any] = {"accepted": 0, "duplicate": 0, "dead_lettered": 0, "dead_letter_reasons": {}}
    started = time.perf_counter()
    for path in args.files:
        for body in _chunks(path):
            status, answer = post_with_retry(f"{url}/ingest/{args.source}", body, token)
            if status != 200:
                print(f"error: {path}: HTTP {status}: {answer.get('error', answer)}", file=sys.stderr)
                return 1
            for key in ("accepted", "duplicate", "dead_lettered"):
                totals[key] += answer[key]
            for reason, n in answer["dead_letter_reasons"].items():
                totals["dead_letter_reasons"][reason] = totals["dead_letter_reasons"].get(reason, 0) + n
    print_ingest(args.source, totals, time.perf_counter() - started)
    return 0


def _status(config: Config, args: argparse.Namespace) -> int:
    base = config.settings.http_url
    if args.wait_idle:
        return _wait_idle(base, args.timeout, args.checkpoint)
    _, status = call(f"{base}/status")
    if args.json:
        print(orjson.dumps(status, option=orjson.OPT_INDENT_2).decode())
    else:
        print_status(status)
    return 0


def _wait_idle(base: str, timeout: float, checkpoint: bool = False) -> int:
    deadline = time.monotonic() + timeout
    barrier = None
    while time.monotonic() < deadline:
        if barrier is None:
            code, answer = call(f"{base}/barrier", "POST", orjson.dumps({"checkpoint": checkpoint}))
            barrier = answer.get("barrier") if code == 200 else None
        else:
            code, answer = call(f"{base}/barrier/{barrier}")
            if code == 200 and answer.get("complete"):
                print(
                    "idle: every record accepted so far is reflected in DuckDB"
                    + (", and in a complete checkpoint" if checkpoint else "")
                )
                return 0
        time.sleep(0.2)
    print(
        f"timeout after {timeout:.0f} s: DuckDB does not yet reflect every accepted record", file=sys.stderr
    )
    if barrier:
        print(f"still waiting on: {answer.get('missing')}", file=sys.stderr)
    return 1


def _sql(config: Config, args: argparse.Namespace) -> int:
    # a 503 is the sink restarting (e.g. while `ioc run` rotates the embedded broker)
    body = orjson.dumps({"query": args.query})
    code, answer = post_with_retry(f"{config.settings.http_url}/sql", body, None)
    if code != 200:
        print(f"error: {answer.get('error', answer)}", file=sys.stderr)
        return 1
    print_rows(answer, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
