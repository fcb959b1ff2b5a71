"""`ioc worker`: one KPI worker process (Faust). Several share the partitions of every stage."""
from __future__ import annotations

import logging
import signal

import faust

from contract.settings import Settings
from contract.topology import Topology
from streams.engine.app import create_app
from streams.engine.checkpoints import FileCheckpointStore
from streams.kpis.index766.rules import Index766


class KpiWorker(faust.Worker):
    def _on_sigusr1(self) -> None:
        """SIGUSR1 is the supervisor's graceful stop (ioc.processes); mode uses it for stack dumps."""
        self._schedule_shutdown(signal.SIGTERM)


def run_worker(
    settings: Settings, topology: Topology, index766: Index766 | None
) -> None:
    app = create_app(settings, topology, index766, FileCheckpointStore(settings.checkpoint_dir))
    # The stages log at INFO what is rare and useful (a partition taken, a snapshot); the libraries
    # under them only their warnings.
    worker = KpiWorker(app, loglevel="info", quiet=True, redirect_stdouts=False)
    for noisy in ("faust", "mode", "aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    worker.execute_from_commandline()
