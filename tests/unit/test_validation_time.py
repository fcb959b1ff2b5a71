"""dvc timestamps against the contract (section 7): ISO-8601 with an offset, the instant they name, the
years a record may carry, and future_time (an event time more than 10 minutes after arrival)."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from contract.timestamps import parse_ts
from tests.unit.test_validation import (
    RECEIVED,
    RECEIVED_US,
    TS_FIELDS,
    accepted,
    counts,
    ndjson,
    reason,
    record,
    validator,
)

# --- timestamps (contract 7) ------------------------------------------------------------------

BASE_US = parse_ts("2026-11-22T02:00:00Z")


@pytest.mark.parametrize("text,delta_us", [
    ("2026-11-22T02:00:00Z", 0),
    ("2026-11-22T09:00:00+07:00", 0),
    ("2026-11-21T22:30:00-03:30", 0),
    ("2026-11-22T09:00+07:00", 0),                 # without seconds
    ("2026-11-22T02:00Z", 0),
    ("2026-11-22T09:00:00.5+07:00", 500_000),      # with fractions
    ("2026-11-22T09:00:00.000001+07:00", 1),
    ("2026-11-22T02:00:00.123456Z", 123_456),
    ("2026-11-22T09:00:00.000+07:00", 0),
])
def test_timestamp_with_offset_parses_to_the_instant(text, delta_us):
    assert parse_ts(text) == BASE_US + delta_us


def test_timestamp_with_nanoseconds_parses():
    assert parse_ts("2026-11-22T09:00:00.123456789+07:00") - BASE_US in (123_456, 123_457)


def test_epoch_reference_is_exact():
    assert parse_ts("1970-01-01T00:00:00Z") == 0
    assert parse_ts("1970-01-01T07:00:00+07:00") == 0
    assert parse_ts("2026-11-22T03:00:00Z") == RECEIVED_US


@pytest.mark.parametrize("text", [
    "2026-11-22T09:00:00",                 # without offset
    "2026-11-22T09:00",
    "2026-11-22T09:00:00.5",
    "2026-11-22",                          # date only
    "2026-11-22Z",
    "2026-13-01T00:00:00Z",                # month 13
    "2026-00-10T00:00:00Z",
    "2026-02-30T00:00:00+07:00",           # day that does not exist
    "2026-02-29T00:00:00Z",                # not a leap year
    "2026-11-31T00:00:00Z",
    "2026-11-22T24:00:00Z",
    "2026-11-22T09:60:00Z",
    "2026-11-22T09:00:60Z",
    "2026-11-22T09:00:00+0700",            # the offset is ±hh:mm
    "2026-11-22T09:00:00+07",
    "2026-11-22T09:00:00+24:00",
    "2026-11-22T09:00:00+07:60",           # no such offset
    "2026-11-22T09:00.5+07:00",            # fractions need seconds
    "2026-11-22T09:00:00.+07:00",
    "2026-11-22T09:00:00.1234567890Z",
    "2026-11-22T09:00:00Z\n",              # trailing newline
    "2026-11-22T09:0000+07:00",
    "20261122T090000+0700",                # ISO-8601 basic format
    "2026-11-22T0900+07:00",
    " 2026-11-22T09:00:00Z",
    "2026-11-22T09:00:00ZZ",
    "２０２６-11-22T09:00:00Z",             # full-width digits are not ISO-8601 digits
    "2026-11-22T0٩:00:00Z",                # Arabic-Indic digit
    "",
    "now",
    "22/11/2026 09:00:00",
])
def test_invalid_timestamp_does_not_parse(text):
    assert parse_ts(text) is None


def test_leap_day_parses():
    assert parse_ts("2028-02-29T12:00:00+07:00") is not None


@pytest.mark.parametrize("field", TS_FIELDS)
@pytest.mark.parametrize("value", ["2026-11-22T09:00:00", "2026-11-22", "2026-13-01T09:00:00+07:00",
                                   "2026-11-22T09:00:00+07:60", "2026-11-22T09:00:00Z\n"])
def test_invalid_timestamp_in_a_record_is_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


@pytest.mark.parametrize(
    "value", ["2026-11-22T02:00Z", "2026-11-22T09:00:00.250+07:00", "2026-11-21T19:00:00-07:00"]
)
def test_valid_timestamp_forms_are_accepted_in_a_record(value):
    assert accepted(record(ThoiGianCapNhat=value)).event_us // 1_000_000 == BASE_US // 1_000_000


# --- the years a record may carry (1900..2199; beyond, downstream datetimes overflow) ----------


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T05:00:00+07:00",  # year 0 in UTC
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59Z",  # year 10000 in Lai Châu
        "9999-12-31T23:59:59.999999Z",
        "0000-01-01T00:00:00Z",
        "1899-12-31T23:59:59.999999+07:00",
        "2200-01-01T00:00:00Z",
        "3026-11-22T09:00:00+07:00",  # a typo for 2026
    ],
)
def test_timestamp_outside_the_years_a_record_may_carry_does_not_parse(text):
    assert parse_ts(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "1900-01-01T00:00:00+07:00",
        "1900-01-01T00:00:00-23:59",
        "2199-12-31T23:59:59.999999+23:59",
        "2199-12-31T23:59:59.999999-23:59",
    ],
)
def test_the_first_and_last_instants_of_the_range_parse_in_any_offset(text):
    assert parse_ts(text) is not None


@pytest.mark.parametrize("field", TS_FIELDS)
@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59Z", "0001-01-01T05:00:00+07:00", "1850-06-01T00:00:00Z"]
)
def test_timestamp_outside_the_years_in_a_record_is_bad_type(field, value):
    assert reason(record(**{field: value})) == f"bad_type:{field}"


# --- future_time (event time more than 10 minutes after arrival) ------------------------------


@pytest.mark.parametrize(
    "event",
    [
        "2026-11-22T10:10:00+07:00",  # exactly at the limit
        "2026-11-22T03:10:00Z",
        "2026-11-22T10:09:59.999999+07:00",
        "2026-11-22T10:00:00+07:00",  # the arrival instant
        "2020-01-01T00:00:00+07:00",  # years late is fine
    ],
)
def test_event_time_up_to_ten_minutes_after_arrival_is_accepted(event):
    assert reason(record(ThoiGianCapNhat=event)) is None


@pytest.mark.parametrize(
    "event",
    [
        "2026-11-22T10:10:00.000001+07:00",  # one microsecond past the limit
        "2026-11-22T03:10:00.000001Z",
        "2026-11-22T10:10:01+07:00",
        "2026-11-22T11:00:00+07:00",
        "2026-11-22T10:00:00Z",  # 10:00 UTC is 17:00 in Lai Châu
        "2099-01-01T00:00:00Z",
    ],
)
def test_event_time_more_than_ten_minutes_after_arrival_is_future_time(event):
    assert reason(record(ThoiGianCapNhat=event)) == "future_time"


@pytest.mark.parametrize("field", ["NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy"])
def test_only_the_event_time_is_compared_with_arrival(field):
    assert reason(record(**{field: "2030-01-01T00:00:00+07:00"})) is None


def test_validator_measures_future_time_from_received_at():
    body = ndjson(
        record(MaHoSo="A", ThoiGianCapNhat="2026-11-22T10:10:00+07:00"),
        record(MaHoSo="B", ThoiGianCapNhat="2026-11-22T10:10:00.001+07:00"),
    )
    assert counts(validator().prepare(body, RECEIVED)) == (1, 0, {"future_time": 1})
    later = RECEIVED + timedelta(seconds=1)
    assert counts(validator().prepare(body, later)) == (2, 0, {})


def test_validator_reads_received_at_in_any_time_zone():
    body = ndjson(record(ThoiGianCapNhat="2026-11-22T10:10:00+07:00"))
    local = RECEIVED.astimezone(timezone(timedelta(hours=7)))
    assert counts(validator().prepare(body, local)) == (1, 0, {})


def test_the_folds_fast_reading_of_a_valid_timestamp_equals_the_strict_one() -> None:
    """parse_valid_ts (the KPI folds) reads what parse_ts (validation) accepted to the same instant."""
    import random

    from contract.timestamps import parse_ts, parse_valid_ts

    rng = random.Random(7)
    for _ in range(5000):
        text = (
            f"{rng.randrange(1900, 2200):04d}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}"
            + rng.choice(
                ["", f":{rng.randrange(60):02d}", f":{rng.randrange(60):02d}.{rng.randrange(10**6)}"]
            )
            + rng.choice(
                [
                    "Z",
                    f"+{rng.randrange(24):02d}:{rng.randrange(60):02d}",
                    f"-{rng.randrange(24):02d}:{rng.choice(['00', '30', '45'])}",
                ]
            )
        )
        assert parse_ts(text) is not None, text
        assert parse_valid_ts(text) == parse_ts(text), text
