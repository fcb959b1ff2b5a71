"""End-to-end latency, per record: POST one record to the gateway, see its KPI row in `kpi_latest`.

Each probe is a new dossier received on its own day (from 2019-01-01 on, one day per probe), so it
creates a `dvc.received` row (unit, grain `day`, that date) that no other record touches. A sender
thread POSTs one probe at a time on a fixed schedule (the given rate, not waiting for the
pipeline); a poller asks the sink's read-only SQL port every `poll_s` which of those rows exist.
A probe's latency is the first poll that saw its row minus the moment its POST started, so the
figures include HTTP, validation, both KPI stages, the DuckDB commit and up to one poll interval.
"""
from __future__ import annotations

import http.client
import threading
import time
from datetime import date, timedelta
from typing import Any

import orjson

FIRST_DAY = date(2019, 1, 1)
KPI = "dvc.received"


def probe(i: int, unit: str) -> tuple[bytes, str]:
    day = FIRST_DAY + timedelta(days=i)
    at = f"{day.isoformat()}T10:00:00+07:00"
    record = {"MaHoSo": f"LAT-{i:06d}", "MaTTHC": "1.001757", "MaDonVi": unit, "KenhThucHien": 2,
              "TrangThaiHoSo": 2, "ThoiGianCapNhat": at, "NgayTiepNhan": at,
              "NgayHenTra": f"{(day + timedelta(days=5)).isoformat()}T17:00:00+07:00"}
    return orjson.dumps(record), day.isoformat()


class _Http:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        self.conn.request("POST", path, body, {"Content-Type": "application/json", **headers})
        resp = self.conn.getresponse()
        return resp.status, orjson.loads(resp.read() or b"null")

    def close(self) -> None:
        self.conn.close()


def measure(gateway_port: int, query_port: int, token: str, unit: str, rate: float, n: int,
            poll_s: float = 0.02, settle_s: float = 15.0) -> dict[str, Any]:
    """Returns latencies (s) of the probes seen, how many were not seen, and the achieved send rate."""
    bodies = [probe(i, unit) for i in range(n)]
    sent: list[float | None] = [None] * n
    seen: dict[str, float] = {}
    errors: list[str] = []
    done = threading.Event()
    query = orjson.dumps({"query": f"SELECT period FROM kpi_latest WHERE kpi = '{KPI}' AND grain = 'day' "
                                   f"AND unit = '{unit}' AND period >= '{FIRST_DAY.isoformat()}' "
                                   f"AND period < '{(FIRST_DAY + timedelta(days=n)).isoformat()}'"})

    def send() -> None:
        http = _Http(gateway_port)
        try:
            t0 = time.perf_counter()
            for i, (body, _) in enumerate(bodies):
                time.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
                sent[i] = time.perf_counter()
                code, answer = http.post("/ingest/dvc", body, {"Authorization": f"Bearer {token}"})
                if code != 200 or answer.get("accepted") != 1:
                    errors.append(f"probe {i}: HTTP {code} {answer}")
        finally:
            http.close()

    def poll() -> None:
        http = _Http(query_port)
        try:
            while not done.is_set():
                code, answer = http.post("/sql", query, {})
                now = time.perf_counter()
                if code == 200:
                    for (period,) in answer["rows"]:
                        seen.setdefault(period, now)
                time.sleep(poll_s)
        finally:
            http.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    started = time.perf_counter()
    send()
    send_s = time.perf_counter() - started
    deadline = time.perf_counter() + settle_s
    while len(seen) < n and time.perf_counter() < deadline:
        time.sleep(0.05)
    done.set()
    poller.join(timeout=5)
    latencies = [seen[day] - t for (_, day), t in zip(bodies, sent) if t is not None and day in seen]
    return {"latencies": latencies, "missing": n - len(latencies), "errors": errors,
            "achieved_rate": n / send_s if send_s else 0.0}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]
