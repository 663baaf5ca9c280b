"""Tests for feeds.parse: formats, the bench corpus, the hostile fixtures, and fuzzing.

No network. The corpus and the huge feed are generated into tmp_path by tests/support;
the hostile cases are tests/data/hostile.
"""

# Inline XML documents read better on one line than wrapped at 100 columns.
# ruff: noqa: E501

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.paths import FEEDCORPUS, HOSTILE, HUGEFEED
from tui_reader.feeds import common
from tui_reader.feeds.parse import FeedParseError, looks_like_feed, parse_feed
from tui_reader.feeds.subscribe import discover_feed_links
from tui_reader.models import ParsedFeed
from tui_reader.text import clean_text, safe_link

FETCHED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
URL = "https://feed.example.invalid/feed.xml"


def parse(data: bytes | str, **kwargs: object) -> ParsedFeed:
    if isinstance(data, str):
        data = data.encode("utf-8")
    options: dict = {"url": URL, "fetched_at": FETCHED, **kwargs}
    return parse_feed(data, **options)


# Characters no output string may contain (text.py turns them into visible symbols).
_FORBIDDEN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_FORBIDDEN_BODY = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def assert_safe(feed: ParsedFeed) -> None:
    """The invariants every parse result holds, whatever the input."""
    assert not _FORBIDDEN_LINE.search(feed.title)
    assert feed.site_url == "" or feed.site_url == safe_link(feed.site_url)
    keys = [a.key for a in feed.articles]
    assert len(keys) == len(set(keys))
    for article in feed.articles:
        for value in (article.key, article.title, article.author, article.link):
            assert not _FORBIDDEN_LINE.search(value)
        assert not _FORBIDDEN_BODY.search(article.body_html)
        assert article.key and article.title
        assert len(article.title) <= 1000 and len(article.author) <= 300
        assert len(article.body_html) <= 200_000 and len(article.key) <= 512
        assert article.link == "" or article.link.startswith(("http://", "https://"))
        assert article.link == "" or safe_link(article.link) == article.link
        assert article.published.tzinfo is UTC
        assert datetime(1970, 1, 1, tzinfo=UTC) < article.published <= FETCHED
    for warning in feed.warnings:
        assert not _FORBIDDEN_LINE.search(warning)


def rss(items: str, channel: str = "<title>T</title><link>https://site.example/</link>") -> str:
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{channel}{items}</channel></rss>'


def atom(entries: str, head: str = "<title>A</title>", attrs: str = "") -> str:
    return f'<feed xmlns="http://www.w3.org/2005/Atom"{attrs}>{head}{entries}</feed>'


# ------------------------------------------------------------------ RSS


def test_rss2_fields() -> None:
    feed = parse(
        rss(
            """<item><title>Hello &amp; bye</title><link>https://site.example/1</link>
            <guid isPermaLink="false"> g-1 </guid><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>
            <author>me@site.example (Ann Author)</author><description>short</description>
            <content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[
            <p>full <b>body</b></p>]]></content:encoded></item>"""
        )
    )
    assert feed.title == "T" and feed.site_url == "https://site.example/"
    (article,) = feed.articles
    assert article.key == "g-1"
    assert article.title == "Hello & bye"
    assert article.link == "https://site.example/1"
    assert article.author == "Ann Author"
    assert article.published == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert "<p>full <b>body</b></p>" in article.body_html  # full content beats description
    assert feed.warnings == ()


def test_rss_relative_links_resolve_against_the_channel_link() -> None:
    feed = parse(rss("<item><title>x</title><link>/posts/1</link></item>"))
    assert feed.articles[0].link == "https://site.example/posts/1"
    feed = parse(
        rss("<item><title>x</title><link>posts/1</link></item>", channel="<title>T</title>")
    )
    assert feed.articles[0].link == "https://feed.example.invalid/posts/1"


def test_xml_base_wins_over_the_channel_link() -> None:
    doc = rss('<item xml:base="https://other.example/dir/"><title>x</title><link>p</link></item>')
    assert parse(doc).articles[0].link == "https://other.example/dir/p"


def test_permalink_guid_is_the_link_only_when_absolute() -> None:
    feed = parse(
        rss(
            "<item><title>a</title><guid>https://site.example/a</guid></item>"
            "<item><title>b</title><guid>b-not-a-url</guid></item>"
            '<item><title>c</title><guid isPermaLink="false">https://site.example/c</guid></item>'
        )
    )
    assert [a.link for a in feed.articles] == ["https://site.example/a", "", ""]


