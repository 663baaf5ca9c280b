"""Feed dates -> timezone-aware UTC datetimes, without ever raising.

Feeds carry RFC 822 dates (RSS), RFC 3339 / ISO 8601 / W3C-DTF dates (Atom, JSON Feed,
dc:date) and, in the wild, anything else. `parse_date` understands the first two, their
common variants (partial W3C-DTF dates like "2008" and "2008-12", "2020/1/10 14:33:00",
zone names such as JST, CEST or AEST, an RFC 822 date without a time) and treats
everything else as unknown. The rules:

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

# W3C-DTF / RFC 3339, and the spellings feeds really use: partial dates ("2008",
# "2008-12", as W3C-DTF allows), "/" between the parts ("2020/1/10 14:33:00"), a zone
# name instead of an offset. The separator is the same both times (backreference); a
# zone only follows a full date.
_ISO = re.compile(
    r"(\d{4})(?:([-/])(\d{1,2})(?:\2(\d{1,2})"
    r"(?:[Tt ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(?:[Zz]|([+-])(\d{2}):?(\d{2})?|([A-Za-z]{2,5}))?)?)?",
    re.ASCII,
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Zone names -> offset in minutes: RFC 822's, and the abbreviations feeds print. Where one
# is ambiguous the most common reading in feeds wins (IST: India; CST: US Central; AST:
# Atlantic; BST: British Summer). Military single letters and unknown names are not
# guessed: such a date counts as unknown (the fetch time), as any garbage does.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300,
    "MST": -420, "MDT": -360, "PST": -480, "PDT": -420,
    "AKST": -540, "AKDT": -480, "HST": -600, "AST": -240, "ADT": -180,
    "NST": -210, "NDT": -150, "BRT": -180, "ART": -180,
    "BST": 60, "IST": 330, "CET": 60, "CEST": 120, "MET": 60, "MEST": 120,
    "WEST": 60, "EET": 120, "EEST": 180, "MSK": 180, "CAT": 120, "EAT": 180, "SAST": 120,
    "PKT": 300, "WIB": 420, "ICT": 420, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480,
    "CCT": 480, "JST": 540, "KST": 540, "ACST": 570, "ACDT": 630,
    "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_RFC822 = re.compile(
    r"(?:[A-Za-z]{2,9}\.?,?\s*)?"  # optional day name
    r"(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4})"
    r"(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d{1,9})?)?"
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
    year, _, month, day, hour, minute, second, fraction, sign, off_h, off_m, zone = match.groups()
    return _iso_value(
        year, month or "1", day or "1", hour, minute, second, fraction, sign, off_h, off_m, zone
    )


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
    zone: str | None = None,
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
    elif zone:
        return _in_zone(value, zone)
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
    hour: str | None,
    minute: str | None,
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
    value = datetime(
        year, month, int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=UTC
    )
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        if int(off_m) > 59 or offset > MAX_OFFSET:
            return None
        return value - offset if sign == "+" else value + offset
    if zone:
        return _in_zone(value, zone)
    return value


def _in_zone(value: datetime, zone: str) -> datetime | None:
    """`value`, read as local time in the named zone, in UTC; None for an unknown name."""
    minutes = _ZONES.get(zone.upper())
    if minutes is None:
        return None
    return value - timedelta(minutes=minutes)
