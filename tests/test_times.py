"""Vendor times (ISO in any precision, epoch numbers in s, ms or ns) as UTC datetimes."""

from __future__ import annotations

from datetime import datetime, timezone

from agent_threads.times import epoch_time, utc


def test_times_parse_from_iso_with_nanoseconds_and_from_epoch_units() -> None:
    expected = datetime(2026, 5, 18, 3, 40, 48, 888851, tzinfo=timezone.utc)
    assert utc("2026-05-18T03:40:48.888851795Z") == expected
    assert utc(1779075648888851795, unit=1e-9) == datetime.fromtimestamp(1779075648.888851795, tz=timezone.utc)
    assert utc("1779075648000", unit=1e-3) == datetime(2026, 5, 18, 3, 40, 48, tzinfo=timezone.utc)
    assert utc("2026-05-18 03:40:48") == datetime(2026, 5, 18, 3, 40, 48, tzinfo=timezone.utc)
    assert utc("not a time") is None and utc("") is None


def test_an_epoch_beyond_what_a_datetime_holds_is_no_time_rather_than_a_crash() -> None:
    for value in (10**20, -(10**20), 10**400, 1e308, "99999999999999999999", 1768702985000000000):
        assert utc(value) is None, value


def test_epoch_times_convert_from_nanoseconds_milliseconds_and_seconds() -> None:
    expected = datetime(2026, 1, 18, 2, 23, 5, tzinfo=timezone.utc)
    assert epoch_time("1768702985000000000", "ns") == expected
    assert epoch_time(1768702985000, "ms") == expected
    assert epoch_time("1768702985", "s") == expected
    assert epoch_time("", "ns") is None and epoch_time("soon", "s") is None