def test_rss1_rdf() -> None:
    doc = """<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://r.example/"><title>RDF feed</title><link>https://r.example/</link></channel>
      <item rdf:about="https://r.example/1"><title>One</title><link>https://r.example/1</link>
        <dc:date>2024-02-03T04:05:06Z</dc:date><dc:creator>Dee</dc:creator>
        <description>d1</description></item>
      <item rdf:about="https://r.example/2"><title>Two</title><link>https://r.example/2</link></item>
    </rdf:RDF>"""
    feed = parse(doc)
    assert feed.title == "RDF feed" and feed.site_url == "https://r.example/"
    assert [a.title for a in feed.articles] == ["One", "Two"]
    assert feed.articles[0].key == "https://r.example/1"
    assert feed.articles[0].author == "Dee"
    assert feed.articles[0].published == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_rss091_and_unescaped_html_in_description() -> None:
    doc = """<rss version="0.91"><channel><title>Old</title><link>http://o.example/</link>
    <item><title>x</title><link>http://o.example/x</link>
    <description>Hi <b>there</b> you</description></item></channel></rss>"""
    (article,) = parse(doc).articles
    assert article.body_html == "Hi <b>there</b> you"


# ------------------------------------------------------------------ Atom


def test_atom_fields_and_inheritance() -> None:
    doc = atom(
        """<entry><id> urn:1 </id><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; co</title>
        <link rel="enclosure" href="https://a.example/x.mp3"/><link href="/e/1"/>
        <published>2024-03-01T00:00:00+01:00</published><updated>2024-03-02T00:00:00Z</updated>
        <summary>sum</summary><content type="html">&lt;p&gt;full&lt;/p&gt;</content></entry>
        <entry><id>urn:2</id><title>Plain &lt;tag&gt;</title><updated>2024-03-02T00:00:00Z</updated>
        <content type="text">line one
        &lt;script&gt;

        para two</content><author><name>Own</name></author></entry>
        <entry><id>urn:3</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <i>ht</i></div></title>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>xhtml</b></p></div></content></entry>""",
        head="<title>A</title><link href='https://a.example/'/><author><name>Feed Author</name></author>",
        attrs=' xml:base="https://a.example/base/"',
    )
    feed = parse(doc)
    assert feed.title == "A" and feed.site_url == "https://a.example/"
    one, two, three = feed.articles
    assert one.key == "urn:1" and one.title == "Bold & co"
    assert one.link == "https://a.example/e/1"
    assert one.published == datetime(2024, 2, 29, 23, tzinfo=UTC)  # published beats updated
    assert one.body_html == "<p>full</p>" and one.author == "Feed Author"
    assert two.title == "Plain <tag>" and two.author == "Own"
    assert two.body_html.startswith("<p>line one<br>") and "&lt;script&gt;" in two.body_html
    assert two.body_html.endswith("<p>para two</p>")
    assert three.title == "X ht"
    assert three.body_html == "<p>Hello <b>xhtml</b></p>"


