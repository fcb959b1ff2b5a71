"""`ioc simulate --wire`: the simulator's contract records written in the source systems' own formats
and sent through the adapters (wire-formats.md), so the demo shows the real formats flowing.

- dvc records: DVCQG `DongBoHoSoMC` bodies (a dossier per status change, with `ThoiGianCapNhat` and
  the unit as the spec's extensions, and a made-up holder's name, id number and phone that the
  adapter must drop);
- eoffice records: an edXML package each (an envelope for issued, received and recalled copies, a
  status message for the others), with a made-up signer;
- telecom counters: a 3GPP measCollec file per operator and batch (three cells a site);
- telecom alarms: VES fault events per operator (and a heartbeat a batch);
- what has no wire format (population, site inventory) and deliberately bad lines stay contract JSON.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, tzinfo
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import orjson

from simulator.sender import Sender, Tally

FOREIGN_ORGAN = "000.00.00.G22"  # Văn phòng Chính phủ: not one of the province's organs
CONDITIONS = {
    "mains_failure": "MainsFailure",
    "battery_low": "BatteryLow",
    "transmission_down": "LinkDown",
    "cell_outage": "CellOutOfService",
    "site_down": "SiteDown",
    "high_temperature": "HighTemperature",
    "door_open": "DoorOpen",
}
PRIORITY = {"normal": "0", "urgent": "1", "very_urgent": "2", "flash": "3"}
STATUS_CODES = {"completed": "06", "rejected": "02", "registered": "03", "assigned": "04", "processing": "05"}
SURNAMES = ("Lò", "Tẩn", "Giàng", "Vàng", "Lường", "Nguyễn", "Hoàng", "Lù")
GIVEN = ("Thị Xuân", "Láo Lở", "A Páo", "Văn Hùng", "Thị Mai", "Seo Chử", "Văn An")
CELLS = 3


def _local(text: str, tz: tzinfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(tz)


def person(rng: random.Random) -> tuple[str, str, str]:
    """A made-up holder: name, 12-digit id number, phone (what the adapters must drop)."""
    name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
    return name, f"0{rng.randrange(10**10, 10**11)}", f"09{rng.randrange(10**7, 10**8)}"


# -- DVCQG -----------------------------------------------------------------------------------------


def dossier(r: dict[str, Any], tz: tzinfo, rng: random.Random) -> dict[str, Any]:
    def day_time(name: str) -> str:
        return _local(r[name], tz).strftime("%Y%m%d%H%M%S") if r.get(name) else ""

    name, id_number, phone = person(rng)
    d: dict[str, Any] = {
        "MaHoSo": r["MaHoSo"],
        "MaTTHC": r["MaTTHC"],
        "MaDonVi": r["MaDonVi"],
        "KenhThucHien": str(r["KenhThucHien"]),
        "TrangThaiHoSo": str(r["TrangThaiHoSo"]),
        "ThoiGianCapNhat": day_time("ThoiGianCapNhat"),
        "NgayTiepNhan": day_time("NgayTiepNhan"),
        "NgayHenTra": day_time("NgayHenTra"),
        "NgayKetThucXuLy": day_time("NgayKetThucXuLy"),
        "ChuHoSo": name,
        "SoGiayToChuHoSo": id_number,
        "SoDienThoai": phone,
        "DinhDanhCHS": [{"LoaiDinhDanh": "1", "SoDinhDanh": id_number}],
        "DuocThanhToanTrucTuyen": str(r.get("DuocThanhToanTrucTuyen", 0)),
        "HoSoCoThanhPhanSoHoa": "1" if r.get("HoSoCoThanhPhanSoHoa") else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "1" if r.get("TaiKhoanDuocXacThucVoiVNeID") else "0",
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": "50.000"}] if r.get("CoNghiaVuTaiChinh") else [],
        "DanhSachGiayToKetQua": [
            {
                "TenGiayTo": "Kết quả",
                "DuongDanTepTinKetQua": f"https://dichvucong.example/files/{r['MaHoSo']}.pdf",
            }
        ]
        if r.get("CoKetQuaDienTu")
        else [],
        "DanhSachHoSoBoSung": [],
    }
    return d


def dvcqg_body(records: list[dict[str, Any]], tz: tzinfo, rng: random.Random) -> bytes:
    return orjson.dumps(
        {
            "session": "",
            "madonvi": "000.00.00.H35",
            "service": "DongBoHoSoMC",
            "isUpdating": "True",
            "data": [dossier(r, tz, rng) for r in records],
        }
    )


# -- edXML -----------------------------------------------------------------------------------------


def _el(name: str, inner: str) -> str:
    return f"<edXML:{name}>{inner}</edXML:{name}>"


def _organ(organ_id: str) -> str:
    return _el("OrganId", escape(organ_id))


def edxml_package(r: dict[str, Any], organ_of: dict[str, str], tz: tzinfo, rng: random.Random) -> bytes:
    """One package that yields `r` (as `<doc_id>@<unit>`) for the unit's organ."""
    organ = organ_of.get(r["unit"], f"SIM.{r['unit']}")
    at = _local(r["event_time"], tz).strftime("%Y/%m/%d %H:%M:%S")
    ns = 'xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"'
    if r["status"] in STATUS_CODES:
        staff = escape(person(rng)[0])
        status = (
            _el("ResponseFor", _el("DocumentId", escape(r["doc_id"])))
            + _el("From", _organ(organ))
            + _el("StatusCode", STATUS_CODES[r["status"]])
            + _el("Timestamp", at)
            + _el("StaffInfo", _el("Staff", staff))
        )
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><edXML:edXMLEnvelope {ns}>'
            f"{_el('edXMLHeader', _el('Status', status))}</edXML:edXMLEnvelope>"
        ).encode()
    outgoing = r["direction"] == "outgoing"
    sender, receiver = (organ, FOREIGN_ORGAN) if outgoing else (FOREIGN_ORGAN, organ)
    due = (
        ""
        if outgoing or not r.get("deadline")
        else _el("DueDate", _local(r["deadline"], tz).strftime("%Y/%m/%d"))
    )
    signature = (
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>U2lt</SignatureValue>'
        "</Signature>"
        if r.get("digitally_signed")
        else ""
    )
    header = (
        _el("From", _organ(sender))
        + _el("To", _organ(receiver))
        + _el("Subject", "Văn bản mô phỏng")
        + _el("SignerInfo", _el("FullName", escape(person(rng)[0])))
        + due
        + _el("OtherInfo", _el("Priority", PRIORITY.get(r.get("urgency") or "normal", "0")))
        + _el("DocumentId", escape(r["doc_id"]))
    )
    trace = _el("TraceHeader", _organ(sender) + _el("Timestamp", at)) + _el(
        "Bussiness", _el("BussinessDocType", "1" if r["status"] == "recalled" else "0")
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><edXML:edXMLEnvelope {ns}><edXML:edXMLHeader>'
        f"{_el('MessageHeader', header)}{_el('TraceHeaderList', trace)}{signature}</edXML:edXMLHeader>"
        "</edXML:edXMLEnvelope>"
    ).encode()


