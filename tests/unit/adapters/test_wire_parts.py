"""The adapters' shared parts: wire time forms (0.4), organ names and codes (0.8), the configuration
checked with every problem at once."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.adapters.configuration import load_adapters
from connectors.adapters.organs import default_organs, load_organs, normalise
from connectors.adapters.wiretime import BadTime, from_epoch_us, read_time, write_time
from contract.settings import load_settings
from contract.units import load_units
from tests.wire_kit import ROOT

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("20261103093000", "2026-11-03T09:30:00+07:00"),
        ("20261103", "2026-11-03T00:00:00+07:00"),
        ("2026/11/20 15:42:10", "2026-11-20T15:42:10+07:00"),
        ("2026/11/20", "2026-11-20T00:00:00+07:00"),
        ("20/11/2026 15:42:10", "2026-11-20T15:42:10+07:00"),
        ("20/11/2026", "2026-11-20T00:00:00+07:00"),
        ("2026-11-03T10:05:00", "2026-11-03T10:05:00+07:00"),
        ("2026-11-03T10:05:00.250", "2026-11-03T10:05:00.250000+07:00"),
        ("2026-11-20T00:00:00Z", "2026-11-20T07:00:00+07:00"),
        ("2026-11-19T18:00:00-05:00", "2026-11-20T06:00:00+07:00"),
    ],
)
def test_wire_time_forms(text: str, written: str) -> None:
    at = read_time(text, TZ)
    assert at is not None and write_time(at, TZ) == written


@pytest.mark.parametrize("text", ["", "  ", None, "0001-01-01T00:00:00"])
def test_absent_times(text: str | None) -> None:
    assert read_time(text, TZ) is None


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-31",
        "18991231",
        "22000101",
        "2026.11.03",
        "03-11-2026",
        "tomorrow",
        "2026-11-03T25:00:00",
        20261103,
    ],
)
def test_bad_times(text: object) -> None:
    with pytest.raises(BadTime):
        read_time(text, TZ)


def test_deadline_means_end_of_day_and_epochs() -> None:
    at = read_time("2026/11/27", TZ, end_of_day=True)
    assert at is not None and write_time(at, TZ) == "2026-11-27T23:59:59+07:00"
    assert write_time(from_epoch_us(1795115645000000), TZ) == "2026-11-20T02:14:05+07:00"
    for bad in (1795115645, 1795115645000, True, "1795115645000000", float("nan")):
        with pytest.raises(BadTime):
            from_epoch_us(bad)


def test_names_compare_loosely() -> None:
    assert normalise("UBND  xã Bình Lư") == normalise("ubnd xã bình lư")
    assert normalise("Uỷ ban nhân dân") == normalise("Ủy ban nhân dân")
    assert normalise("Sở Văn hoá") == normalise("Sở Văn hóa")


@pytest.mark.parametrize("province", ["lai-chau", "dien-bien"])
def test_shipped_organs_are_the_generated_defaults(province: str) -> None:
    folder = ROOT / "config" / "provinces" / province
    problems: list[str] = []
    units = load_units(folder, problems)
    assert units is not None
    assert (folder / "organs.csv").read_text(encoding="utf-8") == default_organs(folder, units)
    organs = load_organs(folder / "organs.csv", units, problems)
    assert problems == []
    communes = [u for u in units.units.values() if u.level == "commune"]
    assert all(
        organs.unit_of_name(f"UBND xã {u.name_vi}") == u.code
        or organs.unit_of_name(f"UBND phường {u.name_vi}") == u.code
        for u in communes
    )
    if province == "lai-chau":
        assert organs.by_id == {"000.00.00.H35": "12.VP"}  # no guessed codes
        assert organs.unit_of_name("Uỷ ban nhân dân phường Đoàn Kết") == "03388"
        assert organs.unit_of_name("Sở Tư pháp tỉnh Lai Châu") == "12.STP"


def test_every_configuration_problem_at_once(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    provinces = tmp_path / "config" / "provinces" / "lai-chau"
    provinces.mkdir(parents=True)
    for name in ("province.toml", "communes.csv", "agencies.csv"):
        (provinces / name).write_bytes((ROOT / "config" / "provinces" / "lai-chau" / name).read_bytes())
    (provinces / "organs.csv").write_text(
        "organ_id,unit,names,verified\nX1,99999,UBND xã Ma,yes\nX2,03388,a|b,maybe\nX2,03390,,no\n",
        encoding="utf-8",
    )
    (tmp_path / "profiles.toml").write_text('[profile.default]\nusers = { sum = ["u"] }\nbogus = 1\n')
    (tmp_path / "config" / "pipeline.toml").write_text(f"""province = "lai-chau"
[ingest]
pseudonym_key = "generate"
[adapters.dvcqg]
error_code_style = "zero"
session_ttl_s = -1
[adapters.nosuch]
inbox = "x"
[adapters.meascollec]
max_document_bytes = 10
[adapters.telecom]
pm_profiles = "{tmp_path / "profiles.toml"}"
[adapters.telecom.operators.Viettel]
site_regex = "([unclosed"
site_id_template = "VTL"
pm_profile = "nosuch"
""")
    problems: list[str] = []
    load_adapters(load_settings(tmp_path / "config" / "pipeline.toml"), problems)
    text = "\n".join(problems)
    for expected in (
        "error_code_style",
        "session_ttl_s",
        "unknown adapter(s) nosuch",
        "max_document_bytes",
        "unknown key(s) bogus",
        "operator name",
        "site_regex",
        "site_id_template",
        "pm_profile",
        "unit '99999'",
        "verified = 'maybe'",
        "organ_id X2",
    ):
        assert expected in text, expected
