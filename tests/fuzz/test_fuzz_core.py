"""Fuzz harnesses for every core reader of untrusted input (see README.md here).

Property for each: never raises anything but its documented error type, and what it
returns has no control characters; URLs it returns pass the URL policy unchanged.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from tui_reader.feeds.parse import FeedParseError, parse_feed
from tui_reader.feeds.subscribe import discover_feed_links
from tui_reader.opml import ImportFormatError, read_subscriptions
from tui_reader.query import QueryError, parse_query
from tui_reader.render import html_to_markdown, unsafe_tokens
from tui_reader.text import (
    MAX_URL_LENGTH,
    UrlRejected,
    check_url,
    clean_line,
    clean_text,
    normalize_feed_url,
    safe_link,
)

from .budget import fuzz_settings

FUZZ = fuzz_settings()
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# What must never come out: C0 controls (tab/newline allowed where text has lines), DEL,
# C1, bidi embeddings/overrides/isolates and marks, tag characters, lone surrogates.
_BAD_COMMON = (
    "\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff\U000e0000-\U000e007f"
)
_BAD_LINE = re.compile(f"[\x00-\x1f{_BAD_COMMON}]")
_BAD_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f{_BAD_COMMON}]")


def assert_line(value: str) -> None:
    assert not _BAD_LINE.search(value), repr(value)


def assert_text(value: str) -> None:
    assert not _BAD_TEXT.search(value), repr(value)


def assert_url(value: str) -> None:
    """A URL something returned: empty, or one the policy keeps exactly as it is."""
    if value:
        assert len(value) <= MAX_URL_LENGTH
        assert safe_link(value) == value, value
        assert_line(value)


# --------------------------------------------------------------------------- strategies

# Characters that mean something somewhere: markup, URL structure, look-alikes that IDNA
# maps to ASCII, invisible and control characters, bidi, Hangul fillers, tags.
_SPICE = st.sampled_from(
    list("<>&;\"'=/:?#[]@%\\ \t\n\r\x00\x1b\x07\x7f\x85\u2028\u2029")
    + ["\uff3b", "\uff3d", "\uff1a", "\uff0f", "\u202e", "\u2066", "\u200b", "\u3164"]
    + ["\u115f", "\u034f", "\ufff9", "\U000e0041", "\ud800", "\u0301" * 9, "\ufeff"]
    + ["<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#0;", "&#x1b;", "&lt;", "&nbsp;"]
    + ["https://", "http://", "feed:", "javascript:", "//", "[::1]", "xn--", "%2F", "%00"]
)
TEXT = st.lists(st.one_of(st.text(max_size=12), _SPICE), max_size=30).map("".join)
URLISH = st.tuples(
    st.sampled_from(["https://", "http://", "HTTP://", "feed://", "", "//", " https://"]),
    st.one_of(st.sampled_from(["example.com", "[::1]", "127.0.0.1", "bücher.de"]), TEXT),
    st.sampled_from(["", ":8080", ":0", ":99999", ":22", ":"]),
    TEXT,
).map("".join)
ENCODINGS = st.sampled_from(
    ["utf-8", "utf-16", "utf-7", "utf-6", "latin-1", "koi8-r", "hex", "rot13", "idna", ""]
)


def _xml_doc(kind: str, encoding: str, parts: list[str]) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    inner = "".join(parts)
    if kind == "rss":
        channel = f"<title>{inner}</title><item>{inner}</item>"
        body = f'<rss version="2.0"><channel>{channel}</channel></rss>'
    elif kind == "atom":
        body = f'<feed xmlns="http://www.w3.org/2005/Atom"><entry>{inner}</entry></feed>'
    else:
        body = f'<opml version="2.0"><body>{inner}</body></opml>'
    return (declaration + body).encode("utf-8", "surrogatepass")


_ELEMENT = st.one_of(
    TEXT,
    st.builds(lambda t, v: f"<title>{v}</title><link>{t}</link>", URLISH, TEXT),
    st.builds(lambda t, v: f'<link href="{t}"/><content type="html">{v}</content>', URLISH, TEXT),
    st.builds(lambda v: f"<description><![CDATA[{v}]]></description>", TEXT),
    st.builds(lambda t, v: f'<outline text="{v}" xmlUrl="{t}" htmlUrl="{t}"/>', URLISH, TEXT),
    st.builds(
        lambda v: f"<outline text='{v}'><outline xmlUrl='https://a.example/'/></outline>", TEXT
    ),
)
XML_DOCS = st.builds(
    _xml_doc, st.sampled_from(["rss", "atom", "opml"]), ENCODINGS, st.lists(_ELEMENT, max_size=6)
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT, URLISH),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(TEXT, children, max_size=4)
    ),
    max_leaves=20,
)
JSON_FEEDS = st.builds(
    lambda title, items, extra: json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": title, "items": items, **extra}
    ).encode(),
    st.one_of(TEXT, JSON_VALUES),
    st.lists(
        st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {
                    "id": st.one_of(TEXT, st.integers()),
                    "url": URLISH,
                    "title": TEXT,
                    "content_html": TEXT,
                    "date_published": TEXT,
                    "authors": st.lists(st.fixed_dictionaries({"name": TEXT})),
                }
            ),
        ),
        max_size=4,
    ),
    st.dictionaries(st.sampled_from(["home_page_url", "authors", "feed_url"]), JSON_VALUES),
)
HTML = st.lists(
    st.one_of(
        TEXT,
        st.builds(lambda u, t: f'<a href="{u}">{t}</a>', URLISH, TEXT),
        st.builds(lambda u: f'<img src="{u}" alt="x">', URLISH),
        st.sampled_from(["<p>", "</p>", "<ul><li>", "<table><tr><td>", "<pre><code>", "<br>"]),
        st.sampled_from(["<h1>", "<blockquote>", "<script>", "<svg>", "<!--", "<em>", "*", "_"]),
    ),
    max_size=25,
).map("".join)


# --------------------------------------------------------------------------- harnesses


@FUZZ
@given(st.one_of(XML_DOCS, JSON_FEEDS, st.binary(max_size=300)))
@example(b'<?xml version="1.0" encoding="utf-6"?><rss/>')
def test_fuzz_feed_parser(data: bytes) -> None:
    try:
        parsed = parse_feed(data, url="https://feed.example/rss", fetched_at=NOW)
    except FeedParseError as exc:
        assert_line(str(exc))
        return
    assert_line(parsed.title)
    assert_url(parsed.site_url)
    for warning in parsed.warnings:
        assert_line(warning)
    for article in parsed.articles:
        assert_line(article.title)
        assert_line(article.author)
        assert_line(article.key)
        assert_url(article.link)
        assert_text(article.body_html)


@FUZZ
@given(JSON_FEEDS)
def test_fuzz_json_feed(data: bytes) -> None:
    try:
        parsed = parse_feed(
            data, url="https://feed.example/j", fetched_at=NOW, content_type="application/json"
        )
    except FeedParseError:
        return
    assert_line(parsed.title)
    for article in parsed.articles:
        assert_line(article.title)
        assert_url(article.link)
        assert_text(article.body_html)


@FUZZ
@given(
    st.one_of(
        XML_DOCS, st.binary(max_size=300), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
)
@example(b'<?xml version="1.0" encoding="rot13"?><opml/>')
@example(
    b'<opml version="2.0"><body><outline xmlUrl="https://a.example/f" '
    b'htmlUrl="https://mastodon.social/@Gargron"/></body></opml>'
)
def test_fuzz_opml(data: bytes) -> None:
    try:
        plan = read_subscriptions(data, "subscriptions.opml")
    except ImportFormatError as exc:
        assert_line(str(exc))
        return
    for sub in plan.subscriptions:
        assert normalize_feed_url(sub.url) == sub.url
        assert_line(sub.title)
        assert_line(sub.category)
        assert_url(sub.site_url)
    for rejected in plan.rejected:
        assert_line(rejected.where)
        assert_line(rejected.reason)
    for note in plan.notes:
        assert_line(note)


@FUZZ
@given(HTML, st.sampled_from(["", "https://base.example/a/", "https://［/x"]))
@example('<h1>T</h1><a href="https://［/feed">x</a>', "")
def test_fuzz_render(html: str, base: str) -> None:
    body = html_to_markdown(html, base)
    assert_text(body.markdown)
    assert unsafe_tokens(body.markdown) == []
    for link in body.links:
        assert_url(link.url)
        assert_line(link.text)
    for image in body.images:
        assert_url(image.url)


@FUZZ
@given(TEXT)
@example("after:[/]")
def test_fuzz_query(text: str) -> None:
    try:
        parse_query(text, NOW)
    except QueryError as exc:
        assert_line(str(exc))


@FUZZ
@given(TEXT)
def test_fuzz_sanitiser(text: str) -> None:
    line = clean_line(text, max_length=300)
    assert_line(line)
    assert len(line) <= 300
    assert clean_line(line, max_length=300) == line  # a second pass changes nothing
    body = clean_text(text)
    assert_text(body)
    assert clean_text(body) == body


@FUZZ
@given(URLISH, st.sampled_from([None, "https://base.example/a/b", "http://[::1]:8/"]))
@example("https://［/feed", None)
@example("https://x.example/" + " a" * 1500, None)
def test_fuzz_url_policy(raw: str, base: str | None) -> None:
    verdict = check_url(raw, base)
    assert_line(verdict.shown)
    assert_line(verdict.reason)
    if verdict.ok:
        assert_url(verdict.url)
        assert not re.search(r"[\s\"'`$;|<>(){}\\^]", verdict.url), verdict.url
    else:
        assert verdict.url == ""
    assert safe_link(raw, base) == verdict.url
    try:
        feed_url = normalize_feed_url(raw)
    except UrlRejected as exc:
        assert_line(str(exc))
    else:
        assert_url(feed_url)
        assert normalize_feed_url(feed_url) == feed_url


@FUZZ
@given(st.one_of(HTML.map(lambda h: h.encode("utf-8", "surrogatepass")), st.binary(max_size=300)))
@example(b"<html><head>" + b"<!--" * 1000)
def test_fuzz_discovery(page: bytes) -> None:
    for link in discover_feed_links(page, "https://site.example/"):
        assert_url(link)
