"""DVCQG dossier sync bodies (`DongBoHoSoMC`) -> `dvc` records (wire-formats 1).

A dossier yields its main record at T (its latest date, or `ThoiGianCapNhat` when sent) and, per
supplement, a status-5 and a status-4 record before T. Only the fields of 1.3's "from" column are
read; everything else (the holder's name and ids, phones, texts, links, the officers) is dropped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from connectors.adapters.base import (
    Adapter,
    Context,
    Mapped,
    Meta,
    Problems,
    dead,
    ignored,
    json_lines,
    json_size,
    load_json,
)
from connectors.adapters.wiretime import BadTime, is_absent, read_time, write_time

SYNC, PROGRESS = "DongBoHoSoMC", "CapNhatTienDoHoSoMC"
DATES_FOR_T = ("NgayNopHoSo", "NgayTiepNhan", "NgayTuChoi", "NgayKetThucXuLy", "NgayTra")
SCALARS = (
    "MaHoSo",
    "MaTTHC",
    "MaDonVi",
    "DonViXuLy",
    "KenhThucHien",
    "TrangThaiHoSo",
    "ThoiGianCapNhat",
    "NgayNopHoSo",
    "NgayTiepNhan",
    "NgayTuChoi",
    "NgayKetThucXuLy",
    "NgayTra",
    "NgayHenTra",
    "DuocThanhToanTrucTuyen",
    "HoSoCoThanhPhanSoHoa",
    "TaiKhoanDuocXacThucVoiVNeID",
)
# lists: the sub-fields the mapping reads (file links are kept as true/false)
LISTS = {
    "DanhSachLePhi": ("Gia",),
    "TaiLieuNop": ("DuocSoHoa",),
    "DanhSachGiayToKetQua": ("DuongDanTepTinKetQua",),
    "DanhSachHoSoBoSung": ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraTruoc"),
}
LINKS = {"DuongDanTepTinKetQua"}
_SERVICE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


class DvcqgAdapter(Adapter):
    name = "dvcqg"
    target = "dvc"

    def read(self, body: bytes, meta: Meta, ctx: Context) -> Iterator[Mapped]:
        for kind, value in bodies(body):
            if kind == "bad":
                yield dead("unparseable", value)
                continue
            if kind == "dossiers":
                yield from (self.dossier(d, None, ctx) for d in value)
                continue
            service = value.get("service")
            data = value.get("data")
            if service not in (SYNC, PROGRESS, None):
                yield ignored(service_kind(service))
            elif not isinstance(data, list):
                yield dead("unparseable", {"service": service, "data": type(data).__name__})
            elif service == PROGRESS:
                yield from (ignored(PROGRESS) for _ in data)
            else:
                madonvi = value.get("madonvi")
                yield from (self.dossier(d, madonvi if isinstance(madonvi, str) else None, ctx) for d in data)

    def dossier(self, d: Any, madonvi: str | None, ctx: Context) -> Mapped:
        if not isinstance(d, dict):
            return dead("unparseable", reduce_value(d))
        if json_size(d) > ctx.max_record_bytes:
            return dead("too_large", reduce(d))
        problems = Problems()
        records = map_dossier(d, madonvi, ctx, problems)
        reason = problems.first()
        if reason or records is None:
            return dead(reason or "unparseable", reduce(d))
        return Mapped(records=records)


def bodies(body: bytes) -> Iterator[tuple[str, Any]]:
    """("body", a sync body) | ("dossiers", a bare list) | ("bad", reduced text): a JSON array whose
    elements have `data` is a list of bodies, any other array the `data` of one DongBoHoSoMC (1.2)."""
    try:
        values = [load_json(body)]
    except ValueError:
        lines = json_lines(body) if b"\n" in body.strip() else None
        if lines is None:
            yield "bad", scrub(body)
            return
        values = lines
    for value in values:
        if isinstance(value, list):
            if value and all(isinstance(v, dict) and "data" in v for v in value):
                yield from (("body", v) for v in value)
            else:
                yield "dossiers", value
        elif isinstance(value, dict):
            yield "body", value
        else:
            yield "bad", {"body": type(value).__name__}


def service_kind(service: Any) -> str:
    return service if isinstance(service, str) and _SERVICE_NAME.fullmatch(service) else "service:other"


_SESSION = re.compile(rb'("session"\s*:\s*)"[^"]*"')


def scrub(body: bytes) -> dict[str, Any]:
    """An unparseable body's dead letter: its start without the session (a credential), masked."""
    from connectors.adapters.xml import rejected_item

    return rejected_item(_SESSION.sub(rb'\1"***"', body), "not JSON, or data not a list", "json")


