"""`ioc worker`: one KPI worker process (Faust). Several share the partitions of every stage."""
from __future__ import annotations

import logging
import signal

import faust

from ioc.settings import Settings
from streams.engine.app import create_app


class KpiWorker(faust.Worker):
    def _on_sigusr1(self) -> None:
        """SIGUSR1 is the supervisor's graceful stop (ioc.processes); mode uses it for stack dumps."""
        self._schedule_shutdown(signal.SIGTERM)


def run_worker(settings: Settings, loglevel: str = "warning") -> None:
    app = create_app(settings)
    worker = KpiWorker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    logging.getLogger("faust").setLevel(loglevel.upper())
    worker.execute_from_commandline()
