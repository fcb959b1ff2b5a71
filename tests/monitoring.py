"""A real Alertmanager and Prometheus (Debian's packages) on free loopback ports, in temporary
folders, and a webhook receiver standing in for an SMS or chat gateway."""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from ioc.client import call
from tests.harness import free_port

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PROMETHEUS = "/usr/bin/prometheus"


class Receiver:
    """Keeps every notification Alertmanager posts (webhook JSON, version 4)."""

    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        received = self.notifications

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(orjson.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def about(self, unit: str, status: str | None = None) -> list[dict[str, Any]]:
        """Notifications with an alert of `unit` (firing or resolved: the notification's status)."""
        return [n for n in self.notifications
                if any(a["labels"].get("unit") == unit for a in n["alerts"])
                and (status is None or n["status"] == status)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Service:
    """A child process with its log, stopped by its own pid."""

    def __init__(self, argv: list[str], log: Path, ready_url: str) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{argv[0]} did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def alertmanager_config(receiver: Receiver) -> str:
    """Short waits, so a test sees a notification within seconds; one group per rule and unit."""
    return f"""route:
  receiver: hook
  group_by: [alertname, rule, unit]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: "{receiver.url}"
        send_resolved: true
"""


class Alertmanager(Service):
    def __init__(self, folder: Path, receiver: Receiver) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "alertmanager.yml"
        config.write_text(alertmanager_config(receiver))
        self.url = f"http://127.0.0.1:{free_port()}"
        super().__init__([ALERTMANAGER, f"--config.file={config}", f"--storage.path={folder / 'data'}",
                          f"--web.listen-address={self.url.removeprefix('http://')}",
                          "--cluster.listen-address="], folder / "alertmanager.log", f"{self.url}/-/ready")

    def alerts(self, unit: str) -> list[dict[str, Any]]:
        """Every alert of `unit` Alertmanager holds: active, silenced or inhibited."""
        code, answer = call(f'{self.url}/api/v2/alerts?filter=unit%3D%22{unit}%22')
        assert code == 200, answer
        return list(answer)

    def silence(self, unit: str) -> str:
        now = time.time()
        body = {"matchers": [{"name": "unit", "value": unit, "isRegex": False, "isEqual": True}],
                "startsAt": _iso(now - 60), "endsAt": _iso(now + 3600), "createdBy": "tests",
                "comment": "maintenance of the commune's sites"}
        code, answer = call(f"{self.url}/api/v2/silences", "POST", orjson.dumps(body))
        assert code == 200, answer
        return str(answer["silenceID"])

    def expire(self, silence_id: str) -> None:
        code, answer = call(f"{self.url}/api/v2/silence/{silence_id}", "DELETE")
        assert code == 200, answer


class Prometheus(Service):
    def __init__(self, folder: Path, rules: Path, scrape: str, alertmanager: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(rules, folder / "rules.yml")
        config = folder / "prometheus.yml"
        # a scrape that times out makes the rule's series vanish, and Prometheus resolves its alert
        # (and, in Alertmanager, the pipeline's until its next re-post): time enough on a busy machine
        config.write_text(f"""global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["{alertmanager.removeprefix('http://')}"]
scrape_configs:
  - job_name: ioc
    static_configs:
      - targets: ["{scrape.removeprefix('http://')}"]
""")
        self.url = f"http://127.0.0.1:{free_port()}"
        super().__init__([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
                          f"--web.listen-address={self.url.removeprefix('http://')}"],
                         folder / "prometheus.log", f"{self.url}/-/ready")

    def firing(self, alertname: str) -> list[dict[str, Any]]:
        code, answer = call(f"{self.url}/api/v1/alerts")
        assert code == 200, answer
        return [a for a in answer["data"]["alerts"]
                if a["labels"]["alertname"] == alertname and a["state"] == "firing"]

    def metric(self, name: str) -> float:
        """Prometheus' own counter, summed over its labels (from its /metrics page)."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as resp:
            lines = resp.read().decode().splitlines()
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines
                   if line.startswith((name + " ", name + "{")))


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
