"""`ioc province init` for three provinces: Lai Châu (compared with the shipped folder), Hà Nội (a
centrally-run city, 126 wards and communes) and An Giang (with its three special zones).

Each written folder loads through ioc/config.py without a problem, `ioc simulate --dump` writes
records of its units only, and the real pipeline starts on it: every unit gets its live rows and
the simulated records are accepted without an unknown unit.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import orjson
import pytest

from contract.settings import PROJECT_ROOT
from contract.units import AGENCY, COMMUNE, load_units
from ioc.config import load_config
from provinces.divisions import find_province
from tests.harness import ROOT, Pipeline

pytestmark = pytest.mark.integration
SHIPPED = PROJECT_ROOT / "config" / "provinces"


def init(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    where = ["--config", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "ioc.cli", *where, "province", "init", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_lai_chau_as_shipped(tmp_path: Path) -> None:
    """The communes file is the shipped one byte for byte; the agencies' codes and names too. What
    differs: the `verified` column (yes/probable by hand, "template" here), province.toml's comments
    and its new `kind` key."""
    done = init("Lai Châu", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "communes.csv").read_bytes() == (SHIPPED / "lai-chau" / "communes.csv").read_bytes()

    def agencies(folder: Path) -> list[list[str]]:
        return [
            line.rsplit(",", 1)[0].split(",", 1)
            for line in (folder / "agencies.csv").read_text().splitlines()
        ]

    assert agencies(tmp_path)[1:] == agencies(SHIPPED / "lai-chau")[1:]
    ours, shipped = (
        tomllib.loads((f / "province.toml").read_text()) for f in (tmp_path, SHIPPED / "lai-chau")
    )
    assert {k: v for k, v in ours.items() if k != "kind"} == shipped and ours["kind"] == "tinh"


def test_dien_bien_agrees_with_its_hand_checked_list(tmp_path: Path) -> None:
    assert init("11", "--out", str(tmp_path)).returncode == 0
    assert (tmp_path / "communes.csv").read_bytes() == (SHIPPED / "dien-bien" / "communes.csv").read_bytes()


def test_unknown_or_ambiguous_names_and_existing_files_are_refused(tmp_path: Path) -> None:
    for query, message in (
        ("Atlantis", "no provinces match"),
        ("Hà", "several provinces match"),
        ("99", "no"),
    ):
        done = init(query, "--out", str(tmp_path / "x"))
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert init("12", "--out", str(tmp_path)).returncode == 0
    again = init("12", "--out", str(tmp_path))
    assert again.returncode == 2 and "--force" in again.stderr
    assert init("12", "--out", str(tmp_path), "--force").returncode == 0


@pytest.mark.parametrize(
    "query,slug,communes,city",
    [("12", "lai-chau", 38, False), ("Hà Nội", "ha-noi", 126, True), ("an giang", "an-giang", 102, False)],
)
def test_a_written_province_runs(tmp_path: Path, query: str, slug: str, communes: int, city: bool) -> None:
    folder = f"init-{slug}"
    pipeline = Pipeline(tmp_path, province=folder)  # its pipeline.toml names the folder written next
    done = init(query, "--out", str(tmp_path / "config" / "provinces" / folder), config=pipeline.config)
    assert done.returncode == 0, done.stderr

    config = load_config(pipeline.config)  # every feature's configuration, checked at once
    units = config.settings.units
    expected = find_province(query)
    assert (units.province.code, units.province.name_vi) == (expected.code, expected.name_vi)
    assert len(units.of_level(COMMUNE)) == communes and len(units.of_level(AGENCY)) == 14
    office = units.units[f"{expected.code}.VP"].name_vi
    assert office == ("Văn phòng Ủy ban nhân dân thành phố" if city else "Văn phòng Ủy ban nhân dân tỉnh")
    problems: list[str] = []
    assert load_units(tmp_path / "config" / "provinces" / folder, problems) and not problems

    dump = tmp_path / "dump"
    done = pipeline.cli("simulate", "--dump", str(dump), "--sim-hours", "3", "--seed", "7", "--sites", "60")
    assert done.returncode == 0, done.stderr
    records = {
        s: [orjson.loads(line) for line in (dump / f"{s}.ndjson").read_bytes().splitlines()]
        for s in ("dvc", "eoffice", "population", "telecom")
    }
    used = {r["MaDonVi"] for r in records["dvc"]} | {r["commune"] for r in records["population"]}
    used |= {r["commune"] for r in records["telecom"] if r["kind"] == "site"}
    assert used and used <= set(units.units), used - set(units.units)

    pipeline.start()
    try:
        for source in ("dvc", "telecom"):
            code, answer = pipeline.ingest(source, records[source])
            assert code == 200 and answer["dead_lettered"] == 0, answer
        pipeline.wait_idle()
        live = pipeline.sql(
            "SELECT unit_level, count(DISTINCT unit) AS n FROM kpi_latest "
            "WHERE kpi = 'dvc.overdue_open' GROUP BY ALL"
        )
        assert {r["unit_level"]: r["n"] for r in live} == {"commune": communes, "agency": 14, "province": 1}
        received = pipeline.sql(
            f"SELECT value FROM kpi_latest WHERE kpi = 'dvc.received' AND unit = "
            f"'{expected.code}' AND grain = 'year'"
        )
        assert received and received[0]["value"] > 0
    finally:
        assert pipeline.stop() == 0