# -- 3GPP measCollec -------------------------------------------------------------------------------

COUNTERS = (
    "CellUnavailableTime",
    "RRC.ConnMean",
    "DRB.PdcpSduVolumeDL",
    "DRB.PdcpSduVolumeUL",
    "VS.Voice.Erlang",
)


def _cell_values(r: dict[str, Any]) -> list[str]:
    """Per-cell counters whose sums give the record back (the default profile)."""
    period = r.get("period_s", 900)
    down = (1 - r["availability_pct"] / 100) * period
    mbit = r.get("data_mb", 0) / 0.125 / CELLS
    values = [down, r.get("users", 0) / CELLS, mbit * 0.85, mbit * 0.15, r.get("traffic_erl", 0) / CELLS]
    return [f"{v:.4f}" for v in values]


def meascollec_file(records: list[dict[str, Any]], tz: tzinfo, vendor: str = "SimVendor") -> bytes:
    """One file of many sites (a `measData` each), as an OSS exports a period of its network."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<measCollecFile xmlns="http://www.3gpp.org/ftp/specs/archive/32_series/32.435#measCollec">'
        f'<fileHeader fileFormatVersion="32.435 V10.0" vendorName={quoteattr(vendor)}>'
        '<fileSender elementType="OSS"/>'
        f'<measCollec beginTime="{records[0]["period_start"] if records else ""}"/></fileHeader>'
    ]
    types = "".join(f'<measType p="{i}">{n}</measType>' for i, n in enumerate(COUNTERS, start=1))
    for r in records:
        period = r.get("period_s", 900)
        end = (
            (datetime.fromisoformat(r["period_start"]) + timedelta(seconds=period)).astimezone(tz).isoformat()
        )
        site = escape(r["site_id"])
        cells = "".join(
            f'<measValue measObjLdn="ManagedElement={site},EUtranCellFDD={site}_{c}">'
            + "".join(f'<r p="{i}">{v}</r>' for i, v in enumerate(_cell_values(r), start=1))
            + "</measValue>"
            for c in range(1, CELLS + 1)
        )
        parts.append(
            f"<measData><managedElement localDn={quoteattr(r['site_id'])}/>"
            f'<measInfo measInfoId="CellPerformance"><granPeriod duration="PT{period}S" endTime="{end}"/>'
            f"{types}{cells}</measInfo></measData>"
        )
    parts.append("</measCollecFile>")
    return "".join(parts).encode()


# -- VES -------------------------------------------------------------------------------------------


def _epoch_us(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1_000_000)


def ves_event(r: dict[str, Any], seq: int) -> dict[str, Any]:
    cause = r["probable_cause"]
    condition = CONDITIONS.get(cause) or "".join(p.capitalize() for p in cause.split("_"))
    at = _epoch_us(r["event_time"])
    return {
        "commonEventHeader": {
            "domain": "fault",
            "eventId": f"fault-{r['alarm_id']}-{seq}",
            "eventName": f"Fault_{condition}",
            "sourceName": r["site_id"],
            "reportingEntityName": "OSS-SIM",
            "priority": "High",
            "sequence": seq,
            "startEpochMicrosec": at,
            "lastEpochMicrosec": at,
            "version": "4.1",
            "vesEventListenerVersion": "7.2.1",
        },
        "faultFields": {
            "faultFieldsVersion": "4.0",
            "alarmCondition": condition,
            "eventSeverity": "NORMAL" if r["state"] == "cleared" else r["severity"].upper(),
            "eventSourceType": "eNodeB",
            "specificProblem": cause.replace("_", " "),
            "vfStatus": "Active",
            "alarmInterfaceA": r["alarm_id"],
        },
    }


def heartbeat(source: str, at_us: int, seq: int) -> dict[str, Any]:
    return {
        "commonEventHeader": {
            "domain": "heartbeat",
            "eventId": f"hb-{seq}",
            "eventName": "Heartbeat",
            "sourceName": source,
            "reportingEntityName": "OSS-SIM",
            "priority": "Normal",
            "sequence": seq,
            "startEpochMicrosec": at_us,
            "lastEpochMicrosec": at_us,
            "version": "4.1",
            "vesEventListenerVersion": "7.2.1",
        },
        "heartbeatFields": {"heartbeatFieldsVersion": "3.0", "heartbeatInterval": 60},
    }


def ves_batch(records: list[dict[str, Any]], seq: int = 0) -> bytes:
    events = [ves_event(r, seq + i) for i, r in enumerate(records)]
    if records:
        events.append(heartbeat("OSS-SIM", _epoch_us(records[-1]["event_time"]), seq + len(records)))
    return orjson.dumps({"eventList": events})


# -- sending ---------------------------------------------------------------------------------------

class WireSender(Sender):
    """The Sender with channels per wire format: `dvcqg`, `edxml`, `meascollec:<operator>`,
    `ves:<operator>`; what has no wire format keeps its source's JSON channel."""

    def __init__(self, base_url: str, tokens: dict[str, str | None], tz: tzinfo, organs: dict[str, str],
                 seed: int, operators: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        sources = {k: v for k, v in tokens.items() if k in JSON_SOURCES}
        super().__init__(base_url, sources, **kwargs)
        self.adapter_tokens, self.tz, self.organs = tokens, tz, organs
        self.rng = random.Random(f"{seed}:wire")
        self.operator_of: dict[str, str] = {}
        self.operators = operators   # an operator the pipeline does not know keeps the JSON contract
        self.seq = 0

    def add(self, source: str, lines: list[bytes]) -> None:
        routed: dict[str, list[bytes]] = {}
        for line in lines:
            routed.setdefault(self._channel(source, line), []).append(line)
        for channel, part in routed.items():
            if channel not in self.tally:
                adapter = channel.split(":", 1)[0]
                self.tokens[channel] = self.adapter_tokens.get(adapter)
                self.tally[channel], self.queue[channel] = Tally(), []
                if self.tokens[channel] is None:
                    self._switch_off(channel, "no ingest token (has this pipeline ever started?)")
            super().add(channel, part)

    def _channel(self, source: str, line: bytes) -> str:
        """Where a line goes: its wire format when the writer takes it, else its source as JSON."""
        try:
            r = orjson.loads(line)
            if source == "telecom" and r.get("kind") == "site":
                self.operator_of[r["site_id"]] = r["operator"]
                return source
            channel = self._wire_channel(source, r)
            if channel is not None:
                self._write(channel, [r])   # a record the writer cannot take stays JSON (a bad copy)
                return channel
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        return source

    def _wire_channel(self, source: str, r: dict[str, Any]) -> str | None:
        if source == "dvc":
            return "dvcqg"
        if source == "eoffice":
            return "edxml"
        if source == "telecom" and r["kind"] in ("pm", "alarm"):
            operator = r.get("operator") or self.operator_of.get(r["site_id"], "viettel")
            if operator not in self.operators:
                return None
            return f"{'meascollec' if r['kind'] == 'pm' else 'ves'}:{operator}"
        return None

    def _write(self, channel: str, records: list[dict[str, Any]]) -> bytes:
        adapter = channel.split(":", 1)[0]
        if adapter == "dvcqg":
            return dvcqg_body(records, self.tz, self.rng)
        if adapter == "edxml":
            return edxml_package(records[0], self.organs, self.tz, self.rng)
        if adapter == "meascollec":
            return meascollec_file(records, self.tz)
        self.seq += len(records) + 1
        return ves_batch(records, self.seq)

    def request(self, source: str, batch: list[bytes]) -> tuple[str, bytes]:
        if source in JSON_SOURCES:
            return super().request(source, batch)
        adapter, _, operator = source.partition(":")
        query = f"?operator={operator}" if operator else ""
        body = self._write(source, [orjson.loads(x) for x in batch])
        return f"{self.base_url}/ingest/{adapter}{query}", body

    def _send(self, source: str, batch: list[bytes]) -> bool:
        if source != "edxml":
            return super()._send(source, batch)
        return all(super(WireSender, self)._send(source, [line]) for line in batch)   # a package a request

    def _count(self, tally: Tally, n: int, answer: dict[str, Any]) -> None:
        super()._count(tally, n, answer)
        tally.ignored += answer.get("ignored", 0)


JSON_SOURCES = ("dvc", "eoffice", "population", "telecom")
