"""dvc identity (MaHoSo, TrangThaiHoSo, ThoiGianCapNhat as an instant), the messages a batch makes, and
duplicates (contract 2, 2.1, 3 and 7): the first delivered copy wins, dead letters are never deduplicated."""
from __future__ import annotations

from datetime import UTC, timedelta

from connectors.dedup import IdentityIndex
from tests.unit.test_validation import (
    DROP,
    RECEIVED,
    accepted,
    counts,
    dead_letters,
    ndjson,
    raw_values,
    record,
    validator,
)

# --- identity (MaHoSo, TrangThaiHoSo, ThoiGianCapNhat as an instant) -------------------------

def test_same_instant_written_in_two_offsets_has_the_same_identity():
    a = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"))
    b = accepted(record(ThoiGianCapNhat="2026-11-22T02:00:00Z"))
    c = accepted(record(ThoiGianCapNhat="2026-11-21T21:00:00.000-05:00"))
    d = accepted(record(ThoiGianCapNhat="2026-11-22T09:00+07:00"))
    assert a.identity == b.identity == c.identity == d.identity
    assert a.event_us == b.event_us == c.event_us == d.event_us


def test_different_status_has_a_different_identity():
    assert accepted(record(TrangThaiHoSo=4)).identity != accepted(record(TrangThaiHoSo=5)).identity


def test_different_instant_has_a_different_identity():
    a = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"))
    b = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00.000001+07:00"))
    c = accepted(record(ThoiGianCapNhat="2026-11-22T09:00:00+08:00"))   # same wall clock, other instant
    assert len({a.identity, b.identity, c.identity}) == 3


def test_different_dossier_has_a_different_identity():
    assert accepted(record(MaHoSo="A-1")).identity != accepted(record(MaHoSo="A-2")).identity


def test_fields_outside_the_identity_do_not_change_it():
    a = accepted(record())
    b = accepted(
        record(
            MaTTHC="2.002156",
            MaDonVi="12.SNV",
            KenhThucHien=1,
            NgayTiepNhan="2026-11-01T08:00:00Z",
            NgayHenTra=None,
            DichVuToanTrinh=False,
            MucDoHaiLong=5,
            Extra="x",
        )
    )
    assert a.identity == b.identity
    assert a.key == b.key == "G12.24-261122-0001"


# --- messages ---------------------------------------------------------------------------------


def test_accepted_record_is_published_unchanged_keyed_by_dossier():
    line = (
        '{"MaHoSo":"A-1","MaTTHC":"1.001757","MaDonVi":"12.SNV","KenhThucHien":1,"TrangThaiHoSo":1,'
        '"ThoiGianCapNhat":"2026-11-22T09:00+07:00","NgayTiepNhan":"2026-11-22T09:00+07:00",'
        '"GhiChu":"Đã nhận"}'
    )
    prepared = validator().prepare(line.encode(), RECEIVED)
    assert counts(prepared) == (1, 0, {})
    [msg] = prepared.messages
    assert msg.topic == "ioc.raw.dvc"
    assert msg.key == b"A-1"
    assert msg.value.decode() == line
    assert prepared.identities and len(prepared.identities) == 1


def test_dead_letter_keeps_the_record_whole_with_its_reason():
    line = '{"MaHoSo": "A-1",  "MaTTHC": null, "GhiChu": "Đã nhận"}'
    prepared = validator().prepare(line.encode(), RECEIVED)
    assert counts(prepared) == (0, 0, {"missing_field:MaTTHC": 1})
    [letter] = dead_letters(prepared)
    assert letter["reason"] == "missing_field:MaTTHC"
    assert letter["source"] == "dvc"
    assert letter["record"] == line
    assert prepared.messages[0].topic == "ioc.dlq.dvc"
    assert prepared.identities == []


def test_good_and_bad_records_in_one_batch_are_each_counted():
    body = ndjson(
        record(MaHoSo="A"),
        record(MaHoSo="B", KenhThucHien=7),
        record(MaHoSo="C", MaTTHC=None),
        record(MaHoSo="D", MaDonVi="12.STTTT"),
        record(MaHoSo="E"),
        record(MaHoSo="F", ThoiGianCapNhat="2026-11-23T00:00:00+07:00"),
    )
    prepared = validator().prepare(body, RECEIVED)
    assert counts(prepared) == (
        2,
        0,
        {"bad_enum:KenhThucHien": 1, "missing_field:MaTTHC": 1, "unknown_unit:12.STTTT": 1, "future_time": 1},
    )
    assert [r["MaHoSo"] for r in raw_values(prepared)] == ["A", "E"]
    assert prepared.result.as_dict()["received"] == 6


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_inside_one_body_counts_once_and_the_first_copy_wins():
    first = record(MaDonVi="03388", CoKetQuaDienTu=False)
    later = record(MaDonVi="12.SNV", CoKetQuaDienTu=True)  # same identity, other content
    prepared = validator().prepare(ndjson(first, later, first), RECEIVED)
    assert counts(prepared) == (1, 2, {})
    assert raw_values(prepared) == [first]
    assert len(prepared.identities) == 1