def reduce_value(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool)) or v is None else type(v).__name__


def reduce(d: dict[str, Any]) -> dict[str, Any]:
    """The dossier restricted to what the mapping reads (0.5); masking comes later, on every dead letter."""
    out: dict[str, Any] = {k: d[k] for k in SCALARS if k in d}
    for name, subs in LISTS.items():
        if name in d:
            value = d[name]
            out[name] = (
                [
                    {s: (bool(e[s]) if s in LINKS else e[s]) for s in subs if s in e}
                    for e in value
                    if isinstance(e, dict)
                ]
                if isinstance(value, list)
                else type(value).__name__
            )
    return out


# -- the mapping (1.3, 1.4, 1.5) --------------------------------------------------------------------


def wire_int(d: dict[str, Any], name: str) -> int | None:
    """A JSON integer or a digit string; None when absent or empty; ValueError otherwise."""
    v = d.get(name)
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().isascii() and v.strip().lstrip("-").isdigit():
        return int(v.strip())
    raise ValueError(name)


def wire_flag(v: Any) -> bool:
    """1, "1", true are true; 0, "0", "", false, absent are false; else ValueError."""
    if v is True or (v == 1 and not isinstance(v, float)) or v == "1":
        return True
    if v is None or v is False or (v == 0 and not isinstance(v, float)) or v in ("0", ""):
        return False
    raise ValueError(repr(v))


def _text(d: dict[str, Any], name: str, problems: Problems) -> str | None:
    v = d.get(name)
    if isinstance(v, int) and not isinstance(v, bool):
        v = str(v)
    if v is None or (isinstance(v, str) and not v.strip()):
        problems.add(f"missing_field:{name}")
        return None
    if not isinstance(v, str):
        problems.add(f"bad_type:{name}")
        return None
    return v.strip()


def _time(d: dict[str, Any], name: str, ctx: Context, problems: Problems) -> datetime | None:
    try:
        return read_time(d.get(name), ctx.units.timezone)
    except BadTime:
        problems.add(f"bad_type:{name}")
        return None


def _list(d: dict[str, Any], name: str, problems: Problems) -> list[dict[str, Any]]:
    v = d.get(name)
    if v is None:
        return []
    if not isinstance(v, list):
        problems.add(f"bad_type:{name}")
        return []
    return [e for e in v if isinstance(e, dict)]


def resolve_unit(d: dict[str, Any], ma_ho_so: str | None, ctx: Context) -> tuple[str | None, str]:
    """(unit, the code looked up): own MaDonVi, DonViXuLy by name, the MaHoSo prefix by organ_id."""
    own = d.get("MaDonVi")
    if isinstance(own, str) and ctx.units.is_handling_unit(own.strip()):
        return own.strip(), own
    name = d.get("DonViXuLy")
    if isinstance(name, str) and (unit := ctx.organs.unit_of_name(name)):
        return unit, name
    prefix = (ma_ho_so or "").split("-", 1)[0]
    return ctx.organs.unit_of_id(prefix), prefix


