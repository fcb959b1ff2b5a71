"""Synthetic but valid dossier records for benchmarks (deterministic)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from contract.settings import load_settings

TZ = timezone(timedelta(hours=7))


def dossier_records(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """About four status records per dossier over the year before now."""
    rnd = random.Random(seed)
    units = [u.code for u in load_settings().units.of_level("commune", "agency")]
    start = datetime.now(TZ) - timedelta(days=375)   # the last status stays in the past
    out: list[dict[str, Any]] = []
    i = 0
    while len(out) < n:
        i += 1
        received = start + timedelta(seconds=rnd.randrange(360 * 86_400))
        due = received + timedelta(days=rnd.choice((3, 5, 7, 15)))
        base = {"MaHoSo": f"B{seed}-{i:08d}", "MaTTHC": "1.001757", "MaDonVi": rnd.choice(units),
                "KenhThucHien": rnd.choice((1, 2, 2, 3)), "NgayTiepNhan": received.isoformat(),
                "NgayHenTra": due.isoformat(), "DichVuToanTrinh": rnd.random() < 0.5,
                "CoNghiaVuTaiChinh": rnd.random() < 0.3, "DuocThanhToanTrucTuyen": rnd.choice((0, 1, 2)),
                "HoSoCoThanhPhanSoHoa": rnd.random() < 0.7, "TaiKhoanDuocXacThucVoiVNeID": rnd.random() < 0.4}
        t = received
        for status in (2, 4, 9, 10):
            t += timedelta(hours=rnd.randrange(1, 48))
            rec = dict(base, TrangThaiHoSo=status, ThoiGianCapNhat=t.isoformat())
            if status in (9, 10):
                rec.update(NgayKetThucXuLy=t.isoformat(), CoKetQuaDienTu=True,
                           MucDoHaiLong=rnd.choice((None, 3, 4, 5)))
            out.append(rec)
    return out[:n]
