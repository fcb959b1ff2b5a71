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
    settings: Settings, topology: Topology, index766: Index766 | None, loglevel: str = "warning"
) -> None:
    app = create_app(settings, topology, index766, FileCheckpointStore(settings.checkpoint_dir))
    worker = KpiWorker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    logging.getLogger("faust").setLevel(loglevel.upper())
    worker.execute_from_commandline()
