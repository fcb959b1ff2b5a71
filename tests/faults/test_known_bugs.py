"""Bugs the fault and property tests found in streams/, connectors/, sinks/ or ioc/. Each test states what
the contract asks. A bug not fixed yet is pinned as `xfail(strict=True)`: the day a fix lands the test
passes, pytest reports XPASS as a failure, and the marker must go; the generic property tests
(test_validation_properties.py, test_pipeline_properties.py) then generate its inputs again.

Every bug below is fixed, and its test kept as a regression test.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from connectors.ingest import Prepared
from connectors.publisher import Publisher, PublishError
from ioc.client import call
from tests.faults.driver import children
from tests.faults.test_validation_properties import UNITS, check_body, pool, validator
from tests.faults.values import dumps
from tests.harness import Pipeline

RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
PID = "001203004567"


# -- 1. an integer beyond a double's range in a number field raises out of Validator.prepare ---------

NUMBER_CASES = [("population", "latency_ms", {"kind": "verification"}),
                ("telecom", "availability_pct", {"kind": "pm"}),
                ("telecom", "traffic_erl", {"kind": "pm"}),
                ("telecom", "data_mb", {"kind": "pm"})]


@pytest.mark.parametrize(("source", "name", "kind"), NUMBER_CASES)
def test_integer_beyond_a_double_in_a_number_field_is_accounted(
    source: str, name: str, kind: dict[str, str]
) -> None:
    """Contract 3: nothing crashes, every record is accounted, a good record in the same batch goes through.
    `_type_ok(NUMBER)` called math.isfinite(v) on a Python int of 401 digits (the stdlib parser read it, see
    connectors/parse.py) and the OverflowError left `prepare`: the gateway answered 500 for the whole body.
    Fixed: the parser refuses an integer beyond a double as orjson does (`unparseable`), and the number
    check no longer raises on one."""
    good = next(r for r in pool(source) if all(r.get(k) == v for k, v in kind.items()))
    bad = (
        orjson.dumps({**good, name: 0})[:-1].replace(
            f'"{name}":0'.encode(), f'"{name}":1{"0" * 400}'.encode()
        )
        + b"}"
    )
    body = orjson.dumps(good) + b"\n" + bad
    prepared = check_body(source, body, [])
    assert prepared.result.accepted + prepared.result.duplicate == 1
    assert dict(prepared.result.dead_letter_reasons) == {"unparseable": 1}


# -- 2. a personal id shadowed by a duplicated key is published and stored in clear ---------------


@pytest.mark.parametrize("outcome", ["accepted", "dead_lettered"])
def test_personal_id_shadowed_by_a_duplicate_key_is_never_published(outcome: str) -> None:
    """Contract 2.3: a personal id is never stored or published, in any topic or table.
    `{"MaHoSo":"001203004567","MaHoSo":"D1",...}` parses (orjson, last value wins) to a valid record without
    an id, so it is accepted and `item.text` (the original text, id included) is published to ioc.raw.dvc
    and archived in raw_dvc. The same with a dead letter: `contains_personal_id(value)` is false, so the
    dead letter kept the unmasked text (ioc.dlq.dvc, DuckDB dead_letters). Fixed in connectors/parse.py: a
    line that may hold an id its parsed value does not goes out as the value's JSON text."""
    good = orjson.dumps(pool("dvc")[0])
    if outcome == "accepted":
        line = b'{"MaHoSo":"' + PID.encode() + b'",' + good[1:]
    else:
        line = b'{"CCCD":"' + PID.encode() + b'","CCCD":null,' + good[1:].replace(b'"MaDonVi"', b'"x"')
    prepared = validator("dvc").prepare(line, RECEIVED)
    assert getattr(prepared.result, outcome) == 1, prepared.result
    published = b"".join(m.value for m in prepared.messages)
    assert PID.encode() not in published, published[:300]


# -- 3. a personal id in a UTF-16 body is stored in the dead letter, only interleaved with NULs -------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_personal_id_in_a_utf16_body_is_masked(encoding: str) -> None:
    """Contract 2.3: the digits are masked before the dead letter is written. A UTF-16 body is dead-lettered
    `unparseable` with its bytes decoded as UTF-8 with replacement; `mask_text` looks for 12 ASCII digits in a
    row, and finds `0\\x000\\x001\\x00...` instead: ioc.dlq.dvc and DuckDB dead_letters keep the id,
    readable by
    anyone who decodes the record as UTF-16 (or just drops the NULs). Fixed in connectors/privacy.py:
    `mask_text` counts NUL-separated digits as one run."""
    record = {**pool("dvc")[0], "CCCD": PID}
    prepared = validator("dvc").prepare(orjson.dumps(record).decode().encode(encoding), RECEIVED)
    assert prepared.result.dead_lettered == 1
    letter = orjson.loads(prepared.messages[0].value)
    assert PID not in letter["record"].replace("\x00", ""), letter["record"][:200]


