"""One kit per adapter: what the shared conformance suite needs to drive it (its worked example and
counts, documents of known composition, an over-limit and a hostile document). Good items are written
by the simulator's wire writers from contract records; bad and ignored ones are added here."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from connectors.adapters.base import Meta
from simulator import wire
from tests.wire_kit import MEAS_FILE, example

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = datetime(2026, 11, 10, 8, 0, tzinfo=TZ)
NAMES = ("Lò Thị Xuân", "Tẩn Láo Lở", "Giàng A Páo")  # planted: must appear in no message
UNITS = ("03390", "03388", "03430", "12.STP", "12.VP")
ORGANS = {
    "03390": "000.03.00.H35",
    "03388": "000.03.01.H35",
    "03430": "000.03.02.H35",
    "12.STP": "000.00.04.H35",
    "12.VP": "000.00.00.H35",
}


@dataclass(frozen=True)
class Composition:
    good: int
    bad: int
    ignored: int

    @property
    def items(self) -> int:
        return self.good + self.bad + self.ignored


@dataclass(frozen=True)
class Kit:
    name: str
    meta: Meta
    example: bytes
    example_counts: dict[str, int]
    expected: str
    write: Callable[[Composition, int], list[bytes]]  # bodies (edXML: one per item)
    too_large: bytes
    hostile: bytes = b"<not-closed"
    organs: dict[str, str] = field(default_factory=dict)


def _at(n: int) -> datetime:
    return BASE + timedelta(minutes=7 * n)


# -- dvcqg ----------------------------------------------------------------------------------------


def _dvc(n: int, rng: random.Random) -> dict[str, Any]:
    at = _at(n).isoformat()
    return {
        "MaHoSo": f"000.03.00.H35-261110-{n:04d}",
        "MaTTHC": "1.001193.000.00.00.H35",
        "MaDonVi": rng.choice(UNITS),
        "KenhThucHien": rng.choice((1, 2, 3)),
        "TrangThaiHoSo": rng.choice((1, 2, 4, 9, 10)),
        "ThoiGianCapNhat": at,
        "NgayTiepNhan": at,
        "DuocThanhToanTrucTuyen": rng.choice((0, 1, 2)),
        "HoSoCoThanhPhanSoHoa": rng.random() < 0.5,
        "CoKetQuaDienTu": rng.random() < 0.5,
        "CoNghiaVuTaiChinh": rng.random() < 0.5,
    }


def write_dvcqg(c: Composition, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    dossiers = [wire.dossier(_dvc(seed * 1000 + i, rng), TZ, rng) for i in range(c.good)]
    for d in dossiers:
        d["ChuHoSo"] = rng.choice(NAMES)
    bad = [{**wire.dossier(_dvc(seed * 1000 + 500 + i, rng), TZ, rng), "MaTTHC": ""} for i in range(c.bad)]
    mixed = dossiers + bad
    rng.shuffle(mixed)
    bodies = [{"session": "", "madonvi": "000.00.00.H35", "service": "DongBoHoSoMC", "data": mixed}]
    if c.ignored:
        steps = [{"MaHoSo": "x", "TrangThai": "4", "NguoiXuLy": rng.choice(NAMES)} for _ in range(c.ignored)]
        bodies.append({"session": "", "service": "CapNhatTienDoHoSoMC", "data": steps})
    return [b"\n".join(orjson.dumps(b) for b in bodies)]


# -- edxml ----------------------------------------------------------------------------------------


def _eoffice(n: int, rng: random.Random, status: str) -> dict[str, Any]:
    at = _at(n)
    return {
        "doc_id": f"000.00.00.H35,2026/11/10,{n}/UBND-VP",
        "unit": rng.choice(UNITS),
        "direction": "incoming" if status != "issued" else "outgoing",
        "status": status,
        "event_time": at.isoformat(),
        "deadline": (at + timedelta(days=5)).isoformat(),
        "urgency": rng.choice(("normal", "urgent", "flash")),
        "digitally_signed": rng.random() < 0.7,
    }


def write_edxml(c: Composition, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    docs = [
        wire.edxml_package(
            _eoffice(seed * 1000 + i, rng, rng.choice(("issued", "received", "completed"))), ORGANS, TZ, rng
        )
        for i in range(c.good)
    ]
    docs += [
        wire.edxml_package(_eoffice(seed * 1000 + 500 + i, rng, "received"), ORGANS, TZ, rng).replace(
            b"<edXML:Priority>", b"<edXML:Priority>7"
        )
        for i in range(c.bad)
    ]
    docs += [
        wire.edxml_package(_eoffice(seed * 1000 + 800 + i, rng, "processing"), ORGANS, TZ, rng)
        for i in range(c.ignored)
    ]
    for i, doc in enumerate(docs):  # a signer's and a staff member's name in every package
        docs[i] = doc.replace("Văn bản mô phỏng".encode(), rng.choice(NAMES).encode())
    rng.shuffle(docs)
    return docs


# -- meascollec -----------------------------------------------------------------------------------


def _pm(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "pm",
        "site_id": f"LCU{n:04d}",
        "period_start": _at(0).isoformat(),
        "period_s": 900,
        "availability_pct": round(rng.uniform(80, 100), 2),
        "traffic_erl": round(rng.uniform(0, 9), 2),
        "data_mb": round(rng.uniform(0, 900), 2),
        "users": rng.randrange(0, 60),
    }


def write_meascollec(c: Composition, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    good = [_pm(seed * 1000 + i, rng) for i in range(c.good)]
    text = wire.meascollec_file(good, TZ).decode()
    extra = []
    for i in range(c.bad):  # no availability counter at all
        extra.append(
            f'<measData><managedElement localDn="BAD{seed}-{i}" userLabel="{rng.choice(NAMES)}"/>'
            '<measInfo><granPeriod duration="PT900S" endTime="2026-11-10T08:15:00+07:00"/>'
            '<measType p="1">VS.Voice.Erlang</measType><measValue measObjLdn="c1"><r p="1">1</r>'
            "</measValue></measInfo></measData>"
        )
    for i in range(c.ignored):  # every cell suspect
        extra.append(
            f'<measData><managedElement localDn="SUS{seed}-{i}"/><measInfo><granPeriod duration="PT900S" '
            'endTime="2026-11-10T08:15:00+07:00"/><measType p="1">CellUnavailableTime</measType>'
            '<measValue measObjLdn="c1"><r p="1">0</r><suspect>true</suspect></measValue></measInfo>'
            "</measData>"
        )
    return [text.replace("</measCollecFile>", "".join(extra) + "</measCollecFile>").encode()]


# -- ves ------------------------------------------------------------------------------------------


def _alarm(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "alarm",
        "alarm_id": f"A{n}",
        "site_id": f"LCU{n % 50:04d}",
        "operator": "viettel",
        "probable_cause": rng.choice(("cell_outage", "mains_failure", "door_open")),
        "severity": rng.choice(("critical", "major", "minor")),
        "state": rng.choice(("raised", "cleared")),
        "event_time": _at(n % 500).astimezone(UTC).isoformat(),
    }


def write_ves(c: Composition, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    events = [wire.ves_event(_alarm(seed * 1000 + i, rng), i) for i in range(c.good)]
    for i in range(c.bad):
        e = wire.ves_event(_alarm(seed * 1000 + 500 + i, rng), i)
        del e["commonEventHeader"]["sourceName"]
        events.append(e)
    events += [wire.heartbeat("OSS", 1795115645000000, i) for i in range(c.ignored)]
    rng.shuffle(events)
    return [orjson.dumps({"eventList": events})]


# -- portal766 -------------------------------------------------------------------------------------

CKMB = (("PUBLISH_ON_TIME", 6), ("PUBLIC_UPDATE_ON_TIME", 4), ("PUBLIC_CONTENT_FULL", 2), ("DOSSIER_SYNC", 6))


def _department(code: str, metric: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    # a contact name the portal does not send, planted: the adapter's allow-list must drop it
    return {"departmentCode": code, "departmentName": f"Đơn vị {code}",
            "departmentType": "COMMUNE_PEOPLE_COMMITTEE", "contactPerson": rng.choice(NAMES),
            "metrics": [metric]}


def write_portal766(c: Composition, seed: int) -> list[bytes]:
    """A transparency answer: a department per item (its one metric), unknown departments bad,
    null scores ignored; the period inside the document."""
    rng = random.Random(seed)
    evaluation = []
    for i in range(c.good):
        code, top = CKMB[i % len(CKMB)]
        score = round(rng.uniform(0, top), 2)
        evaluation.append(_department(UNITS[(i // len(CKMB)) % len(UNITS)],
                                      {"code": code, "score": score, "maxScore": top}, rng))
    unknown = {"code": "DOSSIER_SYNC", "score": 6, "maxScore": 6}
    evaluation += [_department(f"H12.9{seed % 10}{i:02d}", unknown, rng) for i in range(c.bad)]
    evaluation += [_department("03388", {"code": "DOSSIER_SYNC", "score": None, "maxScore": 6}, rng)
                   for _ in range(c.ignored)]
    rng.shuffle(evaluation)
    period = f"2026-{1 + seed % 10:02d}"
    return [orjson.dumps({"code": "OK", "period": period, "data": {"evaluation": evaluation}})]


def _big_json_item(kind: str) -> bytes:
    if kind == "dvcqg":
        d = orjson.loads(example("dvcqg-sync.json"))
        d["data"][0]["GhiChu"] = "x" * (1 << 20)
        return orjson.dumps(d)
    e = orjson.loads(example("ves-batch.json"))
    e["eventList"][0]["faultFields"]["alarmAdditionalInformation"] = {"note": "x" * (1 << 20)}
    return orjson.dumps(e)


KITS = {
    "portal766": Kit(
        "portal766",
        Meta(period="2026-11"),
        example("../official/transparency-2026-11.json"),
        {"items": 21, "records": 14, "accepted": 14, "dead_lettered": 6, "ignored": 1},
        "portal766.json",
        write_portal766,
        b'{"code": "OK", "data": {"evaluation": [' + b" " * (16 << 20) + b"]}}",
        b'{"code": "OK", "data": {"evaluation": [',
    ),
    "dvcqg": Kit(
        "dvcqg",
        Meta(),
        example("dvcqg-sync.json"),
        {"items": 2, "records": 3, "accepted": 3, "dead_lettered": 1, "ignored": 0},
        "dvcqg-main.json",
        write_dvcqg,
        _big_json_item("dvcqg"),
        b'{"service": "DongBoHoSoMC", "data": [',
    ),
    "edxml": Kit(
        "edxml",
        Meta(),
        example("edxml-document.edxml"),
        {"items": 1, "records": 2, "accepted": 2, "dead_lettered": 0, "ignored": 0},
        "edxml-document.json",
        write_edxml,
        b"<edXML>" + b" " * (65 << 20) + b"</edXML>",
        organs=ORGANS,
    ),
    "meascollec": Kit(
        "meascollec",
        Meta("viettel", MEAS_FILE),
        example(MEAS_FILE),
        {"items": 1, "records": 1, "accepted": 1, "dead_lettered": 0, "ignored": 0},
        "meascollec.json",
        write_meascollec,
        b"<measCollecFile>" + b" " * (17 << 20) + b"</measCollecFile>",
    ),
    "ves": Kit(
        "ves",
        Meta("viettel"),
        example("ves-batch.json"),
        {"items": 3, "records": 2, "accepted": 2, "dead_lettered": 0, "ignored": 1},
        "ves.json",
        write_ves,
        _big_json_item("ves"),
        b'{"eventList": [{"commonEventHeader": ',
    ),
}