def test_same_instant_in_another_offset_is_a_duplicate():
    body = ndjson(
        record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00"),
        record(ThoiGianCapNhat="2026-11-22T02:00:00.000Z"),
    )
    assert counts(validator().prepare(body, RECEIVED)) == (1, 1, {})


def test_another_status_of_the_same_dossier_is_not_a_duplicate():
    body = ndjson(record(TrangThaiHoSo=4), record(TrangThaiHoSo=5), record(TrangThaiHoSo=4))
    assert counts(validator().prepare(body, RECEIVED)) == (2, 1, {})


def test_dead_letters_are_never_deduplicated():
    bad = record(MaTTHC=DROP)
    prepared = validator().prepare(ndjson(bad, bad, bad), RECEIVED)
    assert counts(prepared) == (0, 0, {"missing_field:MaTTHC": 3})
    assert len(dead_letters(prepared)) == 3
    assert len({letter["id"] for letter in dead_letters(prepared)}) == 3


def test_dead_lettered_copy_does_not_make_a_later_valid_copy_a_duplicate():
    body = ndjson(record(MucDoHaiLong=9), record(MucDoHaiLong=5))
    prepared = validator().prepare(body, RECEIVED)
    assert counts(prepared) == (1, 0, {"bad_enum:MucDoHaiLong": 1})


def test_duplicate_across_bodies_after_commit():
    index = IdentityIndex()
    v = validator(index)
    first = v.prepare(ndjson(record(MaHoSo="A"), record(MaHoSo="B")), RECEIVED)
    assert counts(first) == (2, 0, {})
    index.commit("dvc", first.identities)
    second = v.prepare(ndjson(record(MaHoSo="B", MaDonVi="12.SNV"), record(MaHoSo="C")), RECEIVED)
    assert counts(second) == (1, 1, {})
    assert [r["MaHoSo"] for r in raw_values(second)] == ["C"]
    assert index.count("dvc") == 2


def test_duplicate_across_bodies_written_in_another_offset_after_commit():
    index = IdentityIndex()
    v = validator(index)
    first = v.prepare(ndjson(record(ThoiGianCapNhat="2026-11-22T09:00:00+07:00")), RECEIVED)
    index.commit("dvc", first.identities)
    again = v.prepare(ndjson(record(ThoiGianCapNhat="2026-11-22T02:00Z")), RECEIVED + timedelta(days=3))
    assert counts(again) == (0, 1, {})
    assert again.messages == [] and again.identities == []


def test_identity_reserved_by_a_batch_in_flight_is_a_duplicate_and_free_again_after_release():
    index = IdentityIndex()
    v = validator(index)
    in_flight = v.prepare(ndjson(record()), RECEIVED)
    assert counts(v.prepare(ndjson(record()), RECEIVED)) == (0, 1, {})
    index.release("dvc", in_flight.identities)
    assert counts(v.prepare(ndjson(record()), RECEIVED)) == (1, 0, {})


def test_separate_indexes_do_not_share_identities():
    assert counts(validator().prepare(ndjson(record()), RECEIVED)) == (1, 0, {})
    assert counts(validator().prepare(ndjson(record()), RECEIVED)) == (1, 0, {})


def test_a_first_batch_of_only_dead_letters_commits_cleanly() -> None:
    from connectors.dedup import IdentityIndex

    index = IdentityIndex()
    index.commit("eoffice", [])
    index.release("telecom", [])
    assert index.count("eoffice") == 0


def test_after_a_partial_publish_failure_the_taken_records_are_duplicates() -> None:
    """A 503 after the broker took part of a batch: the source's retry must not publish those again."""
    from datetime import datetime

    import orjson

    from connectors.dedup import IdentityIndex
    from connectors.dvc import DvcSource
    from connectors.ingest import Validator
    from contract.settings import load_settings

    index = IdentityIndex()
    validator = Validator(DvcSource(), load_settings().units, index, 1 << 20, 600)
    records = [
        {
            "MaHoSo": f"P{i}",
            "MaTTHC": "1",
            "MaDonVi": "03388",
            "KenhThucHien": 1,
            "TrangThaiHoSo": 2,
            "ThoiGianCapNhat": "2026-11-01T08:00:00+07:00",
            "NgayTiepNhan": "2026-11-01T08:00:00+07:00",
        }
        for i in range(3)
    ]
    body = b"\n".join(orjson.dumps(r) for r in records) + b"\nnot json"
    now = datetime(2026, 11, 22, tzinfo=UTC)
    prepared = validator.prepare(body, now)
    acked = [True, False, True, True]  # the broker took records 0 and 2 and the dead letter
    taken, rest = prepared.acked_identities(acked)
    index.commit("dvc", taken)
    index.release("dvc", rest)
    retry = validator.prepare(body, now)
    assert (retry.result.accepted, retry.result.duplicate) == (1, 2)
