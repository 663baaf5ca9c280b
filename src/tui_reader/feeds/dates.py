"""Feed dates -> timezone-aware UTC datetimes, without ever raising.

Feeds carry RFC 822 dates (RSS), RFC 3339 / ISO 8601 dates (Atom, JSON Feed) and, in
the wild, anything else. `parse_date` understands the first two and treats everything
else as unknown. The rules:

* The result is always an aware datetime in UTC.
* Missing, unparseable or absurd dates become the caller's `fallback` (the fetch time):
  a year before 1970 or the Unix epoch itself (a common "zero" placeholder), out-of-range
  fields (30 February, 25:61), offsets beyond +-18:00 (`+99:99`), and over-long input (a
  5,000-digit number is refused by length before any arithmetic happens).
* Dates after `fallback` are clamped to it, so a feed cannot pin an item to the top of
  a newest-first list by dating it in the future.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

# Longer than any real date ("Wednesday, 31 December 2024 23:59:59.123456 +0000" is 49).
MAX_DATE_LENGTH = 80
# Real offsets are within +-14:00; datetime itself needs < 24h. Anything else is garbage.
MAX_OFFSET = timedelta(hours=18)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(?:[Zz]|UTC|GMT|UT|([+-])(\d{2}):?(\d{2})?)?",
    re.ASCII,
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# RFC 822 zone names; military single letters are ambiguous in practice and read as UTC.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_RFC822 = re.compile(
    r"(?:[A-Za-z]{2,9}\.?,?\s*)?"  # optional day name
    r"(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4}),?\s+"
    r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?"
    r"\s*(?:([+-])(\d{2}):?(\d{2})|([A-Za-z]{1,5}))?",
    re.ASCII,
)

# "2024-06-01T11:38:16Z" and "Sat, 01 Jun 2024 11:57:38 +0000": each a strict subset of
# what _ISO / _RFC822 accept, with every field at a fixed position.
_ISO_PLAIN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)
_RFC822_PLAIN = re.compile(
    r"[A-Za-z]{3}, \d\d [A-Za-z]{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", re.ASCII
)


def as_utc(value: datetime) -> datetime:
    """`value` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is UTC:
        return value  # what astimezone(UTC) returns too, without the call
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return value.replace(tzinfo=UTC)


def parse_date(raw: object, fallback: datetime) -> datetime:
    """The UTC datetime `raw` names, or `fallback` (see the module docstring). Never raises."""
    fallback = as_utc(fallback)
    try:
        parsed = _parse(raw)
    except (ValueError, OverflowError, TypeError, IndexError, AttributeError):
        parsed = None
    if parsed is None or parsed <= _EPOCH:
        return fallback
    return min(parsed, fallback)


def parse_date_or_none(raw: object) -> datetime | None:
    """The UTC datetime `raw` names, or None if unknown; no clamping. Never raises."""
    try:
        parsed = _parse(raw)
    except (ValueError, OverflowError, TypeError, IndexError, AttributeError):
        return None
    return parsed if parsed is not None and parsed > _EPOCH else None


def _parse(raw: object) -> datetime | None:
    # Fast paths for the two spellings most feeds use. Such a string is ASCII, short and
    # has no surrounding space, so `_parse_slow` would reach the same regex; its groups are
    # cut out by position here and go to the same code. test_text_fastpath compares both.
    if isinstance(raw, str):
        if len(raw) == 20 and _ISO_PLAIN.fullmatch(raw):
            return _iso_value(raw[:4], raw[5:7], raw[8:10], raw[11:13], raw[14:16], raw[17:19])
        if len(raw) == 31 and _RFC822_PLAIN.fullmatch(raw):
            return _rfc822_value(
                raw[5:7], raw[8:11], raw[12:16], raw[17:19], raw[20:22], raw[23:25],
                raw[26], raw[27:29], raw[29:31], None,
            )  # fmt: skip
    return _parse_slow(raw)


def _parse_slow(raw: object) -> datetime | None:
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > MAX_DATE_LENGTH or not text.isascii():
        return None
    if text[0].isdigit():
        parsed = _parse_iso(text)
        if parsed is not None:
            return parsed
    return _parse_rfc822(text)


def _parse_iso(text: str) -> datetime | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    return _iso_value(year, month, day, hour, minute, second, fraction, sign, off_h, off_m)


def _iso_value(
    year: str,
    month: str,
    day: str,
    hour: str | None,
    minute: str | None,
    second: str | None,
    fraction: str | None = None,
    sign: str | None = None,
    off_h: str | None = None,
    off_m: str | None = None,
) -> datetime | None:
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=UTC,
    )
    if sign:
        hours, minutes = int(off_h), int(off_m or 0)
        if minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        if offset > MAX_OFFSET:
            return None
        # Local time = UTC + offset, so UTC = local - offset.
        value = value - offset if sign == "+" else value + offset
    # No offset at all (RFC 3339 requires one): UTC is the usual reading.
    return value


def _parse_rfc822(text: str) -> datetime | None:
    # Our own reader rather than email.utils: that one turns year "0001" into 2001.
    match = _RFC822.fullmatch(text)
    if match is None:
        return None
    return _rfc822_value(*match.groups())


def _rfc822_value(
    day: str,
    month_name: str,
    year_text: str,
    hour: str,
    minute: str,
    second: str | None,
    sign: str | None,
    off_h: str | None,
    off_m: str | None,
    zone: str | None,
) -> datetime | None:
    month = _MONTHS.get(month_name[:3].lower())
    if month is None:
        return None
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 50 else 1900  # RFC 2822 section 4.3
    elif len(year_text) == 3:
        year += 1900
    value = datetime(year, month, int(day), int(hour), int(minute), int(second or 0), tzinfo=UTC)
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if int(off_m) > 59 or offset > MAX_OFFSET:
            return None
        return value - offset if sign == "+" else value + offset
    if zone:
        hours = _ZONES.get(zone.upper())
        if hours is None:
            return None
        return value - timedelta(hours=hours)
    return value