def test_atom03() -> None:
    doc = """<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old atom</title>
    <entry><title>e</title><id>tag:x,2004:1</id><link rel="alternate" href="https://o.example/1"/>
    <issued>2004-05-06T07:08:09Z</issued>
    <content type="text/html" mode="escaped">&lt;p&gt;hi&lt;/p&gt;</content></entry></feed>"""
    (article,) = parse(doc).articles
    assert article.published == datetime(2004, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert article.body_html == "<p>hi</p>" and article.link == "https://o.example/1"


# ------------------------------------------------------------------ encodings


def test_declared_latin1_is_decoded() -> None:
    doc = rss("<item><title>café €uro</title><guid>1</guid></item>").replace(
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>'
    )
    feed = parse(doc.encode("cp1252"))
    assert feed.articles[0].title == "café €uro"  # Latin-1 labels are read as windows-1252


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_encodings_with_and_without_bom(codec: str) -> None:
    doc = rss("<item><title>Ünïcödé 東京</title><guid>1</guid></item>").replace(
        '<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{codec.upper()}"?>'
    )
    feed = parse(doc.encode(codec))
    assert feed.articles[0].title == "Ünïcödé 東京"


def test_a_wrong_wide_encoding_label_is_ignored() -> None:
    doc = '<?xml version="1.0" encoding="UTF-16"?><rss><channel><item><title>fine é</title><guid>1</guid></item></channel></rss>'
    assert parse(doc).articles[0].title == "fine é"


def test_charset_from_content_type_when_nothing_else_says() -> None:
    doc = "<rss><channel><item><title>na\xefve</title><guid>1</guid></item></channel></rss>"
    feed = parse(doc.encode("latin-1"), content_type="application/rss+xml; charset=iso-8859-1")
    assert feed.articles[0].title == "naïve"


def test_unknown_or_dangerous_encodings_fall_back_to_utf8() -> None:
    for label in ("x-no-such-codec", "rot13", "zlib", "utf-7"):
        doc = (
            f'<?xml version="1.0" encoding="{label}"?>'
            + rss("<item><title>ok +ADw-</title><guid>1</guid></item>")[21:]
        )
        feed = parse(doc)
        assert feed.articles[0].title == "ok +ADw-"
        assert any("unknown encoding" in w for w in feed.warnings)


def test_invalid_utf8_is_replaced_with_a_warning() -> None:
    feed = parse(
        b"<rss><channel><item><title>bad \xff\xfe \xed\xa0\x80 ok</title><guid>1</guid></item></channel></rss>"
    )
    assert "\ufffd" in feed.articles[0].title
    assert any("not valid UTF-8" in w for w in feed.warnings)


def test_raw_control_bytes_become_visible_symbols() -> None:
    feed = parse(
        b"<rss><channel><item><title>a\x1b[2Jb\x00c\x07</title><guid>1</guid></item></channel></rss>"
    )
    assert feed.articles[0].title == "a\u241b[2Jb\u2400c\u2407"


# ------------------------------------------------------------------ security


def test_entities_are_refused_before_parsing() -> None:
    doc = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss><channel><title>&a;</title></channel></rss>'
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse(doc)


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-16-be"])
def test_entities_hidden_by_a_wide_encoding_are_still_refused(codec: str) -> None:
    doc = '<!DOCTYPE rss [<!ENTITY a SYSTEM "file:///etc/passwd">]><rss><channel><title>&a;</title></channel></rss>'
    with pytest.raises(FeedParseError, match="declares XML entities"):
        parse(doc.encode(codec))


def test_entity_text_in_cdata_without_doctype_is_fine() -> None:
    doc = rss(
        "<item><title>XXE explained</title><guid>1</guid><description><![CDATA[<!ENTITY x>]]></description></item>"
    )
    assert parse(doc).articles[0].body_html == "<!ENTITY x>"


def test_html_entities_without_declaration_are_read_as_html() -> None:
    doc = rss(
        "<item><title>A&nbsp;B &eacute; &bogus; &amp;amp; &#233;</title><guid>1</guid>"
        "<description>x&hellip; &lt;b&gt;y&lt;/b&gt; <![CDATA[&nbsp;&lt;]]> &lt;</description></item>"
    )
    feed = parse(doc)
    (article,) = feed.articles
    assert article.title == "A\xa0B é &bogus; &amp; é"
    assert article.body_html == "x… <b>y</b> &nbsp;&lt; <"  # CDATA is left as written
    assert feed.warnings == ()


def test_undeclared_entity_references_stay_inert() -> None:
    doc = '<!DOCTYPE rss SYSTEM "file:///etc/passwd"><rss><channel><item><title>a &passwd; b</title><guid>1</guid></item></channel></rss>'
    feed = parse(doc)
    assert "root:" not in feed.articles[0].title


class _OpenRecorder:
    """sys.addaudithook cannot be removed, so the hook is installed once and gated."""

    active = False
    events: list[tuple[str, tuple]] = []
    installed = False

    @classmethod
    def install(cls) -> None:
        if not cls.installed:
            sys.addaudithook(cls.hook)
            cls.installed = True

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        if cls.active and event in (
            "open",
            "socket.connect",
            "socket.getaddrinfo",
            "urllib.Request",
        ):
            cls.events.append((event, args))


@pytest.mark.parametrize("name", ["v05_external_entities.rss", "v05b_external_dtd.rss"])
def test_xxe_opens_no_file_and_no_socket(name: str) -> None:
    data = (HOSTILE / name).read_bytes()
    _OpenRecorder.install()
    _OpenRecorder.events.clear()
    _OpenRecorder.active = True
    try:
        try:
            result = parse(data)
        except FeedParseError:
            result = None
    finally:
        _OpenRecorder.active = False
    assert _OpenRecorder.events == []
    if result is not None:
        assert "root:" not in repr(result)


def test_the_external_resolver_is_never_consulted(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_reader.feeds import parse as parse_module

    calls: list[str] = []
    original = parse_module._NoExternalResolver.resolve

    def spy(self: object, url: str, public_id: str, context: object) -> object:
        calls.append(url)
        return original(self, url, public_id, context)  # type: ignore[arg-type]

    monkeypatch.setattr(parse_module._NoExternalResolver, "resolve", spy)
    parse_module._PARSERS.xml = parse_module._new_parser()
    doc = '<!DOCTYPE rss SYSTEM "file:///etc/shadow"><rss><channel><item><title>t</title><guid>1</guid></item></channel></rss>'
    parse(doc)
    assert calls == []


_STRACE_SCRIPT = """
import sys
from datetime import UTC, datetime
from tui_reader.feeds.parse import FeedParseError, parse_feed
for path in sys.argv[1:]:
    try:
        parse_feed(open(path, "rb").read(), url="https://x.example/", fetched_at=datetime.now(UTC))
    except FeedParseError:
        pass
"""


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_no_file_is_opened_by_libxml2(tmp_path: Path) -> None:
    """libxml2 opens files from C, which audit hooks cannot see: watch the syscalls."""
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY x "LEAKED"><!ATTLIST t a CDATA "LEAKED">')
    docs = []
    for i, doc in enumerate(
        [
            f'<!DOCTYPE rss SYSTEM "file://{dtd}"><rss><channel><item><title>&x;</title></item></channel></rss>',
            f'<!DOCTYPE rss SYSTEM "{dtd}"><rss><channel><item><title>t</title></item></channel></rss>',
            f'<!DOCTYPE rss PUBLIC "-//X//EN" "file://{dtd}"><rss/>',
            f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{dtd}">]><rss><channel><title>&x;</title></channel></rss>',
            f'<?xml-stylesheet href="file://{dtd}"?><rss xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://{dtd}"/></rss>',
        ]
    ):
        path = tmp_path / f"doc{i}.xml"
        path.write_text(doc)
        docs.append(str(path))
    docs += [str(HOSTILE / "v05_external_entities.rss"), str(HOSTILE / "v05b_external_dtd.rss")]
    trace = tmp_path / "trace.txt"
    run = subprocess.run(
        ["strace", "-f", "-e", "trace=open,openat,connect", "-o", str(trace),
         sys.executable, "-c", _STRACE_SCRIPT, *docs],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if run.returncode != 0 and "ptrace" in run.stderr.lower():
        pytest.skip("ptrace not permitted here")
    assert run.returncode == 0, run.stderr
    syscalls = trace.read_text()
    assert "evil.dtd" not in syscalls
    assert "/etc/passwd" not in syscalls and "/etc/shadow" not in syscalls
    assert "/etc/hostname" not in syscalls
    assert "connect(" not in syscalls


def test_str_input_is_a_type_error_not_a_fetch() -> None:
    with pytest.raises(TypeError):
        parse_feed("https://example.invalid/feed.xml", url=URL, fetched_at=FETCHED)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"hello world", "neither XML nor JSON"),
        (b"<!DOCTYPE html><html><head></head><body>x</body></html>", "web page"),
        (b"<opml version='2.0'><body/></opml>", "not a feed"),
        (b"<", "not"),
    ],
)
def test_non_feeds_give_plain_reasons(data: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse(data)


def test_too_large_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_reader.feeds import parse as parse_module

    monkeypatch.setattr(parse_module, "MAX_FEED_BYTES", 100)
    with pytest.raises(FeedParseError, match="larger than"):
        parse(rss("<item><title>" + "x" * 200 + "</title></item>"))


def test_deep_nesting_is_bounded() -> None:
    doc = rss(
        "<item><title>t</title><guid>1</guid><description>"
        + "<a>" * 100_000
        + "</description></item>"
    )
    started = time.monotonic()
    try:
        feed = parse(doc)
    except FeedParseError:
        pass
    else:
        assert_safe(feed)
    assert time.monotonic() - started < 30  # a hang guard (quadratic blow-ups), not a speed check


# ------------------------------------------------------------------ identity, caps


def test_keys_and_duplicates() -> None:
    feed = parse(
        rss(
            "<item><title>first</title><guid>dup</guid></item>"
            "<item><title>second</title><guid> dup </guid></item>"
            "<item><title>case</title><guid>DUP</guid></item>"
            "<item><title>empty guid</title><guid>  </guid><link>https://site.example/l</link></item>"
            "<item><title>no id</title><description>body</description></item>"
            f"<item><title>long</title><guid>{'g' * 20_000}</guid></item>"
        )
    )
    keys = [a.key for a in feed.articles]
    assert [a.title for a in feed.articles] == ["first", "case", "empty guid", "no id", "long"]
    assert keys[:3] == ["dup", "DUP", "https://site.example/l"]
    assert keys[3].startswith("sha1:") and keys[4].startswith("sha1:")
    assert any("1 duplicate item" in w for w in feed.warnings)
    # Same document, same keys.
    assert [a.key for a in parse(rss("")).articles] == []
    again = parse(
        rss(
            "<item><title>first</title><guid>dup</guid></item>"
            "<item><title>second</title><guid> dup </guid></item>"
            "<item><title>case</title><guid>DUP</guid></item>"
            "<item><title>empty guid</title><guid>  </guid><link>https://site.example/l</link></item>"
            "<item><title>no id</title><description>body</description></item>"
            f"<item><title>long</title><guid>{'g' * 20_000}</guid></item>"
        ),
        fetched_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    assert [a.key for a in again.articles] == keys


def test_placeholder_titles_and_empty_items() -> None:
    feed = parse(
        rss(
            "<item/><item><title> </title></item>"
            "<item><description>&lt;p&gt;Words from the &lt;b&gt;body&lt;/b&gt; here&lt;/p&gt;</description></item>"
            "<item><guid>only-guid</guid></item>"
        )
    )
    assert [a.title for a in feed.articles] == ["Words from the body here", "(untitled)"]
    assert any("2 empty items" in w for w in feed.warnings)


def test_max_items_keeps_the_first_and_warns() -> None:
    items = "".join(f"<item><title>t{i}</title><guid>{i}</guid></item>" for i in range(50))
    feed = parse(rss(items), max_items=10)
    assert [a.key for a in feed.articles] == [str(i) for i in range(10)]
    assert any("only the first 10" in w and "40 items" in w for w in feed.warnings)
    assert parse(rss(items), max_items=0).articles == ()


def test_unsafe_links_become_empty() -> None:
    links = ["javascript:alert(1)", " JAVASCRIPT:x", "data:text/html,x", "file:///etc/passwd",
             "-new-window", "//[::1", "http://[::1", "https://", "ftp://x.example/"]  # fmt: skip
    items = "".join(
        f"<item><title>t</title><guid>{i}</guid><link>{link}</link></item>"
        for i, link in enumerate(links)
    )
    feed = parse(rss(items, channel="<title>T</title><link>//[::1</link>"))
    assert [a.link for a in feed.articles] == [""] * len(links)


# ------------------------------------------------------------------ JSON Feed


def jfeed(items: list, **top: object) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items, **top}
    ).encode()


