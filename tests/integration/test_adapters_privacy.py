"""No personal data from the wire formats is stored, published, logged or exposed (wire-formats 0.5,
contract 2.3): holders' names and id numbers (`ChuHoSo`, `SoGiayToChuHoSo`, `DinhDanhCHS`), phones,
signers and staff (`SignerInfo`, `StaffInfo`), place labels; in good documents, bad items and documents
that cannot be read at all. The privacy scan reads every topic, every DuckDB table, every log and the
HTTP pages; DVCQG sessions and VES passwords are secrets it looks for too."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from ioc.client import call
from tests.conformance.kits import KITS, NAMES, Composition
from tests.faults.privacy_scan import (
    Findings,
    scan_duckdb,
    scan_http,
    scan_text_files,
    scan_topics,
    secrets_of,
)
from tests.harness import Pipeline
from tests.wire_kit import DVCQG_PASSWORD, MEAS_FILE, PIPELINE_CONFIG, VES_PASSWORD, example, fill_stp_code

pytestmark = pytest.mark.integration

PLANTED_IDS = ["012195000317", "012188004521", "036099012345"]
PLANTED_TEXT = [
    "Lò Thị Xuân",
    "Tẩn Láo Lở",
    "0912345678",
    "Nguyễn Văn An",
    "Khun Há - Bản Hô Ta",
    *NAMES,
    "Đăng ký khai sinh cho con",
]


def test_no_wire_personal_data_anywhere(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, PIPELINE_CONFIG)
    fill_stp_code(p.workdir / "config" / "provinces" / "lai-chau")
    p.start()
    try:
        login = call(
            f"{p.url}/ingest/dvcqg/auth",
            "POST",
            orjson.dumps({"username": "motcua-laichau", "password": DVCQG_PASSWORD}),
        )[1]
        sync = orjson.loads(example("dvcqg-sync.json"))
        sync["session"] = login["session"]
        sync["data"][1]["DinhDanhCHS"] = [{"LoaiDinhDanh": "1", "SoDinhDanh": PLANTED_IDS[2]}]
        bad = {
            **sync["data"][0],
            "MaHoSo": "000.03.00.H35-261103-0043",
            "MaTTHC": "",
        }  # a bad item, holder inside
        sync["data"].append(bad)
        assert call(f"{p.url}/ingest/dvcqg", "POST", orjson.dumps(sync))[0] == 200
        cut = orjson.dumps(sync)[:900]  # a body cut short: its kept text has its values starred out
        assert call(f"{p.url}/ingest/dvcqg", "POST", cut, p.token("dvcqg"))[1]["dead_letter_reasons"] == {
            "unparseable": 1
        }
        edxml = example("edxml-document.edxml")
        for body in (edxml, edxml.replace(b"<edXML:Priority>1<", b"<edXML:Priority>8<"), edxml[:1800]):
            assert call(f"{p.url}/ingest/edxml", "POST", body, p.token("edxml"))[0] == 200
        for name, kit in KITS.items():
            query = "?operator=viettel" if kit.meta.operator else ""
            for body in kit.write(Composition(6, 2, 1), 5):
                assert call(f"{p.url}/ingest/{name}{query}", "POST", body, p.token(name))[0] == 200
        meas = example(MEAS_FILE)
        for body in (meas, meas[:700]):
            assert (
                call(f"{p.url}/ingest/meascollec?operator=viettel", "POST", body, p.token("meascollec"))[0]
                == 200
            )
        ves = orjson.loads(example("ves-batch.json"))
        ves["eventList"][0]["faultFields"]["alarmAdditionalInformation"] = {
            "contact": "Lò Thị Xuân 0912345678"
        }
        basic = "Basic " + base64.b64encode(f"ves-viettel:{VES_PASSWORD}".encode()).decode()
        assert (
            call(
                f"{p.url}/eventListener/v7/eventBatch",
                "POST",
                orjson.dumps(ves),
                headers={"Authorization": basic},
            )[0]
            == 202
        )
        p.wait_idle()
        secrets = {
            **secrets_of(p),
            "dvcqg session": login["session"],
            "ves password": VES_PASSWORD,
            "dvcqg password": DVCQG_PASSWORD,
        }
        findings = Findings(PLANTED_IDS, secrets, PLANTED_TEXT)
        read = scan_topics(p, findings)
        scan_http(p, findings)
        assert read > 50
    finally:
        assert p.stop() == 0
    scan_text_files([*(p.workdir / "var" / "logs").glob("*.log"), p.log], findings)
    tables = scan_duckdb(p.workdir / "var" / "ioc.duckdb", findings)
    assert tables["raw_dvc"] >= 3 and tables["dead_letters"] >= 5
    assert findings.items == []
