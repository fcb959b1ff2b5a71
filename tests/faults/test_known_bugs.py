"""Bugs the fault and property tests found in streams/, connectors/, sinks/ or ioc/ (which this suite
does not edit). Each test states what the contract asks and fails today: `xfail(strict=True)`, so
the day a fix lands the test passes, pytest reports XPASS as a failure, and the marker must go.

The generic property tests (test_validation_properties.py, test_pipeline_properties.py) leave these
inputs out (`Mutator(known_bugs=False)`), so that they keep checking everything else.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from connectors.publisher import Publisher, PublishError
from ioc.client import call
from tests.faults.driver import children
from tests.faults.mutations import dumps
from tests.faults.test_validation_properties import UNITS, check_body, pool, validator
from tests.harness import Pipeline

RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
PID = "001203004567"


# -- 1. an integer beyond a double's range in a number field raises out of Validator.prepare ---------

NUMBER_CASES = [("population", "latency_ms", {"kind": "verification"}),
                ("telecom", "availability_pct", {"kind": "pm"}),
                ("telecom", "traffic_erl", {"kind": "pm"}),
                ("telecom", "data_mb", {"kind": "pm"})]


@pytest.mark.xfail(strict=True, raises=OverflowError, reason=(
    "connectors/fields.py: math.isfinite() of a JSON integer beyond a double raises OverflowError out of "
    "Validator.prepare (HTTP 500, the whole request lost)"))
@pytest.mark.parametrize(("source", "name", "kind"), NUMBER_CASES)
def test_integer_beyond_a_double_in_a_number_field_is_accounted(source: str, name: str, kind: dict[str, str]) -> None:
    """Contract 3: nothing crashes, every record is accounted, a good record in the same batch goes through.
    `_type_ok(NUMBER)` calls math.isfinite(v) on a Python int of 401 digits (the stdlib parser reads it, see
    connectors/parse.py) and the OverflowError leaves `prepare`: the gateway answers 500 for the whole body."""
    good = next(r for r in pool(source) if all(r.get(k) == v for k, v in kind.items()))
    bad = orjson.dumps({**good, name: 0})[:-1].replace(f'"{name}":0'.encode(), f'"{name}":1{"0" * 400}'.encode()) + b"}"
    body = orjson.dumps(good) + b"\n" + bad
    prepared = check_body(source, body, [])
    assert prepared.result.accepted + prepared.result.duplicate == 1


# -- 2. a personal id shadowed by a duplicated key is published and stored in clear ---------------

@pytest.mark.xfail(strict=True, reason=(
    "connectors/ingest.py publishes the record's original text, but the personal-id check and the masking look "
    "at the parsed value, where a duplicated key keeps its last value only: the shadowed id goes out in clear"))
@pytest.mark.parametrize("outcome", ["accepted", "dead_lettered"])
def test_personal_id_shadowed_by_a_duplicate_key_is_never_published(outcome: str) -> None:
    """Contract 2.3: a personal id is never stored or published, in any topic or table.
    `{"MaHoSo":"001203004567","MaHoSo":"D1",...}` parses (orjson, last value wins) to a valid record without
    an id, so it is accepted and `item.text` (the original text, id included) is published to ioc.raw.dvc
    and archived in raw_dvc. The same with a dead letter: `contains_personal_id(value)` is false, so the
    dead letter keeps the unmasked text (ioc.dlq.dvc, DuckDB dead_letters)."""
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

@pytest.mark.xfail(strict=True, reason=(
    "connectors/parse.py masks personal ids in an unparseable text by a regex over ASCII digits; in UTF-16/32 "
    "the digits are NUL-separated, so the dead letter keeps the id"))
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_personal_id_in_a_utf16_body_is_masked(encoding: str) -> None:
    """Contract 2.3: the digits are masked before the dead letter is written. A UTF-16 body is dead-lettered
    `unparseable` with its bytes decoded as UTF-8 with replacement; `mask_text` looks for 12 ASCII digits in a
    row, and finds `0\\x000\\x001\\x00...` instead: ioc.dlq.dvc and DuckDB dead_letters keep the id, readable by
    anyone who decodes the record as UTF-16 (or just drops the NULs)."""
    record = {**pool("dvc")[0], "CCCD": PID}
    prepared = validator("dvc").prepare(orjson.dumps(record).decode().encode(encoding), RECEIVED)
    assert prepared.result.dead_lettered == 1
    letter = orjson.loads(prepared.messages[0].value)
    assert PID not in letter["record"].replace("\x00", ""), letter["record"][:200]


# -- 4. (fixed) Publisher.send_markers raised TypeError, not PublishError, when the broker was down ------

def test_markers_to_a_dead_broker_raise_publish_error(tmp_path: Path) -> None:
    """A barrier to a broker that is down must raise PublishError (what every caller catches). Found by this
    suite (it raised TypeError: `PublishError(str(exc))` lacked `acked`, and ioc/gateway.py
    `_confirm_archived`, which catches the error, died on the first broker outage, so the gateway's journal
    was never trimmed again); fixed in connectors/publisher.py and ioc/gateway.py meanwhile, kept as a
    regression test."""
    from dataclasses import replace

    from ioc.broker import EmbeddedBroker
    from ioc.settings import load_settings
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
        broker.start()   # back on its port, so the producer can settle its pending marker and close
        try:
            publisher.close(timeout_s=20)
        finally:
            broker.child.kill()


# -- 5. accepted records the KPI worker cannot fold: counted as accepted, lost to the KPIs ----------

def fold_as_the_worker_does(source: str, records: list[dict[str, object]]) -> None:
    """Validate, then parse each raw message and fold it, as streams/engine/fold_stage.py does."""
    from streams.kpis.registry import KPIS
    prepared = validator(source).prepare(b"\n".join(dumps(r) for r in records), RECEIVED)
    assert prepared.result.accepted == len(records), prepared.result.as_dict()
    fold = KPIS[source].new_fold(UNITS)
    for message in prepared.messages:
        fold.apply(orjson.loads(message.value))


@pytest.mark.xfail(strict=True, raises=(OverflowError, ValueError), reason=(
    "streams/kpis: a dvc NgayTiepNhan accepted at ingest whose local or UTC date is outside year 1..9999 raises "
    "in the fold: processing_error dead letter after `accepted`, and the dossier's earlier records leave the KPIs"))
@pytest.mark.parametrize("receipt", ["9999-12-31T23:59:59Z", "0001-01-01T05:00:00+07:00"])
def test_an_accepted_receipt_time_at_the_calendar_edge_folds(receipt: str) -> None:
    """Contract 3 and 7: a record is either used or a dead letter; 9999-12-31T23:59:59Z (year 10000 in Lai
    Chau) and 0001-01-01T05:00:00+07:00 (year 0 in UTC) are timestamps with an offset, and NgayTiepNhan is
    not an event time (no future_time), so the gateway accepts them. The fold (periods_of via
    EntityViews._spread) raises OverflowError / ValueError; the worker turns that into a
    `processing_error:OverflowError` dead letter for a record counted accepted (seen in the 10,000-record
    run). EntityViews.move has already stored the new view and subtracted the dossier's old share: the
    dossier's earlier records vanish from the KPIs (dvc.received of its day drops to 0) and every later
    record of that dossier raises again."""
    first = {**pool("dvc")[0], "TrangThaiHoSo": 2}
    later = {**first, "TrangThaiHoSo": 4, "ThoiGianCapNhat": "2025-03-12T08:00:00+07:00", "NgayTiepNhan": receipt}
    fold_as_the_worker_does("dvc", [first, later])


@pytest.mark.xfail(strict=True, raises=orjson.JSONDecodeError, reason=(
    "a record with an integer beyond a double (extra field, telecom users) is accepted at ingest (stdlib "
    "parser), but the KPI worker's orjson refuses it: processing_error dead letter, the record never counts"))
@pytest.mark.parametrize(("source", "changes"), [
    ("dvc", {"note": 10**330}), ("eoffice", {"meta": {"n": -(10**400)}}),
    ("population", {"extra": [10**310]}), ("telecom", {"kind": "pm", "users": 10**320})])
def test_an_accepted_record_with_a_huge_integer_folds(source: str, changes: dict[str, object]) -> None:
    """Contract 2: unknown extra fields are kept in the archive and ignored by KPIs. connectors/parse.py reads
    a line with 19+ digits in a row through the stdlib, so `{"note": 1000...0 (331 digits)}` is accepted and
    archived; streams/engine/fold_stage.py parses the raw message with orjson ('number is infinity when
    parsed as double') and dead-letters it as `processing_error:JSONDecodeError` (seen in the 10,000-record
    run, for dvc, eoffice and telecom): counted accepted, in raw_<source>, in dead_letters, not in the KPIs."""
    base = next(r for r in pool(source) if "kind" not in changes or r.get("kind") == changes["kind"])
    fold_as_the_worker_does(source, [{**base, **changes}])


# -- 6. an accepted record whose event time is before year 1 in UTC crash-loops the DuckDB sink -----

@pytest.mark.integration
@pytest.mark.xfail(strict=True, reason=(
    "sinks/service.py _collect: datetime.fromtimestamp() of an accepted event time in year 0 UTC raises "
    "ValueError: the sink crash-loops on that message and nothing after it reaches DuckDB"))
def test_an_accepted_record_from_year_one_does_not_stop_the_sink(tmp_path: Path) -> None:
    """Contract 3 (nothing crashes) and 7 (a timestamp with an offset is valid): a population verification at
    0001-01-01T05:00:00+07:00 is accepted; the sink's `datetime.fromtimestamp(event_us / 1e6, tz)` raises
    ValueError('year 0 is out of range'), the sink dies, the supervisor restarts it, it reads the same
    uncommitted message and dies again (every ~8 s): no later record of any source reaches DuckDB and
    `ioc status --wait-idle` never succeeds. (The fold raises on it too, see the receipt-time test.)"""
    p = Pipeline(tmp_path)
    p.start()
    try:
        record = {"event_id": "year-one", "kind": "verification", "commune": "03388",
                  "event_time": "0001-01-01T05:00:00+07:00", "result": "ok", "latency_ms": 10}
        code, answer = p.ingest("population", [record])
        assert code == 200 and answer["accepted"] == 1, answer
        _, answer = call(f"{p.url}/barrier", "POST", b"{}")
        barrier = answer["barrier"]
        deadline = time.monotonic() + 120
        while True:
            sink = children(p)["sink"]
            assert sink["restarts"] == 0, f"the sink died {sink['restarts']} time(s):\n" + \
                (p.workdir / "var" / "logs" / "sink.log").read_text()[-1200:]
            if call(f"{p.url}/barrier/{barrier}")[1].get("complete"):
                break
            assert time.monotonic() < deadline, "DuckDB did not reflect the record within 120 s"
            time.sleep(0.5)
        assert p.sql("SELECT count(*) AS n FROM raw_population")[0]["n"] == 1
    finally:
        p.kill()