def test_json_feed_fields() -> None:
    feed = parse(
        jfeed(
            [
                {"id": "1", "url": "/p/1", "title": "One", "content_html": "<p>h</p>", "content_text": "t",
                 "date_published": "2024-01-01T10:00:00Z", "authors": [{"name": "Au"}]},
                {"id": 2, "external_url": "https://else.example/2", "content_text": "a < b\n\nnext",
                 "date_modified": "2024-01-02T10:00:00+01:00"},
                {"id": "3", "summary": "only a summary", "title": "Three"},
            ],
            home_page_url="https://j.example/",
            author={"name": "Feed-level 1.0 author"},
        )
    )  # fmt: skip
    assert feed.title == "J" and feed.site_url == "https://j.example/"
    one, two, three = feed.articles
    assert (one.key, one.link, one.title, one.author) == ("1", "https://j.example/p/1", "One", "Au")
    assert one.body_html == "<p>h</p>" and one.published == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert two.key == "2" and two.link == "https://else.example/2"
    assert two.body_html == "<p>a &lt; b</p>\n<p>next</p>" and two.title == "a < b next"
    assert two.author == "Feed-level 1.0 author"
    assert two.published == datetime(2024, 1, 2, 9, tzinfo=UTC)
    assert three.body_html == "<p>only a summary</p>"


