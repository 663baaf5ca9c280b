"""Tests for feeds.dates: real-world formats parse, absurd ones fall back, nothing raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_reader.feeds.dates import as_utc, parse_date, parse_date_or_none

FETCHED = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 01 Jan 2024 10:00:00 GMT", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 10:00:00 +0000", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 10:00:00 +0130", datetime(2024, 1, 1, 8, 30, tzinfo=UTC)),
        ("Mon, 1 Jan 2024 10:00 PST", datetime(2024, 1, 1, 18, tzinfo=UTC)),
        ("1 Jan 2024 10:00:00 -0500", datetime(2024, 1, 1, 15, tzinfo=UTC)),
        ("Tuesday, 04 June 2024 10:00:00 +0000", datetime(2024, 6, 4, 10, tzinfo=UTC)),
        ("01 Jan 24 10:00 GMT", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("Mon, 01 Jan 2024 10:00:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00:00.123456+02:00", datetime(2024, 1, 1, 8, 0, 0, 123456, tzinfo=UTC)),
        ("2024-01-01T10:00:00-0130", datetime(2024, 1, 1, 11, 30, tzinfo=UTC)),
        ("2024-01-01 10:00:00 UTC", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01T10:00", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        ("2024-01-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("  2024-01-01T10:00:00Z\n", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        # W3C-DTF partial dates (dc:date), slashes, zone names, RFC 822 without a time.
        ("2008", datetime(2008, 1, 1, tzinfo=UTC)),
        ("2008-12", datetime(2008, 12, 1, tzinfo=UTC)),
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),
        ("2020/01/10", datetime(2020, 1, 10, tzinfo=UTC)),
        ("2020-01-10T14:33:00 JST", datetime(2020, 1, 10, 5, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 CET", datetime(2020, 1, 10, 13, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 AEDT", datetime(2020, 1, 10, 3, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 NST", datetime(2020, 1, 10, 18, 3, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33 ist", datetime(2020, 1, 10, 9, 3, tzinfo=UTC)),
        ("10 Jan 2020", datetime(2020, 1, 10, tzinfo=UTC)),
    ],
)
def test_real_formats(raw: str, expected: datetime) -> None:
    assert parse_date(raw, FETCHED) == expected
    assert parse_date_or_none(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "yesterday",
        "Sat, 01 Jan 0001 00:00:00 GMT",  # email.utils would read this as 2001
        "0001-01-01T00:00:00Z",
        "Fri, 30 Feb 2024 10:00:00 GMT",
        "99999-01-01T00:00:00Z",
        "-0044-03-15T12:00:00Z",
        "Thu, 01 Jan 1970 00:00:00 GMT",  # the epoch is a placeholder, not a date
        "1969-12-31T23:59:59Z",
        "Mon, 01 Jan 2024 25:61:61 XYZ",
        "2024-06-01T12:00:00+99:99",
        "2024-06-01T12:00:00+19:00",
        "Mon, 01 Jan 2024 10:00:00 +0099",
        "Mon, 01 Jan 2024 10:00:00 " + "1" * 5000,
        "9" * 2000,
        "2024-13-01",
        "Mon, 01 Foo 2024 10:00:00 GMT",
        "2024-01-01T10:00:00Z\x00",
        "２０２４-01-01",  # full-width digits
        12345,
        b"2024-01-01",
        "2008-",
        "2008-12-",
        "2008-1/10",
        "2008-12 JST",  # a zone only follows a full date
        "2020-01-10T14:33:00 XYZ",
        "Fri, 10 Jan 2020 14:33:00 A",  # military letters: not guessed
        "Jan 2020",
        "10 Foo 2020",
    ],
)
def test_unknown_or_absurd_dates_fall_back(raw: object) -> None:
    assert parse_date(raw, FETCHED) == FETCHED
    assert parse_date_or_none(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "Fri, 31 Dec 9999 23:59:59 +1400",
        "Fri, 31 Dec 9999 23:59:59 -1200",
        "Tue, 19 Jan 2038 03:14:08 GMT",
        "Sun, 07 Feb 2106 06:28:16 GMT",
        "2024-07-01T12:00:01Z",  # one second after the fetch
    ],
)
def test_future_dates_are_clamped_to_the_fetch_time(raw: str) -> None:
    assert parse_date(raw, FETCHED) == FETCHED


def test_fallback_is_normalised_to_utc() -> None:
    naive = datetime(2024, 7, 1, 12, 0)
    assert parse_date("nonsense", naive) == FETCHED
    plus_two = datetime(2024, 7, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    result = parse_date("nonsense", plus_two)
    assert result == FETCHED and result.tzinfo is UTC


def test_as_utc_survives_extreme_values() -> None:
    extreme = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert as_utc(extreme).tzinfo is UTC
    assert as_utc(datetime(9999, 12, 31, 23, 59)).tzinfo is UTC


def _check(result: datetime) -> None:
    assert result.tzinfo is UTC
    assert datetime(1970, 1, 1, tzinfo=UTC) < result <= FETCHED


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_parse_date_never_raises_on_any_text(raw: str) -> None:
    _check(parse_date(raw, FETCHED))
    parse_date_or_none(raw)


_NUMBER = st.integers(min_value=-99999, max_value=10**12).map(str)


@settings(max_examples=400, deadline=None)
@given(
    st.tuples(
        _NUMBER,
        _NUMBER,
        _NUMBER,
        _NUMBER,
        _NUMBER,
        _NUMBER,
        st.sampled_from(["Z", "+", "-", " GMT", " XYZ", ""]),
        _NUMBER,
        st.sampled_from(["Mon", "Jan", "Feb", "Dec", "Foo", ""]),
    )
)
def test_parse_date_never_raises_on_date_shaped_text(parts: tuple[str, ...]) -> None:
    year, month, day, hour, minute, second, zone, offset, name = parts
    for raw in (
        f"{year}-{month}-{day}T{hour}:{minute}:{second}{zone}{offset}",
        f"{name}, {day} {name} {year} {hour}:{minute}:{second} {zone}{offset}",
        f"{day} Jan {year} {hour}:{minute} {zone}{offset}",
    ):
        _check(parse_date(raw, FETCHED))