# -- 4. (fixed) Publisher.send_markers raised TypeError, not PublishError, when the broker was down ------


def test_markers_to_a_dead_broker_raise_publish_error(tmp_path: Path) -> None:
    """A barrier to a broker that is down must raise PublishError (what every caller catches). Found by this
    suite (it raised TypeError: `PublishError(str(exc))` lacked `acked`, and gateway/server.py
    `_confirm_archived`, which catches the error, died on the first broker outage, so the gateway's journal
    was never trimmed again); fixed in connectors/publisher.py and gateway/server.py meanwhile, kept as a
    regression test."""
    from dataclasses import replace

    from contract.settings import load_settings
    from ioc.broker import EmbeddedBroker

    broker = EmbeddedBroker(tmp_path / "broker.log")
    address = broker.start()
    settings = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml")
    publisher = Publisher(replace(settings.broker, bootstrap_servers=[address]))
    try:
        publisher.send_markers([("markers", 0)], [("x", b"1")], timeout_s=5)
        broker.child.kill()
        with pytest.raises(PublishError):
            publisher.send_markers([("markers", 0)], [("x", b"1")], timeout_s=3)
    finally:
        broker.child.kill()
        broker.start()  # back on its port, so the producer can settle its pending marker and close
        try:
            publisher.close(timeout_s=20)
        finally:
            broker.child.kill()


# -- 5. accepted records the KPI worker cannot fold: counted as accepted, lost to the KPIs ----------


def fold_as_the_worker_does(source: str, records: list[dict[str, object]]) -> Prepared:
    """Validate, then parse each raw message and fold it, as streams/engine/fold_stage.py does."""
    from streams.kpis.registry import KPIS

    prepared = validator(source).prepare(b"\n".join(dumps(r) for r in records), RECEIVED)
    fold = KPIS[source].new_fold(UNITS)
    for message in prepared.messages:
        if message.topic == f"ioc.raw.{source}":
            fold.apply(orjson.loads(message.value))
    return prepared


@pytest.mark.parametrize("receipt", ["9999-12-31T23:59:59Z", "0001-01-01T05:00:00+07:00"])
def test_an_accepted_receipt_time_at_the_calendar_edge_folds(receipt: str) -> None:
    """Contract 3 and 7: a record is either used or a dead letter. 9999-12-31T23:59:59Z (year 10000 in Lai
    Chau) and 0001-01-01T05:00:00+07:00 (year 0 in UTC) were accepted (NgayTiepNhan is not an event time, so
    no future_time), and the fold (periods_of via EntityViews._spread) raised OverflowError / ValueError: a
    `processing_error` dead letter for a record counted accepted, after EntityViews.move had subtracted the
    dossier's old share (its earlier records vanished from the KPIs, and every later record raised again).
    Fixed at validation (contract/timestamps.py): a timestamp outside years 1900..2199 is `bad_type`."""
    first = {**pool("dvc")[0], "TrangThaiHoSo": 2}
    later = {
        **first,
        "TrangThaiHoSo": 4,
        "ThoiGianCapNhat": "2025-03-12T08:00:00+07:00",
        "NgayTiepNhan": receipt,
    }
    prepared = fold_as_the_worker_does("dvc", [first, later])
    assert (prepared.result.accepted, dict(prepared.result.dead_letter_reasons)) == (
        1,
        {"bad_type:NgayTiepNhan": 1},
    )


@pytest.mark.parametrize(
    ("source", "changes"),
    [
        ("dvc", {"note": 10**330}),
        ("eoffice", {"meta": {"n": -(10**400)}}),
        ("population", {"extra": [10**310]}),
        ("telecom", {"kind": "pm", "users": 10**320}),
    ],
)
def test_an_accepted_record_with_a_huge_integer_folds(source: str, changes: dict[str, object]) -> None:
    """Contract 2: unknown extra fields are kept in the archive and ignored by KPIs. connectors/parse.py read
    a line with 19+ digits in a row through the stdlib, so `{"note": 1000...0 (331 digits)}` was accepted and
    archived; streams/engine/fold_stage.py parses the raw message with orjson ('number is infinity when
    parsed as double') and dead-lettered it as `processing_error:JSONDecodeError` (seen in the 10,000-record
    run): counted accepted, in raw_<source>, in dead_letters, not in the KPIs. Fixed: the connector refuses
    what the worker's orjson refuses (`unparseable`), and every record it accepts folds."""
    base = next(r for r in pool(source) if "kind" not in changes or r.get("kind") == changes["kind"])
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(dumps({**base, **changes}))  # what the worker would make of it
    prepared = fold_as_the_worker_does(source, [base, {**base, **changes}])
    assert (prepared.result.accepted, dict(prepared.result.dead_letter_reasons)) == (1, {"unparseable": 1})


