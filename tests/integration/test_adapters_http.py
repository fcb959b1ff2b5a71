"""The wire-format adapters through the real pipeline over HTTP (wire-formats 0.1, 1.2, 4.1): each worked
example gives exactly its counts and the KPI rows the spec states; VES answers 202/400/401, the DVCQG
login 200/401; the counts reach `ioc status` and `/metrics`."""

from __future__ import annotations

import base64
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ioc.client import call
from tests.harness import Pipeline
from tests.wire_kit import DVCQG_PASSWORD, MEAS_FILE, PIPELINE_CONFIG, VES_PASSWORD, example, fill_stp_code

pytestmark = pytest.mark.integration
SITE = {
    "kind": "site",
    "site_id": "LCU0123",
    "operator": "viettel",
    "commune": "03430",
    "technologies": ["4G"],
    "valid_from": "2026-01-01T00:00:00+07:00",
}


@pytest.fixture(scope="module")
def wired(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    p = Pipeline(Path(tmp_path_factory.mktemp("adapters")), PIPELINE_CONFIG)
    fill_stp_code(p.workdir / "config" / "provinces" / "lai-chau")
    p.start()
    yield p
    if p.proc is not None:
        assert p.stop() == 0


def post(
    p: Pipeline,
    path: str,
    body: bytes,
    *,
    token: str | None = None,
    basic: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    extra = dict(headers or {})
    if basic is not None:
        extra["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    return call(f"{p.url}{path}", "POST", body, token, headers=extra)


def kpi(p: Pipeline, name: str, unit: str, grain: str, period: str) -> tuple[Any, Any, Any] | None:
    return p.kpis(name.split(".")[0]).get((name, unit, grain, period))


def test_dvcqg_worked_example(wired: Pipeline) -> None:
    body = example("dvcqg-sync.json")
    code, reply = post(wired, "/ingest/dvcqg", body, token=wired.token("dvcqg"))
    assert code == 200
    assert {
        k: reply[k]
        for k in (
            "error_code",
            "message",
            "adapter",
            "source",
            "items",
            "records",
            "accepted",
            "duplicate",
            "dead_lettered",
            "dead_letter_reasons",
            "ignored",
        )
    } == {
        "error_code": 0,
        "message": "Đồng bộ thành công",
        "adapter": "dvcqg",
        "source": "dvc",
        "items": 2,
        "records": 3,
        "accepted": 3,
        "duplicate": 0,
        "dead_lettered": 1,
        "dead_letter_reasons": {"unknown_unit:000.00.51.H35": 1},
        "ignored": 0,
    }
    code, again = post(wired, "/ingest/dvcqg", body, token=wired.token("dvcqg"))
    assert (code, again["duplicate"], again["dead_lettered"], again["accepted"]) == (200, 3, 1, 0)
    wired.wait_idle()
    for unit in ("03390", "12"):
        assert kpi(wired, "dvc.received", unit, "day", "2026-11-03") == (1, None, None)
        assert kpi(wired, "dvc.received_online", unit, "day", "2026-11-03") == (1, None, None)
        for rate in ("online_rate", "digitised_rate", "vneid_rate"):
            assert kpi(wired, f"dvc.{rate}", unit, "day", "2026-11-03") == (1, 1, 1), rate
        assert kpi(wired, "dvc.full_online_rate", unit, "day", "2026-11-03") == (None, 0, 0)
        assert kpi(wired, "dvc.finished", unit, "day", "2026-11-05") == (1, None, None)
        assert kpi(wired, "dvc.on_time_rate", unit, "month", "2026-11") == (1, 1, 1)
        assert kpi(wired, "dvc.e_result_rate", unit, "day", "2026-11-05") == (1, 1, 1)
        value = kpi(wired, "dvc.avg_processing_days", unit, "day", "2026-11-05")
        assert value is not None and abs(value[0] - 53 / 24) < 1e-9
    [letter] = wired.sql(
        "SELECT record FROM dead_letters WHERE reason = 'unknown_unit:000.00.51.H35' LIMIT 1"
    )
    assert "Tẩn Láo Lở" not in letter["record"] and "012188004521" not in letter["record"]


def test_dvcqg_login_and_sessions(wired: Pipeline) -> None:
    assert post(wired, "/ingest/dvcqg/auth", b'{"username": "motcua-laichau", "password": "wrong"}') == (
        401,
        {"error_code": 1, "message": "Sai tài khoản hoặc mật khẩu"},
    )
    code, login = post(
        wired, "/ingest/dvcqg/auth", orjson.dumps({"username": "motcua-laichau", "password": DVCQG_PASSWORD})
    )
    assert (code, login["error_code"], login["message"]) == (200, 0, "Thành công") and len(
        login["session"]
    ) >= 43
    steps = {"session": login["session"], "service": "CapNhatTienDoHoSoMC", "data": [{"MaHoSo": "x"}] * 2}
    code, reply = post(wired, "/ingest/dvcqg", orjson.dumps(steps))
    assert (code, reply["error_code"], reply["ignored_kinds"]) == (200, 0, {"CapNhatTienDoHoSoMC": 2})
    assert post(wired, "/ingest/dvcqg", orjson.dumps({**steps, "session": "forged"}))[0] == 401
    assert post(wired, "/ingest/dvcqg", orjson.dumps({**steps, "session": login["session"][:-1]}))[0] == 401
    other = {"session": login["session"], "service": "TraCuuHoSo", "data": []}
    code, reply = post(wired, "/ingest/dvcqg", orjson.dumps(other))
    assert (code, reply["error_code"], reply["message"], reply["result"]) == (
        200,
        -1,
        "Dịch vụ TraCuuHoSo không được hỗ trợ",
        [],
    )
    code, reply = post(wired, "/ingest/dvcqg", b"{not json", token=wired.token("dvcqg"))
    assert (code, reply["error_code"], reply["dead_letter_reasons"]) == (200, -1, {"unparseable": 1})
    assert (
        post(wired, "/ingest/dvcqg", b"{}", token=wired.token("edxml"))[0] == 401
    )  # another adapter's token


def test_edxml_worked_example(wired: Pipeline) -> None:
    code, reply = post(wired, "/ingest/edxml", example("edxml-document.edxml"), token=wired.token("edxml"))
    assert code == 200 and (reply["items"], reply["records"], reply["accepted"]) == (1, 2, 2)
    code, reply = post(wired, "/ingest/edxml", example("edxml-status.edxml"), token=wired.token("edxml"))
    assert code == 200 and (reply["items"], reply["records"], reply["accepted"]) == (1, 1, 1)
    wired.wait_idle()
    for grain, period in (
        ("day", "2026-11-20"),
        ("month", "2026-11"),
        ("quarter", "2026-Q4"),
        ("year", "2026"),
    ):
        assert kpi(wired, "eoffice.issued", "12.VP", grain, period) == (1, None, None)
        assert kpi(wired, "eoffice.signed_share", "12.VP", grain, period) == (1, 1, 1)
        assert kpi(wired, "eoffice.electronic_share", "12.VP", grain, period) == (1, 1, 1)
        assert kpi(wired, "eoffice.electronic_share", "12.STP", grain, period) == (1, 1, 1)
        assert kpi(wired, "eoffice.issued", "12", grain, period) == (1, None, None)
        assert kpi(wired, "eoffice.signed_share", "12", grain, period) == (1, 1, 1)
        assert kpi(wired, "eoffice.electronic_share", "12", grain, period) == (1, 2, 2)
    assert kpi(wired, "eoffice.overdue_open", "12.STP", "live", "live") == (0, None, None)
    rows = wired.sql("SELECT record FROM raw_eoffice ORDER BY event_time")
    assert all("Nguyễn Văn An" not in r["record"] and "JVBERi0" not in r["record"] for r in rows)


def test_meascollec_worked_example(wired: Pipeline) -> None:
    assert wired.ingest("telecom", [SITE])[1]["accepted"] == 1
    token = wired.token("meascollec")
    assert post(wired, "/ingest/meascollec", example(MEAS_FILE), token=token)[0] == 400  # no operator
    assert post(wired, "/ingest/meascollec?operator=nosuch", example(MEAS_FILE), token=token)[0] == 400
    code, reply = post(
        wired,
        "/ingest/meascollec?operator=viettel",
        example(MEAS_FILE),
        token=token,
        headers={"X-Filename": MEAS_FILE},
    )
    assert code == 200 and (reply["items"], reply["records"], reply["accepted"]) == (1, 1, 1)
    wired.wait_idle()
    for unit in ("03430", "12"):
        assert kpi(wired, "telecom.availability", unit, "day", "2026-11-20") == (0.9, None, None)
    [row] = wired.sql("SELECT record FROM raw_telecom WHERE record->>'kind' = 'pm'")
    assert orjson.loads(row["record"])["_wire"]["file"] == MEAS_FILE


def test_ves_listener_worked_example(wired: Pipeline) -> None:
    wired.ingest("telecom", [SITE])
    batch = orjson.loads(example("ves-batch.json"))
    raise_only = orjson.dumps({"event": batch["eventList"][0]})
    assert post(wired, "/eventListener/v7", raise_only, basic=f"ves-viettel:{VES_PASSWORD}") == (202, None)
    wired.wait_idle()
    assert kpi(wired, "telecom.sites_out", "03430", "live", "live") == (1, None, None)
    assert kpi(wired, "telecom.commune_cut_off", "03430", "live", "live") == (1, None, None)
    code, _ = post(
        wired, "/eventListener/v7/eventBatch", example("ves-batch.json"), basic=f"ves-viettel:{VES_PASSWORD}"
    )
    assert code == 202
    wired.wait_idle()
    assert kpi(wired, "telecom.sites_out", "03430", "live", "live") == (0, None, None)
    assert kpi(wired, "telecom.commune_cut_off", "03430", "live", "live") == (0, None, None)
    status = wired.status()["adapters"]["ves"]
    assert status["ignored_kinds"] == {"heartbeat": 1} and status["duplicate"] >= 1


def test_ves_refusals(wired: Pipeline) -> None:
    good = example("ves-batch.json")
    for basic in (f"ves-viettel:{VES_PASSWORD}x", "nobody:x", "ves-vnpt:", None):
        assert post(wired, "/eventListener/v7/eventBatch", good, basic=basic)[0] == 401, basic
    assert post(wired, "/eventListener/v7", good, token=wired.token("ves"))[0] == 401  # Bearer is not Basic
    code, reply = post(wired, "/eventListener/v7", b"{not json", basic=f"ves-viettel:{VES_PASSWORD}")
    assert code == 400 and reply["requestError"]["serviceException"]["messageId"] == "SVC0002"
    assert post(wired, "/eventListener/v7", b'{"events": []}', basic=f"ves-viettel:{VES_PASSWORD}")[0] == 400
    code, reply = post(wired, "/ingest/ves?operator=viettel", good, token=wired.token("ves"))
    assert code == 200 and reply["items"] == 3


def test_body_limit_and_metrics(wired: Pipeline) -> None:
    assert post(wired, "/ingest/edxml", b" " * (65 << 20), token=wired.token("edxml"))[0] == 413
    text = urllib.request.urlopen(f"{wired.url}/metrics").read().decode()
    assert 'ioc_adapter_items_total{adapter="dvcqg",outcome="mapped"} 2.0' in text
    assert 'ioc_adapter_items_total{adapter="dvcqg",outcome="dead_letter"} 3.0' in text   # 2 dossiers, 1 body
    assert 'ioc_adapter_items_total{adapter="ves",outcome="ignored"}' in text
    out = wired.cli("status")
    assert out.returncode == 0 and "adapters (wire items since start):" in out.stdout
    assert "dvcqg" in out.stdout and "ignored CapNhatTienDoHoSoMC" in out.stdout
