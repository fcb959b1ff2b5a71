"""The e-office, population and telecom data sets (tests/datasets/) through the pure
validation, folds and combiner, without any broker: the same hand-worked values as the integration test.

Records go through the connector's Validator first (as at the gateway: duplicates dropped, raw
personal ids in identity fields replaced by their keyed hash, bad records dead-lettered), then the
accepted records are folded per partition key and combined.
"""
from __future__ import annotations

import math
import random
import re
import zlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from connectors.dedup import IdentityIndex
from connectors.ingest import Validator
from connectors.registry import SOURCES
from contract.settings import load_settings
from contract.units import AGENCY, COMMUNE
from streams.kpis.registry import KPIS
from tests import datasets as ds
from tests.harness import ndjson
from tests.kpi_checks import assert_kpis
from tests.kpi_compute import KpiRows, fold_and_combine

UNITS = load_settings().units
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)   # 10:00 on 22 November in Lai Châu
NOW_US = 1_795_316_400_000_000                                 # the same instant, epoch µs
KEY = b"unit-test-pseudonym-key"


class Gateway:
    """The validation path of the gateway for one source, with its duplicate index."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.index = IdentityIndex()
        self.validator = Validator(SOURCES[source], UNITS, self.index, 1 << 20, 600, KEY)

    def send(
        self, records: list[Any]
    ) -> tuple[list[dict[str, Any]], int, int, dict[str, int], list[dict[str, Any]]]:
        """(accepted records as published, accepted, duplicate, reasons, dead letters)."""
        prepared = self.validator.prepare(ndjson(records), RECEIVED)
        self.index.commit(self.source, prepared.identities)
        raw = [orjson.loads(m.value) for m in prepared.messages if m.topic == f"ioc.raw.{self.source}"]
        dead = [orjson.loads(m.value) for m in prepared.messages if m.topic == f"ioc.dlq.{self.source}"]
        r = prepared.result
        return raw, r.accepted, r.duplicate, dict(r.dead_letter_reasons), dead


def accepted(source: str, *batches: list[Any]) -> list[dict[str, Any]]:
    gateway = Gateway(source)
    out: list[dict[str, Any]] = []
    for batch in batches:
        out += gateway.send(batch)[0]
    return out


def compute(source: str, records: list[dict[str, Any]], partitions: int = 1, now_us: int = NOW_US) -> KpiRows:
    """Fold accepted records over `partitions` folds keyed as the connector keys them, then combine."""
    spec = SOURCES[source]
    return fold_and_combine(
        KPIS[source], UNITS, records, lambda r: zlib.crc32(spec.key(r).encode()), partitions, now_us
    )


SETS = {
    "eoffice": (ds.EOFFICE_PHASE1, ds.EOFFICE_PHASE2, ds.EOFFICE_BAD),
    "population": (ds.POP_PHASE1, ds.POP_PHASE2, ds.POP_BAD),
    "telecom": (ds.TEL_PHASE1, ds.TEL_PHASE2 + [step[0] for step in ds.TEL_STEPS], ds.TEL_BAD),
}
COUNTS = {
    "eoffice": (ds.EOFFICE_ACCEPTED_PHASE1, ds.EOFFICE_DUPLICATES_PHASE1, ds.EOFFICE_ACCEPTED_PHASE2),
    "population": (ds.POP_ACCEPTED_PHASE1, ds.POP_DUPLICATES_PHASE1, ds.POP_ACCEPTED_PHASE2),
    "telecom": (ds.TEL_ACCEPTED_PHASE1, ds.TEL_DUPLICATES_PHASE1, ds.TEL_ACCEPTED_PHASE2),
}
FINAL = {
    "eoffice": (ds.EOFFICE_EXPECTED, ds.EOFFICE_ABSENT),
    "population": (ds.POP_EXPECTED, ds.POP_ABSENT),
    "telecom": (ds.TEL_EXPECTED, ds.TEL_ABSENT),
}
PHASE1 = {
    "eoffice": (ds.EOFFICE_EXPECTED_PHASE1, ds.EOFFICE_ABSENT_PHASE1),
    "population": (ds.POP_EXPECTED_PHASE1, ds.POP_ABSENT_PHASE1),
    "telecom": (ds.TEL_EXPECTED_PHASE1, ds.TEL_ABSENT_PHASE1),
}


# --- validation: counts, duplicates, dead-letter reasons ------------------------------------------


@pytest.mark.parametrize("source", SETS)
def test_accepted_and_duplicate_counts(source: str) -> None:
    phase1, phase2, bad = SETS[source]
    gateway = Gateway(source)
    _, n1, dup1, reasons1, _ = gateway.send(phase1 + [b for b, _ in bad])
    assert (n1, dup1) == COUNTS[source][:2]
    assert reasons1 == ds.reasons(bad)
    _, n2, dup2, reasons2, _ = gateway.send(phase2[: COUNTS[source][2]])
    assert (n2, dup2, reasons2) == (COUNTS[source][2], 0, {})
    _, n3, dup3, _, _ = gateway.send(phase1)  # everything again: all duplicates
    assert (n3, dup3) == (0, len(phase1))


@pytest.mark.parametrize("source,i", [(s, i) for s, (_, _, bad) in SETS.items() for i in range(len(bad))])
def test_each_bad_record_has_its_reason(source: str, i: int) -> None:
    record, reason = SETS[source][2][i]
    _, n, dup, reasons, dead = Gateway(source).send([record])
    assert (n, dup, reasons) == (0, 0, {reason: 1})
    assert dead[0]["reason"] == reason


@pytest.mark.parametrize("source", SETS)
def test_dead_letters_never_hold_a_personal_id(source: str) -> None:
    _, _, _, _, dead = Gateway(source).send([b for b, _ in SETS[source][2]])
    for letter in dead:
        assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", letter["record"]), letter["record"][:300]


def test_raw_ids_in_identity_fields_become_one_stable_pseudonym() -> None:
    raw = accepted("population", ds.POP_PHASE1)
    text = orjson.dumps(raw).decode()
    assert ds.RAW_CITIZEN not in text and ds.RAW_EVENT not in text
    refs = {r["citizen_ref"] for r in raw if r["event_id"] in ("pa07", "pa08")}
    assert len(refs) == 1 and re.fullmatch(r"pid-[0-9a-f]{32}", refs.pop())
    hashed_ids = [r["event_id"] for r in raw if r["event_id"].startswith("pid-")]
    assert len(hashed_ids) == 1 and re.fullmatch(r"pid-[0-9a-f]{32}", hashed_ids[0])


def test_first_delivered_copy_wins() -> None:
    docs = accepted("eoffice", ds.EOFFICE_PHASE1)
    e1_issued = [r for r in docs if r["doc_id"] == "E1" and r["status"] == "issued"]
    assert [r["digitally_signed"] for r in e1_issued] == [True]
    sites = accepted("telecom", ds.TEL_PHASE1)
    assert [r["commune"] for r in sites if r["kind"] == "site" and r["site_id"] == "T2"] == [ds.A]
    t2 = [r["availability_pct"] for r in sites if r["kind"] == "pm" and r["site_id"] == "T2"]
    assert sorted(t2) == [90.0, 100]


# --- hand-worked KPI values -----------------------------------------------------------------------


@pytest.mark.parametrize("source", SETS)
def test_phase1_values(source: str) -> None:
    assert_kpis(compute(source, accepted(source, SETS[source][0])), *PHASE1[source])


@pytest.mark.parametrize("source", SETS)
def test_hand_worked_values(source: str) -> None:
    phase1, phase2, _ = SETS[source]
    assert_kpis(compute(source, accepted(source, phase1, phase2)), *FINAL[source])


def test_telecom_inventory_after_alarm() -> None:
    assert_kpis(
        compute("telecom", accepted("telecom", ds.TEL_PHASE1, ds.TEL_PHASE2)), ds.TEL_EXPECTED_PHASE2, []
    )


def test_telecom_cut_off_step_by_step() -> None:
    gateway = Gateway("telecom")
    records = gateway.send(ds.TEL_PHASE1)[0] + gateway.send(ds.TEL_PHASE2)[0]
    before = compute("telecom", records)
    assert before[("telecom.commune_cut_off", ds.A, "live", "live")][0] == 0
    for record, a_out, a_cut, p_out in ds.TEL_STEPS:
        records += gateway.send([record])[0]
        out = compute("telecom", records)
        got = tuple(
            out[(kpi, unit, "live", "live")][0]
            for kpi, unit in [
                ("telecom.sites_out", ds.A),
                ("telecom.commune_cut_off", ds.A),
                ("telecom.sites_out", ds.P),
            ]
        )
        assert got == (a_out, a_cut, p_out), record


@pytest.mark.parametrize("source", SETS)
@pytest.mark.parametrize("seed", range(4))
def test_order_and_partitioning_do_not_matter(source: str, seed: int) -> None:
    """Once the gateway has decided which copy of a record wins, arrival order and partitioning
    change nothing (contract 1: late and out-of-order events)."""
    phase1, phase2, _ = SETS[source]
    records = accepted(source, phase1, phase2)
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    assert compute(source, shuffled, partitions=3) == compute(source, records)


def test_every_configured_unit_has_its_live_rows() -> None:
    communes = {u.code for u in UNITS.of_level(COMMUNE)}
    agencies = {u.code for u in UNITS.of_level(AGENCY)}
    eoffice = compute("eoffice", accepted("eoffice", ds.EOFFICE_PHASE1))
    assert {k[1] for k in eoffice if k[0] == "eoffice.overdue_open"} == communes | agencies | {ds.P}
    telecom = compute("telecom", accepted("telecom", ds.TEL_PHASE1))
    assert {k[1] for k in telecom if k[0] == "telecom.sites_out"} == communes | {ds.P}
    assert {k[1] for k in telecom if k[0] == "telecom.commune_cut_off"} == communes
    assert len(communes) == 38 and len(agencies) == 14


def test_ratio_kpis_carry_numerator_and_denominator_and_counts_do_not() -> None:
    out = {
        **compute("eoffice", accepted("eoffice", ds.EOFFICE_PHASE1, ds.EOFFICE_PHASE2)),
        **compute("population", accepted("population", ds.POP_PHASE1, ds.POP_PHASE2)),
        **compute("telecom", accepted("telecom", ds.TEL_PHASE1, ds.TEL_PHASE2)),
    }
    ratios = {"eoffice.signed_share", "eoffice.electronic_share", "population.verify_success_rate"}
    for (kpi, *_), (value, num, den) in out.items():
        if kpi in ratios:
            assert num is not None and den and math.isclose(value, num / den)
        else:
            assert num is None and den is None, kpi


def test_overdue_document_follows_the_clock() -> None:
    records = accepted("eoffice", ds.E4)
    deadline_us = 1_794_304_800_000_000  # 2026-11-10T17:00+07:00
    key = ("eoffice.overdue_open", ds.S, "live", "live")
    assert compute("eoffice", records, now_us=deadline_us - 1)[key][0] == 0
    assert compute("eoffice", records, now_us=deadline_us + 1)[key][0] == 1


# --- where the code and the contract disagree ------------------------------------------------------


def test_availability_of_a_moved_site_does_not_depend_on_arrival_order() -> None:
    # M sits in C from 2026-01-01 and in D from 2026-11-01; its counter of 11-05 10:00 belongs to D under
    # either reading (latest inventory, or inventory valid at period_start).
    inv_c = ds.site("M", ds.C, ds.Y("01-01"))
    inv_d = ds.site("M", ds.D, ds.Y("11-01"))
    counter = ds.pm("M", ds.L("11-05T10:00"), 70)
    key_d = ("telecom.availability", ds.D, "month", "2026-11")
    key_c = ("telecom.availability", ds.C, "month", "2026-11")
    inventory_first = compute("telecom", accepted("telecom", [inv_c, inv_d, counter]))
    counter_between = compute("telecom", accepted("telecom", [inv_c, counter, inv_d]))
    assert inventory_first[key_d][0] == pytest.approx(0.7) and key_c not in inventory_first
    assert counter_between[key_d][0] == pytest.approx(0.7) and key_c not in counter_between


@pytest.mark.parametrize("source", ["eoffice", "population", "telecom"])
def test_a_record_redelivered_to_the_fold_counts_once(source: str) -> None:
    phase1, phase2, _ = SETS[source]
    records = accepted(source, phase1, phase2)
    # every third record delivered again (a uniform doubling would leave a mean unchanged)
    assert compute(source, records + records[::3]) == compute(source, records)