# -- 6. an accepted record whose event time is before year 1 in UTC crash-looped the DuckDB sink -----


def test_the_sink_archives_a_raw_message_whose_headers_it_cannot_read() -> None:
    """The sink (sinks/service.py `_collect` then, sinks/collect.py now) raised on an event time header
    outside a datetime (year 0 in UTC: ValueError) and the sink re-read the same uncommitted message
    forever. Validation keeps such times out
    now (test below); should one come anyway (an older archive, another producer), the sink archives the
    record at its arrival time instead of dying."""
    from types import SimpleNamespace

    from contract.records import H_EVENT, H_ID, H_RECEIVED
    from ioc.config import load_config
    from sinks.collect import Collector
    from sinks.store import Batch

    topology = load_config().topology
    collector, topic = Collector(topology), topology.names.raw("population")
    batch = Batch()
    cases = [
        (b"2026-11-22T03:00:00.000000Z", b"-62135622000000000"),
        (b"2026-11-22T03:00:00Z", b"10" * 20),
        (b"2026-11-22T03:00:00Z", b"not a number"),
        (b"", b"0"),
        (b"\xff", None),
    ]
    for received, event in cases:
        headers = [(H_ID, b"ab"), (H_RECEIVED, received)] + ([(H_EVENT, event)] if event is not None else [])
        marker = collector.add(
            batch, topic, 0, SimpleNamespace(headers=headers, key=b"k", value=b"{}", offset=7)
        )
        assert marker is None
    rows = batch.raw["population"]
    assert len(rows) == len(cases)
    assert rows[0]["event_time"] == rows[0]["received_at"] == datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert all(r["event_time"].tzinfo is not None and r["received_at"].tzinfo is not None for r in rows)


@pytest.mark.integration
def test_an_accepted_record_from_year_one_does_not_stop_the_sink(tmp_path: Path) -> None:
    """Contract 3 (nothing crashes) and 7: a population verification at 0001-01-01T05:00:00+07:00 was
    accepted; the sink's `datetime.fromtimestamp(event_us / 1e6, tz)` raised ValueError('year 0 is out of
    range'), the sink died, the supervisor restarted it, it read the same uncommitted message and died
    again (every ~8 s): no later record of any source reached DuckDB and `ioc status --wait-idle` never
    succeeded. Now the record is `bad_type:event_time`; and a raw message with that event time, published
    straight to the broker, is archived without stopping the sink."""
    from dataclasses import replace

    from connectors.publisher import Outgoing
    from contract.records import H_EVENT, H_ID, H_RECEIVED
    from contract.settings import load_settings

    p = Pipeline(tmp_path)
    p.start()
    try:
        record = {
            "event_id": "year-one",
            "kind": "verification",
            "commune": "03388",
            "event_time": "0001-01-01T05:00:00+07:00",
            "result": "ok",
            "latency_ms": 10,
        }
        code, answer = p.ingest("population", [record])
        assert code == 200 and answer["dead_letter_reasons"] == {"bad_type:event_time": 1}, answer
        broker = replace(load_settings(p.config).broker, bootstrap_servers=[p.status()["broker"]["address"]])
        publisher = Publisher(broker)
        try:
            year_zero = b"-62135622000000000"  # 0001-01-01T00:00+07:00, in year 0 in UTC (epoch µs)
            headers = [(H_ID, b"0" * 32), (H_RECEIVED, b"2026-11-22T03:00:00.000000Z"), (H_EVENT, year_zero)]
            text = orjson.dumps(
                {**record, "event_id": "bad-header", "event_time": "2026-11-22T09:00:00+07:00"}
            )
            publisher.publish([Outgoing("ioc.raw.population", b"bad-header", text, headers)])
        finally:
            publisher.close()
        _, answer = call(f"{p.url}/barrier", "POST", b"{}")
        barrier = answer["barrier"]
        deadline = time.monotonic() + 120
        while True:
            sink = children(p)["sink"]
            assert sink["restarts"] == 0, (
                f"the sink died {sink['restarts']} time(s):\n"
                + (p.workdir / "var" / "logs" / "sink.log").read_text()[-1200:]
            )
            if call(f"{p.url}/barrier/{barrier}")[1].get("complete"):
                break
            assert time.monotonic() < deadline, "DuckDB did not reflect the records within 120 s"
            time.sleep(0.5)
        assert p.sql("SELECT count(*) AS n FROM raw_population")[0]["n"] == 1
        reasons = [r["reason"] for r in p.sql("SELECT reason FROM dead_letters WHERE source = 'population'")]
        assert reasons == ["bad_type:event_time"], reasons
    finally:
        p.kill()
