"""The fast paths of the parsing hot spots give exactly what the slow paths give.

`text` is the security boundary for untrusted text and URLs, so every shortcut added for
speed keeps its slow original under a private name and is compared with it here on
random input, biased towards what could make the two disagree: ports, userinfo, IPv6,
upper case, percent-escapes, unicode, spaces, controls and URL delimiters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui_reader import text
from tui_reader.feeds import dates

SETTINGS = settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])


def _outcome(function, *args):  # type: ignore[no-untyped-def]
    """The result, or the exception type and message (both must match too)."""
    try:
        return ("ok", function(*args))
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


# ------------------------------------------------------------------ URLs

URL_PIECES = st.sampled_from(
    [
        "http", "https", "HTTP", "hTTps", "ftp", "javascript", ":", "//", "/", "///", "?",
        "#", "@", "user", "user:pw@", "%40", "%2F", "%zz", "%", ":80", ":443", ":8080",
        ":0", ":65536", ":-1", ":", "[::1]", "[fe80::1%25eth0]", "[", "]", "example.org",
        "EXAMPLE.org", "b\u00fccher.de", "xn--bcher-kva.de", "a", "-", ".", "..", "~", "_",
        " ", "\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\u00e9", "\u2028",
        "\ud800", "\U0001f600", "\\", ";", "&", "=", "+", ",", "!", "*", "'", '"', "<",
        ">", "{", "}", "|", "^", "`", "$", "(", ")", "a/b", "x=1&y=2", "/./", "/../",
    ]
)  # fmt: skip
LIKELY_URLS = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}{rest}",
    st.sampled_from(["http", "https", "HTTPS", "ftp"]),
    st.text(alphabet="abcXYZ019.-:@[]%_~", max_size=20),
    st.lists(URL_PIECES, max_size=8).map("".join),
)
# Mostly what the fast path admits, with an occasional character it must not admit.
PLAIN_ALPHABET = "abzAZ09-._~:/@&=+,%!*?#" + "; []\\\t\u00e9'"
NEAR_PLAIN_URLS = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}{rest}",
    st.sampled_from(["http", "https"]),
    st.text(alphabet="az09.-", min_size=1, max_size=12),
    st.text(alphabet=PLAIN_ALPHABET, max_size=30),
)
URLS = st.one_of(
    NEAR_PLAIN_URLS,
    LIKELY_URLS,
    st.lists(URL_PIECES, max_size=12).map("".join),
    st.text(max_size=60),
)
BASES = st.one_of(st.none(), st.sampled_from(["https://example.org/a/b", "http://x/"]))


@SETTINGS
@given(URLS, BASES)
@example("https://example.org", None)
@example("https://example.org/", None)
@example("https://example.org/a?", None)
@example("https://example.org/a#", None)
@example("https://example.org/a?b#c", None)
@example("https://example.org:443/a", None)
@example("https://u@example.org/a", None)
@example("https://Example.org/a", None)
@example("https://example.org/a;b", None)
@example("https://example.org/a b", None)
@example("https://./", None)
@example("https://-/", None)
@example("https://example.org/" + "a" * 5000, None)
@example("https://example.org/" + "a" * (text.MAX_URL_LENGTH - 20), None)
def test_normalize_http_url_fast_path_matches_slow(raw: str, base: str | None) -> None:
    assert _outcome(text._normalize_http_url, raw, base) == _outcome(
        text._normalize_http_url_slow, raw, base
    )


# ------------------------------------------------------------------ dates

# Mostly ASCII digits, sometimes something a strict pattern must refuse (other digits too).
DIGIT_OR_ODD = st.sampled_from(
    list("0123456789" * 5) + ["", " ", "\t", "x", "\u0663", "\uff11", "-", "+", ":", "Z"]
)


def _digits(n: int) -> st.SearchStrategy[str]:
    """n characters, nearly always ASCII digits."""
    return st.lists(DIGIT_OR_ODD, min_size=n, max_size=n).map("".join)


ISO_LIKE = st.builds(
    "{}-{}-{}{}{}:{}:{}{}".format,
    _digits(4),
    _digits(2),
    _digits(2),
    st.sampled_from(["T", "t", " ", "x"]),
    _digits(2),
    _digits(2),
    _digits(2),
    st.sampled_from(["Z", "z", "", " Z", "+0000", "Q"]),
)
RFC822_LIKE = st.builds(
    "{}, {} {} {} {}:{}:{} {}{}".format,
    st.sampled_from(["Sat", "Mon", "sat", "XYZ", "Mo", "Mon."]),
    _digits(2),
    st.sampled_from(["Jan", "jun", "DEC", "Foo", "May", "Ju"]),
    _digits(4),
    _digits(2),
    _digits(2),
    _digits(2),
    st.sampled_from(["+", "-", "x", ""]),
    _digits(4),
)
DATES = st.one_of(ISO_LIKE, RFC822_LIKE, st.text(max_size=40))


@SETTINGS
@given(DATES)
@example("2024-06-01T11:38:16Z")
@example("2024-02-30T11:38:16Z")
@example("0001-01-01T00:00:00Z")
@example("Sat, 01 Jun 2024 11:57:38 +0000")
@example("Sat, 01 Jun 2024 11:57:38 +9999")
@example("Sat, 01 Jun 2024 11:57:38 -1800")
@example("Sat, 01 Jun 0024 11:57:38 +0000")
@example("Sat, 31 Feb 2024 11:57:38 +0000")
def test_parse_date_fast_path_matches_slow(raw: str) -> None:
    assert _outcome(dates._parse, raw) == _outcome(dates._parse_slow, raw)


@given(st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=3))])))
def test_as_utc_of_utc_is_what_astimezone_gives(value: datetime) -> None:
    try:
        expected = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except OverflowError:
        expected = value.replace(tzinfo=UTC)
    result = dates.as_utc(value)
    assert result == expected
    assert result.tzinfo is UTC


# ------------------------------------------------------------------ sanitiser

CLEAN_TEXT = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=40),
    st.text(max_size=40),
)


@SETTINGS
@given(CLEAN_TEXT)
def test_clean_ascii_shortcut_matches_the_regex_check(value: str) -> None:
    # The shortcut may only skip work the regex check would also have skipped.
    if value.isascii() and value.isprintable():
        assert not text._NEEDS_WORK.search(value)
        assert not text._TEXT_NEEDS_WORK.search(value)


def test_no_printable_ascii_character_needs_work() -> None:
    printable = "".join(chr(code) for code in range(0x20, 0x7F))
    assert printable.isascii() and printable.isprintable()
    assert not text._NEEDS_WORK.search(printable)
    assert not text._TEXT_NEEDS_WORK.search(printable)
    for code in [*range(0x20), 0x7F]:
        assert not chr(code).isprintable()
