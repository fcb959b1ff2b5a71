"""Public-service portal (dvc): dossier status changes, contract section 2.1."""
from __future__ import annotations

from typing import Any

from connectors.base import SourceSpec
from connectors.fields import BOOL, INT, STR, TS, Field
from contract.timestamps import parse_ts
from contract.units import UnitRegistry

CHANNELS = frozenset({1, 2, 3})
STATUSES = frozenset(range(1, 11))

FIELDS = (
    Field("MaHoSo", STR, required=True),
    Field("MaTTHC", STR, required=True),
    Field("MaDonVi", STR, required=True, unit=UnitRegistry.is_handling_unit),
    Field("KenhThucHien", INT, required=True, enum=CHANNELS),
    Field("TrangThaiHoSo", INT, required=True, enum=STATUSES),
    Field("ThoiGianCapNhat", TS, required=True),
    Field("NgayTiepNhan", TS, required=True),
    Field("NgayHenTra", TS),
    Field("NgayKetThucXuLy", TS),
    Field("DichVuToanTrinh", BOOL),
    Field("CoNghiaVuTaiChinh", BOOL),
    Field("DuocThanhToanTrucTuyen", INT, enum=frozenset({0, 1, 2})),
    Field("HoSoCoThanhPhanSoHoa", BOOL),
    Field("CoKetQuaDienTu", BOOL),
    Field("TaiKhoanDuocXacThucVoiVNeID", BOOL),
    Field("MucDoHaiLong", INT, enum=frozenset(range(1, 6))),
)


class DvcSource(SourceSpec):
    name = "dvc"

    def fields_for(self, record: dict[str, Any]) -> tuple[Field, ...]:
        return FIELDS

    def event_time_field(self, record: dict[str, Any]) -> str:
        return "ThoiGianCapNhat"

    def identity(self, record: dict[str, Any]) -> tuple[Any, ...]:
        return (record["MaHoSo"], record["TrangThaiHoSo"], parse_ts(record["ThoiGianCapNhat"]))

    def key(self, record: dict[str, Any]) -> str:
        return str(record["MaHoSo"])
