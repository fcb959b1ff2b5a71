"""`ioc ingest` cuts files into requests without judging (or changing) a single record."""
from __future__ import annotations

from pathlib import Path

import orjson

from ioc.cli import _chunks


def test_large_array_is_cut_into_arrays_of_unchanged_records(tmp_path: Path) -> None:
    big = 12345678901234567890123   # beyond 64 bits: must reach the pipeline as written
    records = [{"MaHoSo": f"X{i}", "n": big} for i in range(12_000)]
    path = tmp_path / "a.json"
    path.write_text("[" + ",".join(f'{{"MaHoSo": "X{i}", "n": {big}}}' for i in range(12_000)) + "]")
    bodies = list(_chunks(path, whole_below=1))
    assert len(bodies) == 3
    assert b"12345678901234567890123" in bodies[0] and b"e+" not in bodies[0]
    assert sum(body.count(b"MaHoSo") for body in bodies) == len(records)


def test_broken_or_deep_arrays_go_whole(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_bytes(b"[" * 5000 + b"]" * 5000)
    assert list(_chunks(path, whole_below=1)) == [path.read_bytes()]
    path.write_bytes(b'[{"a": 1}, {"a": ')
    assert list(_chunks(path, whole_below=1)) == [path.read_bytes()]


def test_ndjson_is_cut_by_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps({"i": i}) for i in range(10_001)))
    assert [body.count(b"\n") + 1 for body in _chunks(path)] == [5000, 5000, 1]
