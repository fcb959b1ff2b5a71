"""Finding a province of the vietnam-provinces package, and the texts of its folder."""

from __future__ import annotations

import csv
import io
import tomllib

import pytest

from contract.settings import PROJECT_ROOT
from provinces.divisions import find_province, fold, provinces
from provinces.folder import agencies_csv, province_files, read_agency_template

TEMPLATE = read_agency_template(PROJECT_ROOT / "config" / "agency-template.csv")


def test_34_provinces_and_3321_units() -> None:
    assert len(provinces()) == 34 and sum(len(p.communes) for p in provinces()) == 3321
    codes = [c.code for p in provinces() for c in p.communes]
    assert len(set(codes)) == len(codes) and all(len(c) == 5 and c.isdigit() for c in codes)


@pytest.mark.parametrize(
    "query,code",
    [
        ("12", "12"),
        ("1", "01"),
        ("01", "01"),
        ("Lai Châu", "12"),
        ("lai chau", "12"),
        ("lai-chau", "12"),
        ("Thành phố Hà Nội", "01"),
        ("TP Hồ Chí Minh", "79"),
        ("ho chi minh", "79"),
        ("Huế", "46"),
        ("Đắk Lắk", "66"),
    ],
)
def test_found_by_code_or_name(query: str, code: str) -> None:
    assert find_province(query).code == code


@pytest.mark.parametrize("query", ["", "Atlantis", "99", "Hà", "Quảng"])
def test_none_or_several_is_an_error_naming_the_candidates(query: str) -> None:
    with pytest.raises(ValueError, match="provinces match"):
        find_province(query)


def test_a_city_names_its_own_offices_and_keeps_its_kinds() -> None:
    hanoi = find_province("Hà Nội")
    assert (hanoi.name_vi, hanoi.name_en, hanoi.kind, hanoi.slug) == (
        "Hà Nội",
        "Ha Noi",
        "thanh_pho",
        "ha-noi",
    )
    rows = list(csv.DictReader(io.StringIO(agencies_csv(hanoi, TEMPLATE))))
    assert rows[0] == {
        "code": "01.VP",
        "name_vi": "Văn phòng Ủy ban nhân dân thành phố",
        "name_en": "Office of the City People's Committee",
        "verified": "template",
    }
    files = province_files(find_province("An Giang"), TEMPLATE)
    kinds = [r["kind"] for r in csv.DictReader(io.StringIO(files["communes.csv"]))]
    assert kinds == sorted(kinds, key=["phuong", "xa", "dac_khu"].index) and kinds.count("dac_khu") == 3
    meta = tomllib.loads(files["province.toml"])
    assert (meta["code"], meta["name_vi"], meta["timezone"]) == ("91", "An Giang", "Asia/Ho_Chi_Minh")


def test_fold() -> None:
    assert fold("Thành phố Hà Nội") == "thanhphohanoi" and fold("Đắk Lắk") == "daklak"
