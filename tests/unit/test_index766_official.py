"""The live estimate beside the official figures (streams/kpis/index766/official.py), worked by hand
on commune A of the hand-worked dvc data, 2026-11, with no supplied figures:

live (index stage): CKMB 0 (four components, no data); TDGQ 15; CLGQ 12; TTTT 3 (paid online 6*0.5,
two procedure items no data); MDSH 8; MDHL 6 + 6 (petitions: none, full) + 6*(2/3)/0.9 -> 54.444...
official (examples/official): CKMB 4.5 + 4 + 1.96 + 6 = 16.46; TDGQ 16; CLGQ 11; TTTT 7.5 (the
group); MDSH 15 (the group); MDHL 5 + 6 + 5.5 = 16.5 -> 82.46
estimate: CKMB takes the official 16.46; TDGQ, CLGQ measured 15, 12; TTTT and MDSH keep their live
points (a group figure cannot be split over a group that has measured components); MDHL petitions
take 5 and 6, satisfaction measured 4.444... -> 69.904...; difference 69.904... - 82.46.
"""
from __future__ import annotations

import math
from typing import Any

import pytest

from contract.settings import PROJECT_ROOT
from streams.kpis.index766.official import compare, compare_rows
from streams.kpis.index766.rules import Rules, load_rules
from streams.kpis.index766.score import score

SAT = 6 * (2 / 3) / 0.9
KPIS = {"dvc.on_time_rate": (0.75, 3, 4), "dvc.full_online_rate": (1.0, 2, 2),
        "dvc.online_payment_rate": (0.5, 1, 2), "dvc.e_result_rate": (0.5, 2, 4),
        "dvc.digitised_rate": (0.25, 1, 4), "dvc.satisfaction_rate": (2 / 3, 2, 3)}
OFFICIAL = {("CKMB", "PUBLISH_ON_TIME"): 4.5, ("CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
            ("CKMB", "PUBLIC_CONTENT_FULL"): 1.96, ("CKMB", "DOSSIER_SYNC"): 6.0, ("TDGQ", "ON_TIME"): 16.0,
            ("CLGQ", "FULL_ONLINE"): 11.0, ("TTTT", ""): 7.5, ("MDSH", ""): 15.0,
            ("MDHL", "PETITION_PROCESSING_ON_TIME"): 5.0, ("MDHL", "PETITION_HANDLING_SATISFACTION"): 6.0,
            ("MDHL", "DOSSIER_RECEIVING_SATISFACTION"): 5.5}


@pytest.fixture(scope="module")
def rules() -> Rules:
    r = load_rules(PROJECT_ROOT / "config" / "index766" / "portal-2025.toml", [])
    assert r is not None
    return r


def live_rows(rules: Rules) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in score(rules, "commune", KPIS, {})["components"]}


def test_worked_example(rules: Rules) -> None:
    live = live_rows(rules)
    c = compare(rules, "commune", live, OFFICIAL, 50 + SAT)
    groups = {g.code: g for g in c.groups}
    assert math.isclose(sum(x["points"] for x in live.values()), 50 + SAT)
    assert groups["CKMB"].estimate == pytest.approx(16.46) and groups["CKMB"].official == pytest.approx(16.46)
    assert (groups["TTTT"].estimate, groups["TTTT"].official) == (3.0, 7.5)
    assert (groups["MDSH"].estimate, groups["MDSH"].official) == (8.0, 15.0)
    assert groups["MDHL"].estimate == pytest.approx(11 + SAT)
    assert groups["MDHL"].official == pytest.approx(16.5)
    assert c.estimate == pytest.approx(16.46 + 15 + 12 + 3 + 8 + 11 + SAT)
    assert c.official == pytest.approx(82.46)
    assert c.difference == pytest.approx(16.46 + 15 + 12 + 3 + 8 + 11 + SAT - 82.46)
    bases = {x["code"]: x["basis"] for x in c.components}
    assert bases["PUBLISH_ON_TIME"] == "official" and bases["ON_TIME"] == "measured"
    assert bases["PETITION_PROCESSING_ON_TIME"] == "official"
    assert bases["FEE_PROCEDURES_ON_PORTAL"] == "no_data"
    assert bases["ELECTRONIC_CERTIFIED_COPY"] == "no_data"   # a commune's item, no figure
    assert bases["CITIZEN_DATA_CONNECTED_DOSSIER"] == "not_applicable"


def test_group_figure_stands_for_an_unmeasured_group(rules: Rules) -> None:
    c = compare(rules, "commune", live_rows(rules), {("CKMB", ""): 12.5})
    ckmb = next(g for g in c.groups if g.code == "CKMB")
    assert (ckmb.estimate, ckmb.official, ckmb.difference) == (12.5, 12.5, 0.0)
    assert c.official is None and c.difference is None   # five groups have no official points
    assert c.official_groups == 1


def test_incomplete_group_has_no_official_points(rules: Rules) -> None:
    c = compare(rules, "commune", live_rows(rules), {("CKMB", "PUBLISH_ON_TIME"): 6.0})
    ckmb = next(g for g in c.groups if g.code == "CKMB")
    assert ckmb.official is None and ckmb.estimate == 6.0


def test_not_applicable_components_count_their_maximum(rules: Rules) -> None:
    # a commune: the two population-data components do not apply (2 + 2)
    figures = {("MDSH", c): 1.0 for c in ("ORIGINAL_RESULT_AVAILABLE", "SO_HOA_GIAY_TO_GIAI_QUYET",
                                          "ELECTRONIC_CERTIFIED_COPY", "REUSED_DIGITIZED_DATA",
                                          "SYNCED_WITH_DVCQG_PERSONAL_STORAGE")}
    mdsh = next(g for g in compare(rules, "commune", live_rows(rules), figures).groups if g.code == "MDSH")
    assert mdsh.official == 5.0 + 4.0


def test_rows_without_a_live_score(rules: Rules) -> None:
    rows = compare_rows(rules, {"03408": "commune"}, [], [],
                        [{"unit": "03408", "period": "2026-11", "group_code": "TDGQ", "component": "ON_TIME",
                          "points": 18.2}])
    c = rows[("03408", "2026-11")]
    assert c.estimate is None and c.official is None and c.difference is None
    assert next(g for g in c.groups if g.code == "TDGQ").official == 18.2


def test_figures_the_rules_do_not_allow_are_left_out(rules: Rules) -> None:
    # what a contract record posted past the adapter could carry: another group's component, too many points
    figures = {("CKMB", "ON_TIME"): 3.0, ("CKMB", "PUBLISH_ON_TIME"): 7.0, ("XYZ", ""): 1.0}
    c = compare(rules, "commune", live_rows(rules), figures)
    assert c.official_groups == 0 and all(x["basis"] != "official" for x in c.components)