@pytest.mark.parametrize(
    "data",
    [
        b"[]",
        b'"string"',
        b"{}",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}',
        b'{"items": 5}',
        b"[" * 5000 + b"]" * 5000,
        b'{"version": "x", "items": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
        b'{"title": "\\ud800", "items": []}',
        b'{"a": 1e999}',
        b"{",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [], }',
    ],
)
def test_json_garbage_is_refused_cleanly(data: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse(data)


def test_json_wrong_types_count_as_missing() -> None:
    feed = parse(
        jfeed(
            [
                {
                    "id": 10**40,
                    "title": ["x"],
                    "url": {"a": 1},
                    "content_html": 5,
                    "date_published": 1,
                },
                {"id": True, "title": "ok", "authors": "nope", "author": [1]},
                "not an object",
                None,
                {"id": 1.5, "title": None, "content_text": "body"},
                {"id": "x" * 600, "title": "long id", "date_published": "9" * 5000},
            ],
            home_page_url=["x"],
            title={"t": 1},
        )
    )
    assert_safe(feed)
    assert feed.title == "" and feed.site_url == ""
    assert [a.title for a in feed.articles] == ["ok", "body", "long id"]
    assert feed.articles[2].key.startswith("sha1:")
    assert any("3 empty items" in w for w in feed.warnings)


def test_json_invalid_utf8_is_replaced() -> None:
    data = b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": "1", "title": "bad \xff byte"}]}'
    feed = parse(data)
    assert feed.articles[0].title == "bad \ufffd byte"
    assert any("UTF-8" in w for w in feed.warnings)


def test_json_feed_sniffed_with_bom_and_whitespace() -> None:
    doc = jfeed([{"id": "1", "title": "t"}])
    assert parse(b"\xef\xbb\xbf \n" + doc).articles[0].key == "1"
    for codec in ("utf-16", "utf-32"):
        assert parse(doc.decode().encode(codec)).articles[0].key == "1"


# ------------------------------------------------------------------ hostile fixtures


def _hostile_files() -> list[str]:
    return sorted(p.name for p in HOSTILE.iterdir() if p.name.startswith("v") and p.suffix != ".py")


@pytest.mark.parametrize("name", _hostile_files())
def test_every_hostile_file_is_refused_or_safe(name: str) -> None:
    data = (HOSTILE / name).read_bytes()
    started = time.monotonic()
    try:
        feed = parse(data)
    except FeedParseError as exc:
        assert str(exc)
    else:
        assert_safe(feed)
        text = repr(feed)
        assert "root:x:0:0" not in text
        assert "\x1b" not in text and "\x07" not in text
    assert time.monotonic() - started < 30  # a hang guard (quadratic blow-ups), not a speed check


def test_hostile_expectations() -> None:
    def load(name: str) -> ParsedFeed:
        return parse((HOSTILE / name).read_bytes())

    for name in ("v04_billion_laughs.rss", "v05_external_entities.rss"):
        with pytest.raises(FeedParseError, match="entities"):
            load(name)
    assert [a.title for a in load("v05b_external_dtd.rss").articles] == ["HV05b item"]

    v01 = load("v01_markup_in_titles.rss")
    assert v01.articles[0].title.startswith("[bold red]URGENT[/bold red]: markup")

    v03 = load("v03_terminal_escapes.rss")
    assert v03.articles[0].title == "HV03 clear\u241b[2J\u241b[Hscreen"

    v06 = load("v06_invalid_utf8.rss")
    assert len(v06.articles) == 7 and v06.warnings
    assert "\ufffd" in v06.title and "\u2400" in v06.articles[4].title  # NUL shown as ␀

    v08 = load("v08_missing_fields.rss")
    assert [a.key for a in v08.articles] == [a.key for a in load("v08_missing_fields.rss").articles]
    assert sum(a.title == "(untitled)" for a in v08.articles) >= 4
    assert len(load("v08b_empty_documents.atom").articles) == 1

    v09 = load("v09_absurd_dates.rss")
    assert all(a.published == FETCHED for a in v09.articles) and len(v09.articles) == 15

    v10 = load("v10_duplicate_guids.rss")
    assert v10.articles[0].title == "HV10 A first" and len(v10.articles) == 7

    v11 = load("v11_dangerous_links.rss")
    allowed = [a.link for a in v11.articles if a.link]
    assert all(link.startswith("https://hv11.example.invalid/") for link in allowed)
    assert not any(c in link for link in allowed for c in " `$;|'\"")

    v12 = load("v12_long_fields.rss")
    assert len(v12.title) <= 1000 and len(v12.articles[0].title) <= 1000

    v13 = load("v13_bidi_zero_width.rss")
    assert not any("\u202e" in a.title for a in v13.articles)

    v16 = load("v16_jsonfeed_hostile_strings.json")
    assert v16.site_url == "" and [a.link for a in v16.articles] == [
        "",
        "",
        "https://hv16.example.invalid/3",
    ]
    assert v16.articles[0].body_html.startswith("<p>text with \u241b]52;")


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_huge_feed(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"hv07.{fmt}"
    script = HUGEFEED
    subprocess.run(
        [sys.executable, str(script), "--items", "5000", "--format", fmt, "--out", str(out)],
        check=True,
    )
    data = out.read_bytes()
    started = time.monotonic()
    feed = parse(data)
    assert time.monotonic() - started < 30  # a hang guard (quadratic blow-ups), not a speed check
    assert len(feed.articles) == 5000 and feed.warnings == ()
    assert feed.articles[0].key.endswith("hv07-0") and feed.articles[0].link.endswith("/items/0")
    assert feed.articles[0].published == datetime(2024, 6, 1, 12, tzinfo=UTC)
    capped = parse(data, max_items=1000)
    assert len(capped.articles) == 1000 and "only the first 1000" in capped.warnings[0]


# ------------------------------------------------------------------ the bench corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run(
        [sys.executable, str(FEEDCORPUS), "gen", "--out", str(out), "-n", "24", "-m", "20",
         "--seed", "1", "-q"],
        check=True,
    )  # fmt: skip
    return out


def test_corpus_parses_completely(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    total_bytes = 0
    for record in manifest["feeds"]:
        data = (corpus / record["file"]).read_bytes()
        total_bytes += len(data)
        assert looks_like_feed(data)
        feed = parse(data, url="http://127.0.0.1:8765/" + record["file"])
        assert feed.title == record["title"] and feed.site_url == record["site"]
        assert feed.warnings == ()
        assert len(feed.articles) == record["items"]
        for article in feed.articles:
            assert article.title and article.title != "(untitled)"
            assert article.link.startswith(record["site"])
            assert (
                datetime(2023, 1, 1, tzinfo=UTC)
                < article.published
                < datetime(2024, 6, 2, tzinfo=UTC)
            )
            assert article.body_html.count("<p>") >= 1 and article.author
        assert_safe(feed)
    # Speed is measured by benchmarks/parse_speed.py, not here.
    assert total_bytes > 0


def test_corpus_refetch_is_stable(corpus: Path) -> None:
    data = (corpus / "feeds" / "f0001.xml").read_bytes()
    first = parse(data)
    second = parse(data, fetched_at=datetime(2025, 2, 1, tzinfo=UTC))
    assert [a.key for a in first.articles] == [a.key for a in second.articles]
    assert first.articles == second.articles  # every item has a real date


# ------------------------------------------------------------------ sniffing and discovery


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0"?>\n<rss version="2.0">', True),
        (
            b"\xef\xbb\xbf<?xml version='1.0'?><!-- c --><feed xmlns='http://www.w3.org/2005/Atom'>",
            True,
        ),
        (b'<rdf:RDF xmlns:rdf="x">', True),
        ('<?xml version="1.0"?><rss>'.encode("utf-16"), True),
        (
            b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "x.dtd"><rss version="0.91">',
            True,
        ),
        (b' {"version": "https://jsonfeed.org/version/1.1", "items": []}', True),
        (b"<!DOCTYPE html><html>", False),
        (b"<opml>", False),
        (b"<feedback>", False),
        (b'{"a": 1}', False),
        (b"", False),
        (b"\xff\xfe\x00", False),
    ],
)
def test_looks_like_feed(data: bytes, expected: bool) -> None:
    assert looks_like_feed(data) is expected


