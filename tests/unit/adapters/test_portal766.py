"""portal766: the portal's 766 evaluation JSON (the shapes ChippedTopaz/qd766 keeps) and the CSV, to
official766 records; every bad case is a dead letter with its reason, nothing is lost."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from connectors.adapters.base import Context, Meta
from ioc.config import catalogue_of
from streams.kpis.index766.rules import load_rules
from tests.wire_kit import ROOT, context, counts, dead_letters, raw_records, run

EXAMPLES = ROOT / "examples" / "official"
NOV = Meta(period="2026-11")


@pytest.fixture(scope="module")
def ctx() -> Context:
    rules = load_rules(ROOT / "config" / "index766" / "portal-2025.toml", [])
    assert rules is not None
    return replace(context(), catalogue=catalogue_of(rules))


def figures(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    return {(r["unit"], r["group"], r["component"]): r["points"] for r in records}


def reasons(prepared: Any) -> Counter[str]:
    return Counter(d["reason"] for d in dead_letters(prepared))


def test_transparency_answer_worked_example(ctx: Context) -> None:
    p = run("portal766", (EXAMPLES / "transparency-2026-11.json").read_bytes(), NOV, ctx=ctx)
    got = figures(raw_records(p))
    assert got == {
        ("12", "CKMB", "PUBLISH_ON_TIME"): 5.0, ("12", "CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
        ("12", "CKMB", "PUBLIC_CONTENT_FULL"): 1.96, ("12", "CKMB", "DOSSIER_SYNC"): 6.0,
        ("12.SNV", "CKMB", "PUBLISH_ON_TIME"): 6.0, ("12.SNV", "CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
        ("12.SNV", "CKMB", "PUBLIC_CONTENT_FULL"): 2.0,
        ("03388", "CKMB", "PUBLISH_ON_TIME"): 4.5, ("03388", "CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
        ("03388", "CKMB", "PUBLIC_CONTENT_FULL"): 1.96, ("03388", "CKMB", "DOSSIER_SYNC"): 6.0,
        ("03408", "CKMB", "PUBLISH_ON_TIME"): 6.0, ("03408", "CKMB", "PUBLIC_UPDATE_ON_TIME"): 4.0,
        ("03408", "CKMB", "DOSSIER_SYNC"): 5.5,
    }
    # an unknown department's four figures, a score above its maximum, a metric the rules do not have
    assert reasons(p) == Counter({"unknown_unit:H12.999": 4, "bad_enum:score": 1, "bad_enum:code": 1})
    c = counts(p)
    assert (c["items"], c["records"], c["accepted"], c["ignored_kinds"]) == (21, 14, 14, {"no_score": 1})
    assert c["items"] == c["records"] + sum(c["dead_letter_reasons"].values()) + c["ignored"]
    record = raw_records(p)[0]
    assert record["period"] == "2026-11" and record["period_start"] == "2026-10-31T17:00:00.000000Z"
    assert record["max_points"] == 6.0 and record["_wire"]["adapter"] == "portal766"


def test_progress_tree_worked_example(ctx: Context) -> None:
    p = run("portal766", (EXAMPLES / "dvc-progress-tree-2026-11.json").read_bytes(), NOV, ctx=ctx)
    # the parent is the province; TDGQ's one component takes the tree's score; a 0 is a figure
    assert figures(raw_records(p)) == {("12", "TDGQ", "ON_TIME"): 16.0, ("12.SNV", "TDGQ", "ON_TIME"): 0.0,
                                       ("03388", "TDGQ", "ON_TIME"): 16.0, ("03408", "TDGQ", "ON_TIME"): 18.2}
    assert reasons(p) == Counter({"bad_enum:score": 1, "bad_enum:maxScore": 1})


def test_payment_tree_is_a_group_figure(ctx: Context) -> None:
    doc = {"code": "OK", "data": {
        "parent": {"departmentName": "UBND tỉnh Lai Châu", "totalDossierOnlinePaymentSuccess": 3,
                   "totalScore": 7.25, "totalMaxScore": 10},
        "children": [{"departmentName": "UBND phường Đoàn Kết", "totalDossierOnlinePaymentSuccess": 1,
                      "score": None, "maxScore": 10}]}}
    p = run("portal766", orjson.dumps(doc), NOV, ctx=ctx)
    assert figures(raw_records(p)) == {("12", "TTTT", ""): 7.25}
    assert counts(p)["ignored_kinds"] == {"no_score": 1}   # null is no figure, not 0


def test_csv_worked_example_and_every_bad_row(ctx: Context) -> None:
    p = run("portal766", (EXAMPLES / "figures-2026-11.csv").read_bytes(), ctx=ctx)
    assert figures(raw_records(p)) == {
        ("03388", "CLGQ", "FULL_ONLINE"): 11.0, ("03388", "TTTT", ""): 7.5, ("03388", "MDSH", ""): 15.0,
        ("03388", "MDHL", "PETITION_PROCESSING_ON_TIME"): 5.0,
        ("03388", "MDHL", "PETITION_HANDLING_SATISFACTION"): 6.0,
        ("03388", "MDHL", "DOSSIER_RECEIVING_SATISFACTION"): 5.5,
    }
    assert reasons(p) == Counter({
        "bad_type:period": 2, "bad_enum:group": 1, "bad_enum:component": 1, "bad_enum:points": 1,
        "bad_type:points": 1, "unknown_unit:99999": 1, "missing_field:points": 1,
    })
    letter = next(d for d in dead_letters(p) if d["reason"] == "bad_enum:points")
    assert orjson.loads(letter["record"])["item"]["points"] == "25"   # the row is kept whole


@pytest.mark.parametrize("text,reason", [
    ("unit,period,points\n03388,2026-11,3\n", "missing_field:group"),
    ("unit,period,group,component,points,max_points\n03388,2026-11,TDGQ,ON_TIME,10,25\n",
     "bad_enum:max_points"),
    ("unit,period,group,component,points,issued_at\n03388,2026-11,TDGQ,ON_TIME,10,yesterday\n",
     "bad_type:issued_at"),
    ("unit,period,group,component,points\n03388,2026-11,TDGQ,ON_TIME,-1\n", "bad_enum:points"),
    ("unit,period,group,component,points\n03388,2026-W05,TDGQ,ON_TIME,1\n", "bad_type:period"),
])
def test_csv_bad_cases(ctx: Context, text: str, reason: str) -> None:
    assert reasons(run("portal766", text.encode(), ctx=ctx)) == Counter({reason: 1})


def test_csv_units_by_organ_name_and_quarter(ctx: Context) -> None:
    text = ("unit,period,group,component,points,issued_at\n"
            'Sở Nội vụ,2026-Q4,TDGQ,ON_TIME,"17,5",2027-01-10T08:00:00+07:00\n')
    [record] = raw_records(run("portal766", text.encode("utf-8"), ctx=ctx))
    assert (record["unit"], record["period"], record["points"], record["issued_at"]) == (
        "12.SNV", "2026-Q4", 17.5, "2027-01-10T08:00:00+07:00")


@pytest.mark.parametrize("body,meta,reason", [
    (b'{"code": "OK", "data": {"overview": {}}', NOV, "unparseable"),
    (b'{"code": "ERR", "message": "x"}', NOV, "unparseable"),
    (b'{"code": "OK", "data": {"overview": null, "evaluation": []}}', Meta(), "missing_field:period"),
    (b'{"code": "OK", "data": {"evaluation": []}}', Meta(period="2026-11-05"), "bad_type:period"),
    (b'{"code": "OK", "data": {"parent": {"foo": 1}, "children": []}}', NOV, "bad_enum:parent"),
    ('{"code": "OK", "data": {"evaluation": [{"departmentName": "UBND phường Đoàn Kết"}]}}'.encode(), NOV,
     "missing_field:metrics"),
])
def test_json_bad_documents(ctx: Context, body: bytes, meta: Meta, reason: str) -> None:
    assert reasons(run("portal766", body, meta, ctx=ctx)) == Counter({reason: 1})


def test_period_inside_the_document_and_duplicates(ctx: Context) -> None:
    from connectors.dedup import IdentityIndex

    doc = orjson.loads((EXAMPLES / "dvc-progress-tree-2026-11.json").read_bytes())
    body = orjson.dumps({**doc, "period": "2026-11"})
    index = IdentityIndex()
    first = run("portal766", body, index=index, ctx=ctx)
    again = run("portal766", body, index=index, ctx=ctx)
    assert counts(first)["accepted"] == 4 and counts(again)["duplicate"] == 4
    reissued = body.replace(b'"score":18.2', b'"score":18.4')
    assert counts(run("portal766", reissued, index=index, ctx=ctx))["accepted"] == 1   # a new figure
    # the earlier figure issued again later: new when the crawler says when it read it
    assert counts(run("portal766", body, index=index, ctx=ctx))["duplicate"] == 4
    later = orjson.dumps({**doc, "period": "2026-11", "issued_at": "2026-12-05T09:00:00+07:00"})
    p = run("portal766", later, index=index, ctx=ctx)
    assert counts(p)["accepted"] == 4 and raw_records(p)[0]["issued_at"] == "2026-12-05T09:00:00+07:00"
    bad = orjson.dumps({**doc, "period": "2026-11", "issued_at": "yesterday"})
    assert reasons(run("portal766", bad, ctx=ctx)) == Counter({"bad_type:issued_at": 1})


def test_examples_exist() -> None:
    assert {p.name for p in Path(EXAMPLES).iterdir()} >= {
        "transparency-2026-11.json", "dvc-progress-tree-2026-11.json", "figures-2026-11.csv"}


def test_unreadable_documents_keep_their_head_masked(ctx: Context) -> None:
    latin1 = "unit,period,group,component,points\n03388,2026-11,CKMB,,Châu\n".encode("latin-1")
    [letter] = dead_letters(run("portal766", latin1, ctx=ctx))
    item = orjson.loads(letter["record"])["item"]
    assert letter["reason"] == "unparseable" and item["problem"].startswith("not UTF-8")
    assert "03388" not in item["text"] and item["length"] == len(latin1) and len(item["sha256"]) == 64
    big = b'{"code": "OK", "data": {"evaluation": [' + b" " * (1 << 11) + b"]}}"
    small = replace(ctx, max_document_bytes={"portal766": 1 << 10})
    assert reasons(run("portal766", big, NOV, ctx=small)) == Counter({"too_large": 1})


def test_handling_satisfaction_answer_as_the_portal_sends_it(ctx: Context) -> None:
    # as qd766's fixtures: classification metrics carry no points (score null, maxScore 0), agencies
    # and communes are told apart by a " - Tỉnh ..." suffix, a 0 is a figure
    path = EXAMPLES / "handling-satisfaction-2026-11.json"
    p = run("portal766", path.read_bytes(), Meta(filename=path.name), ctx=ctx)
    got = figures(raw_records(p))
    assert got[("12", "MDHL", "PETITION_PROCESSING_ON_TIME")] == 5.33
    assert got[("12.SNV", "MDHL", "DOSSIER_RECEIVING_SATISFACTION")] == 0.0
    assert got[("03390", "MDHL", "PETITION_HANDLING_SATISFACTION")] == 6.0
    assert len(got) == 9 and reasons(p) == Counter()
    assert counts(p)["ignored_kinds"] == {"unscored_metric": 3}
    assert raw_records(p)[0]["period"] == "2026-11"   # from the file's name
