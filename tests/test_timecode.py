"""Times as text: each format written and read back, and what the readers refuse."""

from __future__ import annotations

import pytest

from warcast.timecode import (
    clock,
    iso_duration,
    ms,
    parse_duration,
    parse_stamp,
    parse_time,
    precise,
    stamp,
)


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3599, "59:59"), (3600, "1:00:00"),
    (36_061, "10:01:01"), (-5, "0:00")])
def test_clock(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown


@pytest.mark.parametrize("seconds", [0.0, 0.001, 1.5, 59.999, 61.25, 3600.0, 36_061.042])
def test_stamp_reads_back(seconds: float) -> None:
    written = stamp(ms(seconds))
    assert parse_stamp(written) == pytest.approx(seconds, abs=0.0005)
    assert stamp(ms(seconds), ",").replace(",", ".") == written


def test_formats_of_one_moment() -> None:
    millis = ms(3725.5)
    assert (stamp(millis), stamp(millis, ","), precise(millis), iso_duration(3725.5)) == (
        "01:02:05.500", "01:02:05,500", "1:02:05.500", "PT1H2M6S")
    assert ms(0.0005) == 1 and ms(-3) == 0


@pytest.mark.parametrize(("text", "seconds"), [
    ("1:02:03", 3723.0), ("2:03", 123.0), ("1:02:03.5", 3723.5), ("75", 75.0), (90, 90.0),
    ("1:60", None), ("1:60:00", None), ("abc", None), (True, None), (-1, None)])
def test_parse_time(text: object, seconds: float | None) -> None:
    assert parse_time(text) == seconds


@pytest.mark.parametrize(("text", "seconds"), [
    ("3600", 3600.0), ("3600,5", 3600.5), ("60:00", 3600.0), ("75:30", 4530.0),
    ("01:00:00.000", 3600.0), ("1h 2m 3s", 3723.0), ("PT1H2M3S", 3723.0), ("1:75:00", None),
    ("soon", None), ("", None)])
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("token", ["1:02.000", "00:60:00.000", "00:00:01", "00:00:01,000"])
def test_parse_stamp_refuses_malformed(token: str) -> None:
    assert parse_stamp(token) is None