def test_discover_feed_links() -> None:
    page = b"""<!doctype html><html><head><meta charset="utf-8">
    <base href="https://site.example/blog/">
    <link rel="stylesheet" href="/s.css">
    <link rel="alternate" type="application/rss+xml" href="feed.xml">
    <LINK REL="Alternate home" TYPE="application/atom+xml; charset=utf-8" HREF="/atom.xml">
    <link rel="alternate" type="application/feed+json" href="https://site.example/feed.json"/>
    <link rel="alternate" type="application/json" href="javascript:alert(1)">
    <link rel="alternate" type="text/html" href="/other">
    <link rel="alternate" type="application/rss+xml" href="feed.xml">
    <link rel="alternate" type="application/rss+xml" href="file:///etc/passwd">
    <link rel="alternate" type="application/rss+xml" href="//[::1">
    </head><body><link rel="alternate" type="application/json" href="/late.json"></body></html>"""
    assert discover_feed_links(page, "https://site.example/") == [
        "https://site.example/blog/feed.xml",
        "https://site.example/atom.xml",
        "https://site.example/feed.json",
        "https://site.example/late.json",
    ]
    assert discover_feed_links(b"", "https://x.example/") == []
    assert discover_feed_links(b"\xff\xfe<<<>>>", "not a url") == []