def map_dossier(
    d: dict[str, Any], madonvi: str | None, ctx: Context, problems: Problems
) -> tuple[dict[str, Any], ...] | None:
    tz = ctx.units.timezone
    ma_ho_so = _text(d, "MaHoSo", problems)
    ma_tthc = _text(d, "MaTTHC", problems)
    unit, looked_up = resolve_unit(d, ma_ho_so, ctx)
    if unit is None and ma_ho_so:
        problems.add(f"unknown_unit:{looked_up}")
    channel = _enum(d, "KenhThucHien", {1, 2, 3}, 1, problems)
    status = _enum(d, "TrangThaiHoSo", set(range(1, 11)), None, problems)
    supplements = _list(d, "DanhSachHoSoBoSung", problems)
    t = _event_time(d, supplements, ctx, problems)
    received = _time(d, "NgayTiepNhan", ctx, problems)
    if received is None and is_absent(d.get("NgayTiepNhan")):
        problems.add("missing_field:NgayTiepNhan")
    due = _due(d, supplements, ctx, problems)
    end = _time(d, "NgayKetThucXuLy", ctx, problems)
    if end is None and status == 3:
        end = _time(d, "NgayTuChoi", ctx, problems)
    fees = _list(d, "DanhSachLePhi", problems)
    payment = _enum(d, "DuocThanhToanTrucTuyen", {0, 1, 2, 3}, 0, problems)
    files = _list(d, "TaiLieuNop", problems)
    digitised = any(
        [_flag(d, "HoSoCoThanhPhanSoHoa", problems)] + [_flag(f, "DuocSoHoa", problems) for f in files]
    )
    results = _list(d, "DanhSachGiayToKetQua", problems)
    vneid = _flag(d, "TaiKhoanDuocXacThucVoiVNeID", problems)
    if problems.found or ma_ho_so is None or ma_tthc is None or t is None or received is None:
        return None
    main: dict[str, Any] = {
        "MaHoSo": ma_ho_so,
        "MaTTHC": ma_tthc,
        "MaDonVi": unit,
        "KenhThucHien": channel,
        "TrangThaiHoSo": status,
        "ThoiGianCapNhat": write_time(t, tz),
        "NgayTiepNhan": write_time(received, tz),
    }
    if due is not None:
        main["NgayHenTra"] = write_time(due, tz)
    if end is not None:
        main["NgayKetThucXuLy"] = write_time(end, tz)
    main.update(
        {
            "DichVuToanTrinh": ma_tthc in ctx.full_online_procedures
            or ".".join(ma_tthc.split(".")[:2]) in ctx.full_online_procedures,
            "CoNghiaVuTaiChinh": any(_price(f.get("Gia")) > 0 for f in fees),
            "DuocThanhToanTrucTuyen": 0 if payment == 3 else payment,
            "HoSoCoThanhPhanSoHoa": digitised,
            "CoKetQuaDienTu": any(_link(r.get("DuongDanTepTinKetQua")) for r in results),
            "TaiKhoanDuocXacThucVoiVNeID": vneid,
        }
    )
    wire = {"adapter": "dvcqg", "service": SYNC, "madonvi": madonvi, "derived": "main"}
    records = [{**main, "_wire": _omit_none(wire)}]
    for s in supplements:
        for field, new_status, derived in (
            ("NgayBoSung", 5, "supplement_requested"),
            ("NgayTiepNhanBoSung", 4, "supplement_received"),
        ):
            at = read_time(s.get(field), tz)  # checked while finding T
            if at is not None and at < t:
                records.append(
                    {
                        **main,
                        "TrangThaiHoSo": new_status,
                        "ThoiGianCapNhat": write_time(at, tz),
                        "_wire": _omit_none({**wire, "derived": derived}),
                    }
                )
    return tuple(records)


def _enum(
    d: dict[str, Any], name: str, allowed: set[int], default: int | None, problems: Problems
) -> int | None:
    try:
        value = wire_int(d, name)
    except ValueError:
        problems.add(f"bad_type:{name}")
        return None
    if value is None:
        if default is None:
            problems.add(f"missing_field:{name}")
        return default
    if value not in allowed:
        problems.add(f"bad_enum:{name}")
        return None
    return value


def _flag(d: dict[str, Any], name: str, problems: Problems) -> bool:
    try:
        return wire_flag(d.get(name))
    except ValueError:
        problems.add(f"bad_type:{name}")
        return False


def _event_time(
    d: dict[str, Any], supplements: list[dict[str, Any]], ctx: Context, problems: Problems
) -> datetime | None:
    """T: `ThoiGianCapNhat` when sent, else the latest present date (due dates never count)."""
    own = _time(d, "ThoiGianCapNhat", ctx, problems)
    dates = [_time(d, name, ctx, problems) for name in DATES_FOR_T]
    for s in supplements:
        dates += [_time(s, "NgayBoSung", ctx, problems), _time(s, "NgayTiepNhanBoSung", ctx, problems)]
    if own is not None:
        return own
    present = [x for x in dates if x is not None]
    return max(present) if present else None


def _due(
    d: dict[str, Any], supplements: list[dict[str, Any]], ctx: Context, problems: Problems
) -> datetime | None:
    """`NgayHenTraTruoc` of the earliest supplement having one, else `NgayHenTra` (1.3)."""
    due = _time(d, "NgayHenTra", ctx, problems)
    dated = []
    for s in supplements:
        before = _time(s, "NgayHenTraTruoc", ctx, problems)
        asked = _time(s, "NgayBoSung", ctx, problems)
        if before is not None:
            dated.append((asked or before, before))
    return min(dated, key=lambda p: p[0])[1] if dated else due


def _price(v: Any) -> int:
    """VND has no fractions: spaces, `.` and `,` are separators. Not a number: 0."""
    text = str(v) if isinstance(v, (int, str)) and not isinstance(v, bool) else ""
    digits = text.replace(" ", "").replace(".", "").replace(",", "")
    return int(digits) if digits.isascii() and digits.isdigit() else 0


def _link(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _omit_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}
