"""Scale-out: two KPI workers sharing the partitions give exactly the KPIs of one worker; and the
topics of a multi-broker deployment are created from the catalogue without running the pipeline.

The same input (the hand-worked data sets of every source, tests/dvc_dataset.py and
tests/datasets/, in the same order and request bodies) goes through a pipeline with
`[workers] count = 1` and one with `count = 2`; the whole `kpi_latest` must be equal, row for row,
every value at relative tolerance 1e-9 (`updated_at` aside). The records are sent while the second
worker is still joining, so its first rebalance (partitions revoked from the first worker and rebuilt
from the log by the second) happens under load.
"""
from __future__ import annotations

import asyncio
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from connectors.registry import source_names
from contract.topics import CONTRACT_NAMES as topics
from ioc.broker import EmbeddedBroker
from ioc.config import load_config
from streams.kpis.registry import detail_sources, kpi_domains
from tests.handworked import requests
from tests.harness import ROOT, Pipeline, group_members
from tests.harness import ndjson as body

pytestmark = pytest.mark.integration

COLUMNS = "kpi, unit, unit_level, grain, period, value, numerator, denominator"
Key = tuple[str, str, str, str]


def kpi_latest_after_feeding(workdir: Path, workers: int) -> tuple[dict[Key, dict[str, Any]], int]:
    pipeline = Pipeline(workdir, workers=workers)
    pipeline.start()
    try:
        for source, records, accepted in requests():
            code, answer = pipeline.ingest(source, body(records))
            assert code == 200 and answer["accepted"] == accepted, (source, answer)
        pipeline.wait_idle(timeout_s=180)
        status = pipeline.status()
        assert [w["alive"] for w in status["workers"]] == [True] * workers
        assert all(w["restarts"] == 0 for w in status["workers"]), status["workers"]
        members = group_members(pipeline)
        rows = pipeline.sql(f"SELECT {COLUMNS} FROM kpi_latest")
    finally:
        assert pipeline.stop() == 0
    table = {(r["kpi"], r["unit"], r["grain"], r["period"]): r for r in rows}
    assert len(table) == len(rows)
    return table, members


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return bool(a == b)


def test_two_workers_give_the_kpis_of_one(tmp_path: Path) -> None:
    one, members_one = kpi_latest_after_feeding(tmp_path / "one", workers=1)
    two, members_two = kpi_latest_after_feeding(tmp_path / "two", workers=2)
    assert (members_one, members_two) == (1, 2), "the KPI consumer group should have one member per worker"
    # every source contributed rows (so an empty or one-source result cannot pass)
    assert {k[0].split(".")[0] for k in one} >= {"dvc", "eoffice", "population", "telecom"}
    assert len(one) > 500
    problems = [f"{k}: only with one worker: {one[k]}" for k in one.keys() - two.keys()]
    problems += [f"{k}: only with two workers: {two[k]}" for k in two.keys() - one.keys()]
    for key in one.keys() & two.keys():
        diff = [c for c in one[key] if not _same(one[key][c], two[key][c])]
        if diff:
            problems.append(f"{key}: {', '.join(f'{c} {one[key][c]!r} vs {two[key][c]!r}' for c in diff)}")
    assert not problems, f"{len(problems)} rows differ:\n" + "\n".join(sorted(problems)[:30])


# --- topics for a multi-broker deployment, created without running the pipeline ------------------

def _topics_config(tmp_path: Path, address: str, partitions: int) -> Path:
    config = tmp_path / f"config-{partitions}" / "config" / "pipeline.toml"
    config.parent.mkdir(parents=True)
    shutil.copytree(ROOT / "config" / "provinces", config.parent / "provinces")
    config.write_text(f'province = "lai-chau"\nstate_dir = "{tmp_path / "var"}"\n'
                      f'[broker]\nbootstrap_servers = ["{address}"]\n'
                      f'[topics]\npartitions = {partitions}\n[ingest]\npseudonym_key = "generate"\n')
    return config


def _ioc(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ioc.cli", "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


async def _describe(address: str) -> dict[str, tuple[int, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=address)
    await admin.start()
    try:
        names = await admin.list_topics()
        resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
        policies = {r[3]: {e[0]: e[1] for e in r[4]}.get("cleanup.policy")
                    for response in await admin.describe_configs(resources) for r in response.resources}
        described = await admin.describe_topics(names)
        return {d["topic"]: (len(d["partitions"]), policies[d["topic"]]) for d in described}
    finally:
        await admin.close()


def test_ioc_topics_create_makes_the_catalogue_on_a_broker(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "broker.log")
    address = broker.start()
    try:
        config = _topics_config(tmp_path, address, partitions=3)
        expected = {
            spec.name: (spec.partitions, "compact" if spec.compacted else "delete")
            for spec in load_config(config).topology.catalogue()
        }
        # everything `ioc run` creates, plus the KPI workers' Faust leader topic
        assert {s.name for s in topics.catalogue(source_names(), kpi_domains(), 3, detail_sources())} < set(
            expected
        )
        assert expected["ioc-kpi-__assignor-__leader"] == (1, "delete")
        plan = _ioc(config, "topics", "plan")
        assert plan.returncode == 0 and len(plan.stdout.splitlines()) == len(expected), (
            plan.stdout + plan.stderr
        )
        created = _ioc(config, "topics", "create")
        assert created.returncode == 0, created.stdout + created.stderr
        assert asyncio.run(_describe(address)) == expected
        again = _ioc(config, "topics", "create")  # idempotent
        assert again.returncode == 0 and again.stdout == created.stdout, again.stdout + again.stderr
        # the same topics with another partition count are refused, as `ioc run` refuses them
        other = _ioc(_topics_config(tmp_path, address, partitions=4), "topics", "create")
        assert other.returncode == 1 and "partition counts differ" in other.stderr, (
            other.stdout + other.stderr
        )
    finally:
        broker.stop()