# ------------------------------------------------------------------ fuzzing

_SEEDS = [
    rss(
        "<item><title>a &amp; b</title><link>/x</link><guid>g</guid><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>"
        "<description><![CDATA[<p>hi</p>]]></description></item><item><title>c</title></item>"
    ).encode(),
    atom(
        '<entry><id>i</id><title type="html">&lt;b&gt;t&lt;/b&gt;</title><link href="e"/>'
        '<updated>2024-01-01T00:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></content></entry>'
    ).encode(),
    jfeed(
        [
            {
                "id": "1",
                "title": "t",
                "url": "/u",
                "content_text": "x",
                "date_published": "2024-01-01T00:00:00Z",
            }
        ]
    ),
]


def _run(data: bytes) -> None:
    try:
        feed = parse(data)
    except FeedParseError as exc:
        assert str(exc)
    else:
        assert_safe(feed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_raise_only_feed_parse_error(data: bytes) -> None:
    _run(data)
    looks_like_feed(data)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_SEEDS),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.binary(max_size=8), st.integers(0, 8)), max_size=6
    ),
)
def test_mutated_feeds_raise_only_feed_parse_error(
    seed: bytes, edits: list[tuple[int, bytes, int]]
) -> None:
    data = bytearray(seed)
    for position, insert, delete in edits:
        at = position % (len(data) + 1)
        data[at : at + delete] = insert
    _run(bytes(data))


