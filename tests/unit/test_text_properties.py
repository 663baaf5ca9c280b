"""Property tests for the untrusted-text boundary: the sanitiser and the URL policy.

`text.clean_line` / `text.clean_text` are what stand between feed text and the terminal,
and `text.check_url` / `normalize_feed_url` / `safe_link` between a feed's links and the
browser or the fetcher. Example tests cover the known attacks; these check the promises in
`text`'s docstring for arbitrary input, including lone surrogates (JSON can carry them),
C1 controls, bidi controls and combining-mark storms.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tui_reader.text import (
    MAX_COMBINING,
    UrlRejected,
    check_url,
    clean_line,
    clean_text,
    hide_userinfo,
    normalize_feed_url,
    safe_link,
)

# Characters the sanitiser must never let through (besides C0 rules that differ per mode).
BIDI_AND_INVISIBLE = set(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u2060\ufeff\u00ad"
)
C1 = {chr(c) for c in range(0x80, 0xA0)}
COMBINING = "\u0301\u0302\u0336\u20dd\ufe0f\ufe0e\U000e0100"

# The interesting characters, weighted up: hypothesis' default text rarely hits them.
TRICKY = st.sampled_from(
    [chr(c) for c in range(0x20)]
    + ["\x7f", *sorted(C1), *sorted(BIDI_AND_INVISIBLE), "\u2028", "\u2029"]
    + list(COMBINING)
    + ["\ud800", "\udfff", "\udc80"]  # lone surrogates
    + [" ", "[", "]", "@", "\\", ":", "/", "%", "-", "\u3000", "\xa0", "e", "界", "\U0001f600"]
)
ANY_CHAR = st.one_of(TRICKY, st.characters(codec=None, exclude_categories=()))
UNTRUSTED = st.text(ANY_CHAR, max_size=80)
PROPS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _no_terminal_controls(value: str, allowed: str) -> None:
    for char in value:
        code = ord(char)
        if code < 0x20:
            assert char in allowed, f"C0 {code:#x} in {value!r}"
        assert char != "\x7f", value
        assert char not in C1, f"C1 {code:#x} in {value!r}"
        assert char not in BIDI_AND_INVISIBLE, f"bidi/invisible {code:#x} in {value!r}"
        assert not 0xD800 <= code <= 0xDFFF, f"lone surrogate in {value!r}"


def _combining_runs_capped(value: str) -> None:
    run = 0
    for char in value:
        run = run + 1 if char in COMBINING or "\u0300" <= char <= "\u036f" else 0
        assert run <= MAX_COMBINING, value


# --------------------------------------------------------------------------- sanitiser


@PROPS
@given(UNTRUSTED, st.one_of(st.none(), st.integers(min_value=1, max_value=40)))
@example("\x1b]52;c;SFYwMy1TRU5USU5FTC1DTElQQk9BUkQ=\x07", None)
@example("a" + "\u0301" * 3 + "\u200b" + "\u0301" * 3, None)
def test_clean_line_is_one_inert_line(value: str, max_length: int | None) -> None:
    cleaned = clean_line(value, max_length)
    _no_terminal_controls(cleaned, allowed="")
    assert "\u2028" not in cleaned and "\u2029" not in cleaned
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    _combining_runs_capped(cleaned)
    if max_length is not None:
        assert len(cleaned) <= max_length
    # Sanitising is done once at storage and again at display: both passes must agree.
    assert clean_line(cleaned, max_length) == cleaned


@PROPS
@given(UNTRUSTED, st.one_of(st.none(), st.integers(min_value=1, max_value=40)))
@example("line\r\nnext\rthird\x85\x9b2J", None)
def test_clean_text_keeps_only_newline_and_tab(value: str, max_length: int | None) -> None:
    cleaned = clean_text(value, max_length)
    _no_terminal_controls(cleaned, allowed="\n\t")
    _combining_runs_capped(cleaned)
    assert clean_text(cleaned, max_length) == cleaned


@PROPS
@given(st.one_of(st.none(), st.integers(), st.floats(allow_nan=True), st.binary(max_size=20)))
def test_sanitisers_take_any_object(value: object) -> None:
    for cleaned in (clean_line(value), clean_text(value)):
        assert isinstance(cleaned, str)
        _no_terminal_controls(cleaned, allowed="\n\t")


# --------------------------------------------------------------------------- URL policy

SCHEMES = st.sampled_from(
    ["http", "https", "HTTP", "hTtPs", "javascript", "JaVa\tScRiPt", "file", "data", "ftp",
     "feed", "feed:https", "vbscript", "ms-msdt", "steam", "", " https", "-https"]
)  # fmt: skip
HOSTS = st.one_of(
    st.sampled_from(
        ["example.com", "EXAMPLE.com", "127.0.0.1", "[::1]", "[::1", "ex ample.com", "",
         "bücher.de", "xn--bcher-kva.de", "a..b", "-x.com", "host:99999", "host:0",
         "user:pw@example.com", "us%40er:p%3Aw@example.com", "@example.com",
         "[fe80::1%25eth0]", "host:22", "%41", "a\\b"]
    ),
    st.text(ANY_CHAR, max_size=12),
)  # fmt: skip
REST = st.text(ANY_CHAR, max_size=30)


@st.composite
def urlish(draw: st.DrawFn) -> str:
    """Strings that look enough like URLs to get past the first checks."""
    scheme = draw(SCHEMES)
    slashes = draw(st.sampled_from(["//", "///", "/", "", "\\\\", " //"]))
    return f"{scheme}:{slashes}{draw(HOSTS)}{draw(REST)}"


URL_INPUT = st.one_of(urlish(), UNTRUSTED, st.sampled_from(["-new-window", " javascript:x"]))
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\s\ud800-\udfff]")


def _assert_openable(url: str) -> None:
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https"), url
    assert parts.hostname, url
    assert not url.startswith("-"), url
    assert not _CONTROL_OR_SPACE.search(url), url
    assert url.isascii(), url  # everything else is percent- or punycode-encoded


@PROPS
@given(URL_INPUT, st.one_of(st.none(), URL_INPUT))
@example("https://a%40b:p%25w@example.com/x", None)
@example("https://example.com/\ud800", None)
@example("x", "http://[")
def test_check_url_accepts_only_openable_http_urls(raw: str, base: str | None) -> None:
    verdict = check_url(raw, base)  # never raises
    _no_terminal_controls(verdict.shown, allowed="")
    assert safe_link(raw, base) == verdict.url
    if not verdict.ok:
        assert verdict.url == "" and verdict.reason
        return
    _assert_openable(verdict.url)
    assert verdict.host == urlsplit(verdict.url).hostname
    again = check_url(verdict.url)
    assert again.ok and again.url == verdict.url, "re-checking an accepted URL changed it"


@PROPS
@given(URL_INPUT)
@example("feed://example.com/rss")
@example("feed:https://example.com/rss")
@example("https://u%25:x@example.com/")
def test_normalize_feed_url_raises_only_url_rejected(raw: str) -> None:
    try:
        url = normalize_feed_url(raw)
    except UrlRejected as exc:
        assert str(exc)
        return
    _assert_openable(url)
    assert "#" not in url
    assert normalize_feed_url(url) == url
    assert check_url(url).url == url


# What a URL parser reads as userinfo: "/?#@\\" end the authority, and whitespace or
# controls make the address invalid (it is refused, never opened).
USERINFO = st.text(
    st.characters(codec="utf-8", exclude_characters="/?#@\\", exclude_categories=("Z", "C")),
    min_size=1,
    max_size=20,
)


@PROPS
@given(USERINFO, USERINFO)
def test_shown_url_never_carries_credentials(user: str, password: str) -> None:
    raw = f"https://{user}:{password}SECRETMARK@example.com/feed"
    assert "SECRETMARK" not in check_url(raw).shown
    assert "SECRETMARK" not in hide_userinfo(raw)


@pytest.mark.parametrize(
    "raw",
    ["https://example.com/\ud800", "https://ex\udc80ample.com/", "https://u\ud800@example.com/"],
)
def test_lone_surrogates_are_refused_not_raised(raw: str) -> None:
    """Regression: `quote()` raised UnicodeEncodeError for a lone surrogate."""
    assert not check_url(raw).ok
    assert safe_link(raw) == ""
    with pytest.raises(UrlRejected):
        normalize_feed_url(raw)


def test_percent_in_credentials_is_stable() -> None:
    """Regression: userinfo was quoted again on every check (`%40` -> `%2540` -> ...)."""
    url = check_url("https://a%40b:p%25w@example.com/x").url
    assert url == "https://a%40b:p%25w@example.com/x"
    assert check_url(url).url == url
    assert normalize_feed_url(url) == url


def test_clean_text_cap_holds_after_expansion() -> None:
    """Regression: U+2029 expands to two newlines, so the output outgrew `max_length` and a
    second pass (display after storage) cut it differently."""
    cleaned = clean_text("x" * 13 + "\u2029", 14)
    assert len(cleaned) <= 14
    assert clean_text(cleaned, 14) == cleaned
