"""The checkpointed stage state on Apache Kafka: KPI workers that die take their partitions back from
the last complete checkpoint's snapshots (the file store the workers share) and read only the raw
records after it, as on the embedded broker (tests/integration/test_checkpoints.py).

Dossiers, a checkpoint asked for, four more dossiers, then every worker SIGKILLed at once: the workers
the supervisor starts again take each partition "from its snapshot", their raw dvc partitions from the
offsets the checkpoint covered (every dossier before it lies below those offsets), and the whole
`kpi_latest` is what it was before the kill.
"""
from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from tests import dvc_dataset as ds
from tests.faults.driver import wait_restarted
from tests.harness import without_live
from tests.kafka.cluster import KafkaCluster
from tests.kafka.pipeline import KafkaPipeline, namespace
from tests.kafka.report import Trial

pytestmark = [pytest.mark.kafka, pytest.mark.kafka_full, pytest.mark.timeout(1500)]

TAKEN = re.compile(r"took (\S+)\[(\d+)\]: (fresh|from its snapshot), then offsets (\d+)\.\.(\d+)")


def test_killed_workers_take_their_partitions_from_the_snapshots(kafka: KafkaCluster, tmp_path: Path,
                                                                 trial: Trial) -> None:
    p = KafkaPipeline(tmp_path, kafka, namespace("checkpoints"),
                      extra_config="[checkpoints]\ninterval_s = 3600\n")   # only the checkpoint asked for
    p.start()
    try:
        code, first = p.ingest("dvc", ds.PHASE1)
        assert code == 200, first
        p.wait_idle(timeout_s=300, checkpoint=True)
        checkpoint = p.complete_checkpoint()
        code, second = p.ingest("dvc", ds.PHASE2)   # after the checkpoint: the tail
        assert code == 200 and second["accepted"] > 0, second
        p.wait_idle(timeout_s=300)
        expected = without_live(p.kpis())
        logs = sorted((tmp_path / "var" / "logs").glob("worker-*.log"))
        seen = {path: path.stat().st_size for path in logs}
        pids = p.worker_pids()
        for pid in pids.values():
            os.kill(pid, signal.SIGKILL)
        for name, pid in pids.items():
            wait_restarted(p, name, pid, timeout_s=180)
        p.wait_idle(timeout_s=300)
        assert without_live(p.kpis()) == expected
        taken = [m.groups() for path in sorted((tmp_path / "var" / "logs").glob("worker-*.log"))
                 for m in TAKEN.finditer(path.read_text()[seen.get(path, 0):])]
        raw = [(int(start), int(end)) for topic, _, _, start, end in taken
               if topic == p.topic("ioc.raw.dvc")]
        assert raw and all(how == "from its snapshot" for _, _, how, _, _ in taken), taken
        assert sum(start for start, _ in raw) >= first["accepted"], raw   # the snapshot covers them
        assert sum(end - start for start, end in raw) >= second["accepted"], raw   # the tail is read
    finally:
        assert p.stop() == 0
    trial.add("checkpoint take-over", checkpoint=checkpoint, workers_killed=len(pids),
              partitions_taken=len(taken), raw_dvc_offsets_skipped=sum(s for s, _ in raw),
              raw_dvc_offsets_read=sum(e - s for s, e in raw), kpi_rows=len(expected),
              kpis_same=True)

