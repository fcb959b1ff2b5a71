"""Property-based tests of the validation layer (`connectors.ingest.Validator.prepare`, pure) for every
source: whatever the body, nothing raises and every record is accounted for.

Hypothesis draws valid simulator records, the mutations of each (tests/faults/mutations.py) and the
body's framing and encoding. For every body:

- `prepare` does not raise;
- accepted + duplicate + dead-lettered == the records in the body (`expected_records`: one per
  element of a strict JSON array, one for a single object, one per non-blank NDJSON line, one for
  a body that starts as an array and is not one);
- one raw message per accepted record, one dead-letter message per dead-lettered one, nothing else;
- every reason is one of the contract's (section 3), naming a field of the source's table;
- what is accepted is valid by the contract's own rules, checked here independently: required
  fields present, closed lists respected with strict JSON types, timestamps with an offset, no
  personal id anywhere; and the source's KPI fold takes it as the worker would (parse the raw
  message, apply, evaluate live KPIs, drain) without raising;
- no planted personal id is in any message, and no dead letter holds a 12-digit value (even with its NULs
  dropped, as in a UTF-16 body);
- the same body again: nothing accepted, every earlier acceptance a duplicate (nothing counted twice).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.dedup import IdentityIndex
from connectors.ingest import Prepared, Validator
from connectors.registry import SOURCES as SPECS
from contract.settings import load_settings
from streams.kpis.registry import KPIS
from tests.faults.conftest import SCALES
from tests.faults.framing import BODY_KINDS, TEXT_MUTATIONS
from tests.faults.mutations import RECORD_MUTATIONS, Mutator, valid_records
from tests.faults.oracle import expected_records, strict_json
from tests.faults.workload import SOURCES

UNITS = load_settings(Path(__file__).resolve().parents[2] / "config" / "pipeline.toml").units
RECEIVED = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
NOW_US = int(RECEIVED.timestamp() * 1_000_000)
MAX_RECORD = 4096          # small, so that `too_large` is cheap to reach
EXAMPLES = {"quick": 120, "full": 2500}
TWELVE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
TS = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})"
)

# Contract 2.1-2.4 and 7, written out: the fields of each table, required ones, closed lists, timestamps.
FIELDS = {
    "dvc": [
        "MaHoSo",
        "MaTTHC",
        "MaDonVi",
        "KenhThucHien",
        "TrangThaiHoSo",
        "ThoiGianCapNhat",
        "NgayTiepNhan",
        "NgayHenTra",
        "NgayKetThucXuLy",
        "DichVuToanTrinh",
        "CoNghiaVuTaiChinh",
        "DuocThanhToanTrucTuyen",
        "HoSoCoThanhPhanSoHoa",
        "CoKetQuaDienTu",
        "TaiKhoanDuocXacThucVoiVNeID",
        "MucDoHaiLong",
    ],
    "eoffice": [
        "doc_id",
        "unit",
        "direction",
        "status",
        "event_time",
        "deadline",
        "urgency",
        "electronic",
        "digitally_signed",
    ],
    "population": [
        "event_id",
        "kind",
        "commune",
        "event_time",
        "level",
        "citizen_ref",
        "result",
        "latency_ms",
        "requester",
    ],
    "telecom": [
        "kind",
        "site_id",
        "operator",
        "commune",
        "technologies",
        "villages",
        "valid_from",
        "alarm_id",
        "probable_cause",
        "severity",
        "state",
        "event_time",
        "period_start",
        "period_s",
        "availability_pct",
        "traffic_erl",
        "data_mb",
        "users",
    ],
}
REQUIRED = {
    "dvc": [
        "MaHoSo",
        "MaTTHC",
        "MaDonVi",
        "KenhThucHien",
        "TrangThaiHoSo",
        "ThoiGianCapNhat",
        "NgayTiepNhan",
    ],
    "eoffice": ["doc_id", "unit", "direction", "status", "event_time"],
    "population": ["event_id", "kind", "commune", "event_time"],
    "site": ["kind", "site_id", "commune", "valid_from"],
    "alarm": ["kind", "alarm_id", "site_id", "probable_cause", "severity", "state", "event_time"],
    "pm": ["kind", "site_id", "period_start", "availability_pct"],
}
CLOSED: dict[str, dict[str, set[Any]]] = {
    "dvc": {
        "KenhThucHien": {1, 2, 3},
        "TrangThaiHoSo": set(range(1, 11)),
        "DuocThanhToanTrucTuyen": {0, 1, 2},
        "MucDoHaiLong": set(range(1, 6)),
    },
    "eoffice": {
        "direction": {"incoming", "outgoing"},
        "urgency": {"normal", "urgent", "very_urgent", "flash"},
        "status": {
            "received",
            "registered",
            "assigned",
            "processing",
            "completed",
            "issued",
            "rejected",
            "recalled",
        },
    },
    "population": {
        "kind": {"eid_application", "eid_activated", "verification", "record_corrected"},
        "level": {1, 2},
        "result": {"ok", "mismatch", "not_found", "error"},
    },
    "telecom": {"kind": {"site", "alarm", "pm"}},
    "alarm": {"severity": {"critical", "major", "minor", "warning"}, "state": {"raised", "cleared"}},
}
TIMESTAMP_FIELDS = {
    "dvc": ["ThoiGianCapNhat", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"],
    "eoffice": ["event_time", "deadline"],
    "population": ["event_time"],
    "telecom": ["valid_from", "event_time", "period_start"],
}


def published_as_id(pid: bytes, blob: bytes) -> bool:
    """A planted id out as a personal id: a JSON string or number of its own (also in a dead letter's
    escaped text, or as a key or header). A mutation may have made it part of a longer string
    (`"001000000000?"`: invalid UTF-8 spliced in, then re-encoded), which is no personal id (contract 7)."""
    return re.search(rb'(?<![^"\s:,\[{-])' + pid + rb'(?![^"\s,\]}\\])', blob) is not None


def reason_pattern(source: str) -> re.Pattern[str]:
    names = "|".join(map(re.escape, FIELDS[source]))
    return re.compile(
        rf"(unparseable|too_large|personal_id|future_time|unknown_unit:.*|"
        rf"(missing_field|bad_type|bad_enum):({names}))",
        re.S,
    )


def validator(source: str) -> Validator:
    return Validator(SPECS[source], UNITS, IdentityIndex(), MAX_RECORD, 600, b"property-test-key")


def has_personal_id(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool):
            continue
        elif (isinstance(item, str) and len(item) == 12 and item.isascii() and item.isdigit()) or (
            isinstance(item, int) and 10**11 <= abs(item) < 10**12
        ):
            return True
    return False


@cache
def pool(source: str) -> tuple[dict[str, Any], ...]:
    return valid_records(source)


@st.composite
def bodies(draw: Any, source: str) -> tuple[bytes, list[str]]:
    records = pool(source)
    rng = draw(st.randoms(use_true_random=False))
    picks = draw(st.lists(st.integers(0, len(records) - 1), max_size=8))
    kinds = draw(
        st.lists(
            st.lists(st.sampled_from(RECORD_MUTATIONS + TEXT_MUTATIONS), max_size=3),
            min_size=len(picks),
            max_size=len(picks),
        )
    )
    framing = draw(st.sampled_from(BODY_KINDS))
    m = Mutator(rng, MAX_RECORD)
    lines = [m.line(source, records[i], k) for i, k in zip(picks, kinds)]
    return m.body(lines, framing), m.planted


def check_body(source: str, body: bytes, planted: list[str]) -> Prepared:
    v = validator(source)
    prepared = v.prepare(body, RECEIVED)
    r = prepared.result
    expected = expected_records(body, MAX_RECORD)
    assert r.accepted + r.duplicate + r.dead_lettered == expected, (r.as_dict(), expected)
    raws = [m for m in prepared.messages if m.topic == f"ioc.raw.{source}"]
    letters = [m for m in prepared.messages if m.topic == f"ioc.dlq.{source}"]
    assert (len(raws), len(letters), len(prepared.messages)) == (
        r.accepted,
        r.dead_lettered,
        r.accepted + r.dead_lettered,
    )
    pattern = reason_pattern(source)
    for reason in r.dead_letter_reasons:
        assert pattern.fullmatch(reason), reason
    fold = KPIS[source].new_fold(UNITS)
    for m in raws:
        check_accepted(source, orjson.loads(m.value))
        fold.apply(orjson.loads(m.value))  # what the KPI worker does with it: must not raise
    fold.live(NOW_US)
    fold.partials.drain()
    fold.samples.drain()
    fold.drain_details(everything=True)
    for m in letters:
        letter = orjson.loads(m.value)
        assert letter["source"] == source and pattern.fullmatch(letter["reason"]), letter["reason"]
        text = letter["record"]
        try:
            parsed = strict_json(text.encode("utf-8", "surrogatepass"))
        except (ValueError, UnicodeError, RecursionError):  # (a UTF-16 body: its digits NUL-separated)
            assert not TWELVE.search(text.replace("\x00", "")), (
                f"a 12-digit run in the dead letter: {text[:300]!r}"
            )
        else:
            assert not has_personal_id(parsed), f"a personal id in the dead letter: {text[:300]!r}"
    blob = b"\n".join(
        b"\n".join([m.value, m.key or b"", *(v for _, v in m.headers)]) for m in prepared.messages
    )
    blob += b"\n" + blob.replace(b"\\u0000", b"")  # a dead letter of a UTF-16 body: NULs escaped in JSON
    for pid in planted:
        assert not published_as_id(pid.encode(), blob), f"personal id {pid} published"
    again = v.prepare(body, RECEIVED)  # the same body once more, before any commit
    assert (again.result.accepted, again.result.duplicate, dict(again.result.dead_letter_reasons)) == (
        0,
        r.accepted + r.duplicate,
        dict(r.dead_letter_reasons),
    )
    return prepared


def check_accepted(source: str, record: Any) -> None:
    assert isinstance(record, dict), record
    assert not has_personal_id(record), record
    kind = record.get("kind") if source == "telecom" else source
    for name in REQUIRED[kind]:
        value = record.get(name)
        assert value is not None and not (isinstance(value, str) and not value.strip()), (name, record)
    for name, allowed in {**CLOSED[source], **CLOSED.get(kind, {})}.items():  # telecom: per kind
        value = record.get(name)
        if value is not None:
            assert type(value) in (int, str) and value in allowed, (name, value)
    if kind == "site":
        techs = record.get("technologies")
        assert techs is None or (isinstance(techs, list) and set(techs) <= {"2G", "3G", "4G", "5G"}), techs
    for name in TIMESTAMP_FIELDS[source]:
        value = record.get(name)
        if value is not None:
            assert isinstance(value, str) and TS.fullmatch(value), (name, value)
            datetime.fromisoformat(value.replace("Z", "+00:00"))  # a real calendar date and time


def run_property(source: str, scale: str) -> None:
    @settings(
        max_examples=EXAMPLES[scale],
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(bodies(source))
    def prop(case: tuple[bytes, list[str]]) -> None:
        check_body(source, *case)

    prop()


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("source", SOURCES)
def test_every_record_of_any_body_is_accounted(source: str, scale: str) -> None:
    run_property(source, scale)


# -- specific shapes, always run ------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_valid_records_are_all_accepted_once(source: str) -> None:
    records = pool(source)[:500]
    body = b"\n".join(orjson.dumps(r) for r in records)
    prepared = check_body(source, body, [])
    assert prepared.result.dead_lettered == 0, prepared.result.dead_letter_reasons
    assert prepared.result.accepted + prepared.result.duplicate == len(records)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1258"])
def test_wrong_encodings_are_accounted(source: str, encoding: str) -> None:
    text = "\n".join(orjson.dumps(r).decode() for r in pool(source)[:20]) + "\n" + '{"note": "Lai Châu ☃"}'
    body = text.encode(encoding, "replace")
    check_body(source, body, [])


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("depth", [255, 300, 1000, 5000, 100_000])
def test_deep_nesting_alone_and_beside_good_records(source: str, depth: int) -> None:
    good = orjson.dumps(pool(source)[0])
    deep = b"[" * depth + b"1" + b"]" * depth
    for body in (deep, good + b"\n" + b'{"x":' + deep + b"}", b"[" * depth, b'{"a":' * depth):
        check_body(source, body, [])