_INTERESTING = st.sampled_from(
    ["<", ">", "&", "&amp;", "&#0;", "&#x1b;", "]]>", "<![CDATA[", "\x00", "\x1b", "\ud800", "\u202e",
     "\ufeff", "\x85", "javascript:", "//[::1", '"', "</title>", "<item>", "9" * 50, "<!DOCTYPE x>"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(_INTERESTING, st.text(max_size=10)), max_size=12), st.sampled_from(_SEEDS)
)
def test_splicing_hostile_text_into_feeds(pieces: list[str], seed: bytes) -> None:
    insert = "".join(pieces).encode("utf-8", "surrogatepass")
    middle = len(seed) // 2
    _run(seed[:middle] + insert + seed[middle:])


# ------------------------------------------------------------------ shortcuts match text.py


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_clean_body_is_exactly_clean_text(value: str) -> None:
    assert common.clean_body(value, 100) == clean_text(value, 100)
    assert common.clean_body(value) == clean_text(value, common.MAX_BODY)


_URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["http://", "https://", "//", "/", "HTTPS://", "-", "javascript:", ""]),
        st.text(max_size=40),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_URLISH, st.sampled_from([None, "https://b.example/dir/", "http://[::1]/"]))
def test_link_or_empty_is_exactly_safe_link(raw: str, base: str | None) -> None:
    try:
        expected = safe_link(raw, base)
    except ValueError:
        expected = ""  # text.safe_link can raise here; we must not
    assert common.link_or_empty(raw, base) == expected


def iter_strings(feed: ParsedFeed) -> Iterator[str]:
    yield feed.title
    for article in feed.articles:
        yield from (article.title, article.author, article.body_html)
