"""`make kafka` / `make kafka-stop`: a loopback Apache Kafka cluster driven from a shell.

    python -m tests.kafka.cli start|stop|status [--dir DIR] [--nodes N] [--sasl]

Default DIR var/kafka-cluster. The cluster outlives the command (it is not tied to it); `stop`
ends it, and its topics stay in DIR for the next `start`.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.kafka.cluster import DEFAULT_DIR, KafkaCluster
from tests.kafka.jars import ClusterError
from tests.kafka.security import ADMIN_USER


def _mib(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.0f} MiB"


def _status_lines(cluster: KafkaCluster) -> Iterator[str]:
    for node in cluster.nodes:
        state = f"pid {node.pid}, RSS {_mib(node.rss())}" if node.alive() else "stopped"
        sasl = f", sasl {node.sasl_port}" if node.sasl_port else ""
        yield f"node {node.id}: {state}; port {node.port}, controller {node.controller_port}{sasl}"


def cmd_start(cluster: KafkaCluster) -> int:
    began = time.monotonic()
    cluster.start()
    print(f"Apache Kafka {cluster.version}: {len(cluster.nodes)} nodes ready in "
          f"{time.monotonic() - began:.1f} s ({cluster.workdir})")
    print(*_status_lines(cluster), sep="\n")
    print(f"bootstrap {cluster.bootstrap}")
    if cluster.sasl:
        print(f"sasl bootstrap {cluster.sasl_bootstrap} (SCRAM-SHA-512; superuser "
              f"'{ADMIN_USER}', password in {cluster.state_file})")
    return 0


def cmd_stop(cluster: KafkaCluster) -> int:
    began = time.monotonic()
    cluster.stop()
    print(f"stopped in {time.monotonic() - began:.1f} s")
    return 0


def cmd_status(cluster: KafkaCluster) -> int:
    print(*_status_lines(cluster), sep="\n")
    if not any(n.alive() for n in cluster.nodes):
        return 1
    try:
        info = cluster.describe()
        info["under_replicated"] = cluster.under_replicated()
    except Exception as e:  # noqa: BLE001 - any failure is "no answer"
        print(f"no answer from {cluster.bootstrap}: {e!r}")
        return 1
    finally:
        cluster._close_admin()
    print(f"Apache Kafka {cluster.version}, bootstrap {cluster.bootstrap}")
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    return 0 if info["brokers"] == [n.id for n in cluster.nodes] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.kafka.cli", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"cluster folder (default {DEFAULT_DIR})")
    parser.add_argument("--nodes", type=int, default=3, help="nodes of a new cluster (default 3)")
    parser.add_argument("--sasl", action="store_true", help="a new cluster gets a SCRAM/ACL listener too")
    args = parser.parse_args(argv)
    if args.command != "start" and not (args.dir / "cluster.json").exists():
        print(f"no cluster in {args.dir}")
        return 1 if args.command == "status" else 0
    cluster = KafkaCluster(args.dir, args.nodes, sasl=args.sasl)
    try:
        return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status}[args.command](cluster)
    except ClusterError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
