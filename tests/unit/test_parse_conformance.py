# The minimal inputs are quoted whole, one document per line, so that each reads as the
# issue states it: long lines are allowed here.
# ruff: noqa: E501
"""Issue 16: the feeds real readers get right, each with its minimal input.

Items 1-12 of the issue and the enclosures. How we compare with feedparser's own corpus
is measured by `benchmarks/conformance.py` and recorded in docs/parsing.md.
"""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime

import pytest

from tui_reader.feeds.dates import parse_date
from tui_reader.feeds.parse import parse_feed
from tui_reader.models import Enclosure, NewArticle, ParsedFeed

FETCHED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
URL = "https://feed.example.org/feed.xml"


def parse(doc: str | bytes, url: str = URL) -> ParsedFeed:
    data = doc.encode() if isinstance(doc, str) else doc
    return parse_feed(data, url=url, fetched_at=FETCHED)


def only(doc: str | bytes, url: str = URL) -> NewArticle:
    parsed = parse(doc, url)
    assert len(parsed.articles) == 1, parsed
    return parsed.articles[0]


def atom(entry: str, feed_extra: str = "", feed_attrs: str = "") -> str:
    return (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{feed_attrs}><title>F</title>'
        f"{feed_extra}<entry><id>urn:1</id>{entry}</entry></feed>"
    )


def rss(item: str, rss_attrs: str = "") -> str:
    return (
        f'<rss version="2.0"{rss_attrs}><channel><title>T</title>'
        f"<item>{item}</item></channel></rss>"
    )


# 1 ------------------------------------------------------------------ whitespace before <?xml


def test_1_whitespace_before_the_xml_declaration_is_not_an_error() -> None:
    doc = b'\n<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A</title></item></channel></rss>'
    parsed = parse(doc)
    assert parsed.incomplete is None
    assert parsed.warnings == ()
    assert [a.title for a in parsed.articles] == ["A"]


def test_1_whitespace_before_a_declared_encoding_still_uses_it() -> None:
    doc = ' \r\n<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><item><title>caf\xe9</title></item></channel></rss>'
    parsed = parse(doc.encode("latin-1"))
    assert parsed.incomplete is None
    assert parsed.articles[0].title == "café"


# 2 ------------------------------------------------------------------ RSS in a default namespace


def test_2_rss_in_a_default_namespace_has_its_items() -> None:
    doc = rss(
        "<title>A</title><link>https://example.org/a</link><description>Body</description>"
        "<guid>g1</guid><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>",
        ' xmlns="http://backend.userland.com/rss2"',
    )
    parsed = parse(doc)
    assert parsed.title == "T"
    (article,) = parsed.articles
    assert (article.key, article.title, article.link) == ("g1", "A", "https://example.org/a")
    assert "Body" in article.body_html
    assert article.published == datetime(2024, 1, 1, 10, tzinfo=UTC)


# 3 ------------------------------------------------------------------ Atom text constructs

XHTML_DIV = '<div xmlns="http://www.w3.org/1999/xhtml">{}</div>'


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("<title>Tom &amp; Jerry &lt;3</title>", "Tom & Jerry <3"),
        ('<title type="text">&lt;b&gt;not bold&lt;/b&gt;</title>', "<b>not bold</b>"),
        ('<title type="html">Tom &amp;amp; Jerry &amp;lt;3</title>', "Tom & Jerry <3"),
        ('<title type="html">&lt;b&gt;bold&lt;/b&gt; text</title>', "bold text"),
        (
            '<title type="xhtml">' + XHTML_DIV.format("Tom &amp; Jerry &lt;3") + "</title>",
            "Tom & Jerry <3",
        ),
        (
            '<title type="xhtml">' + XHTML_DIV.format("a <b>bold</b> &lt;i&gt; move") + "</title>",
            "a bold <i> move",
        ),
    ],
)
def test_3_titles_read_as_a_person_should(title: str, expected: str) -> None:
    assert only(atom(title)).title == expected


def test_3_escaped_text_in_xhtml_content_stays_text() -> None:
    content = (
        '<content type="xhtml">'
        + XHTML_DIV.format("Use &lt;script&gt; tags <b>carefully</b>")
        + "</content>"
    )
    body = only(atom("<title>t</title>" + content)).body_html
    assert "&lt;script&gt;" in body
    assert "<script" not in body
    assert "<b>carefully</b>" in body


def test_3_text_content_is_escaped_and_html_content_is_markup() -> None:
    text = only(atom('<title>t</title><content type="text">1 &lt; 2 &amp; &lt;x&gt;</content>'))
    assert text.body_html == "<p>1 &lt; 2 &amp; &lt;x&gt;</p>"
    markup = only(atom('<title>t</title><content type="html">&lt;p&gt;hi&lt;/p&gt;</content>'))
    assert markup.body_html == "<p>hi</p>"


# 4 ------------------------------------------------------------------ xml:base


def test_4_xml_base_on_content_resolves_its_links() -> None:
    entry = (
        '<title>t</title><link href="https://other.example.net/post"/>'
        '<content type="html" xml:base="https://blog.example.org/2024/">'
        '&lt;a href="notes.html"&gt;n&lt;/a&gt; &lt;img src="/img/p.png"&gt;'
        '&lt;a href="https://x.example/abs"&gt;x&lt;/a&gt; &lt;a href="#top"&gt;t&lt;/a&gt;'
        "</content>"
    )
    article = only(atom(entry))
    assert article.link == "https://other.example.net/post"
    assert 'href="https://blog.example.org/2024/notes.html"' in article.body_html
    assert 'src="https://blog.example.org/img/p.png"' in article.body_html
    assert 'href="https://x.example/abs"' in article.body_html
    assert 'href="#top"' in article.body_html


def test_4_xml_base_is_inherited_from_the_entry_and_the_feed() -> None:
    summary = '<summary type="html">&lt;a href="a.html"&gt;a&lt;/a&gt;</summary>'
    from_entry = atom(f"<title>t</title>{summary}").replace(
        "<entry>", '<entry xml:base="https://entry.example.org/dir/">'
    )
    assert 'href="https://entry.example.org/dir/a.html"' in only(from_entry).body_html
    from_feed = atom(f"<title>t</title>{summary}", feed_attrs=' xml:base="https://f.example/x/"')
    assert 'href="https://f.example/x/a.html"' in only(from_feed).body_html


def test_4_without_xml_base_the_body_is_left_as_written() -> None:
    body = only(
        atom('<title>t</title><content type="html">&lt;a href="a.html"&gt;a&lt;/a&gt;</content>')
    ).body_html
    assert body == '<a href="a.html">a</a>'


# 5 ------------------------------------------------------------------ Atom <source> authors


def test_5_source_authors_come_before_the_feeds() -> None:
    entry = (
        "<title>t</title><source><id>urn:s</id><author><name>Original Writer</name></author>"
        "</source>"
    )
    doc = atom(entry, feed_extra="<author><name>Aggregator</name></author>")
    assert only(doc).author == "Original Writer"


def test_5_the_entrys_own_author_comes_first_and_the_feeds_last() -> None:
    entry = "<title>t</title><author><name>Me</name></author><source><author><name>S</name></author></source>"
    assert only(atom(entry, "<author><name>F</name></author>")).author == "Me"
    assert only(atom("<title>t</title>", "<author><name>F</name></author>")).author == "F"


# 6 ------------------------------------------------------------------ first usable alternate link


def test_6_a_refused_alternate_link_gives_way_to_the_next() -> None:
    entry = (
        '<title>t</title><link rel="alternate" href="gemini://capsule.example/post"/>'
        '<link rel="alternate" href="https://example.org/post"/>'
    )
    assert only(atom(entry)).link == "https://example.org/post"


def test_6_in_rss_the_first_usable_atom_link_counts_too() -> None:
    item = (
        '<title>t</title><atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="javascript:x()"/>'
        '<atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="https://example.org/p"/>'
    )
    assert only(rss(item)).link == "https://example.org/p"


# 7 ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2008", datetime(2008, 1, 1, tzinfo=UTC)),
        ("2008-12", datetime(2008, 12, 1, tzinfo=UTC)),
        ("2020/1/10 14:33:00", datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 JST", datetime(2020, 1, 10, 5, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 CET", datetime(2020, 1, 10, 13, 33, tzinfo=UTC)),
        ("Fri, 10 Jul 2020 14:33:00 CEST", datetime(2020, 7, 10, 12, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 AEST", datetime(2020, 1, 10, 4, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 IST", datetime(2020, 1, 10, 9, 3, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 EST", datetime(2020, 1, 10, 19, 33, tzinfo=UTC)),
        ("Fri, 10 Jul 2020 14:33:00 EDT", datetime(2020, 7, 10, 18, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020 14:33:00 PST", datetime(2020, 1, 10, 22, 33, tzinfo=UTC)),
        ("Fri, 10 Jul 2020 14:33:00 PDT", datetime(2020, 7, 10, 21, 33, tzinfo=UTC)),
        ("2020-01-10 14:33:00 JST", datetime(2020, 1, 10, 5, 33, tzinfo=UTC)),
        ("Fri, 10 Jan 2020", datetime(2020, 1, 10, tzinfo=UTC)),
    ],
)
def test_7_dates_feeds_really_write(raw: str, expected: datetime) -> None:
    assert parse_date(raw, FETCHED) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "garbage",
        "2008-",
        "2020/1-10",
        "Fri, 10 Jan 2020 14:33:00 XYZ",
        "20080",
        "next Tuesday",
        "2020-01-10 14:33:00 FOO",
    ],
)
def test_7_no_date_is_invented_from_garbage(raw: str) -> None:
    assert parse_date(raw, FETCHED) == FETCHED


def test_7_a_partial_dc_date_dates_the_item() -> None:
    item = '<title>t</title><dc:date xmlns:dc="http://purl.org/dc/elements/1.1/">2008-12</dc:date>'
    assert only(rss(item)).published == datetime(2008, 12, 1, tzinfo=UTC)


# 8 ------------------------------------------------------------------ script and style


def test_8_script_and_style_never_reach_a_title() -> None:
    title = '<title type="html">safe&lt;script&gt;location.href="https://evil.example/"&lt;/script&gt; description&lt;style&gt;b{color:red}&lt;/style&gt;</title>'
    assert only(atom(title)).title == "safe description"


def test_8_an_unclosed_script_is_dropped_to_the_end() -> None:
    title = '<title type="html">ok&lt;SCRIPT type="x"&gt;alert(1)</title>'
    assert only(atom(title)).title == "ok"


def test_8_the_stand_in_title_skips_scripts_in_the_body() -> None:
    body = "<description>&lt;script&gt;var x = 1;&lt;/script&gt;&lt;p&gt;Real words&lt;/p&gt;</description>"
    assert only(rss(body)).title == "Real words"


# 9 ------------------------------------------------------------------ Atom 0.3 base64


def test_9_atom_03_base64_content_and_title_are_decoded() -> None:
    title = base64.b64encode("Décodé".encode()).decode()
    body = base64.b64encode(b"<p>Hello <b>there</b></p>").decode()
    doc = (
        '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>F</title><entry>'
        f'<id>1</id><title type="text/plain" mode="base64">{title}</title>'
        f'<content type="text/html" mode="base64">\n{body[:10]}\n{body[10:]}\n</content>'
        "</entry></feed>"
    )
    article = only(doc)
    assert article.title == "Décodé"
    assert article.body_html == "<p>Hello <b>there</b></p>"


def test_9_bad_base64_is_empty_not_an_error() -> None:
    doc = (
        '<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><id>1</id><title>t</title>'
        '<content type="text/html" mode="base64">!!!not base64</content></entry></feed>'
    )
    assert only(doc).title == "t"


# 10 ----------------------------------------------------------------- several authors


def test_10_all_atom_authors_are_kept() -> None:
    entry = "".join(f"<author><name>{name}</name></author>" for name in ("Ann", "Bob", "Cy"))
    article = only(atom("<title>t</title>" + entry))
    assert article.authors == ("Ann", "Bob", "Cy")
    assert article.author == "Ann, Bob and Cy"


def test_10_repeated_dc_creators_and_two_names() -> None:
    dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    item = f"<title>t</title><dc:creator {dc}>Ann</dc:creator><dc:creator {dc}>Bob</dc:creator>"
    article = only(rss(item))
    assert article.authors == ("Ann", "Bob")
    assert article.author == "Ann and Bob"


def test_10_json_feed_authors_and_a_single_author() -> None:
    doc = (
        b'{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"t",'
        b'"authors":[{"name":"Ann"},{"url":"x"},{"name":"Bob"}]}]}'
    )
    assert only(doc).authors == ("Ann", "Bob")
    single = only(rss("<title>t</title><author>ann@example.org (Ann)</author>"))
    assert (single.author, single.authors) == ("Ann", ("Ann",))
    nobody = only(rss("<title>t</title>"))
    assert (nobody.author, nobody.authors) == ("", ())


# 11 ----------------------------------------------------------------- Media RSS / YouTube

YOUTUBE = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <title>Channel</title>
 <entry>
  <id>yt:video:abc</id>
  <yt:videoId>abc</yt:videoId>
  <title>Video title</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
  <author><name>Channel</name></author>
  <published>2024-05-01T10:00:00+00:00</published>
  <media:group>
   <media:title>Video title</media:title>
   <media:content url="https://www.youtube.com/v/abc?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i1.ytimg.com/vi/abc/hqdefault.jpg" width="480" height="360"/>
   <media:description>First line &amp; more
Second line</media:description>
  </media:group>
 </entry>
</feed>"""


def test_11_youtube_entries_get_their_description_and_thumbnail() -> None:
    article = only(YOUTUBE)
    assert article.title == "Video title"
    assert article.body_html == "<p>First line &amp; more<br>\nSecond line</p>"
    assert article.image == "https://i1.ytimg.com/vi/abc/hqdefault.jpg"
    assert article.enclosures == (
        Enclosure(
            url="https://www.youtube.com/v/abc?version=3", mime_type="application/x-shockwave-flash"
        ),
    )


def test_11_media_title_only_fills_a_missing_title() -> None:
    media = 'xmlns:media="http://search.yahoo.com/mrss/"'
    bare = only(rss(f"<guid>1</guid><media:title {media}>From media</media:title>"))
    assert bare.title == "From media"
    titled = only(rss(f"<title>Own</title><media:title {media}>From media</media:title>"))
    assert titled.title == "Own"
    html = only(
        rss(
            f'<guid>1</guid><media:description {media} type="html">&lt;b&gt;x&lt;/b&gt;</media:description>'
        )
    )
    assert html.body_html == "<b>x</b>"


# 12 ----------------------------------------------------------------- RSS 1.0 identity


def test_12_rdf_about_comes_before_dc_identifier() -> None:
    doc = """<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
     <channel rdf:about="https://www.biorxiv.org/"><title>bioRxiv</title></channel>
     <item rdf:about="https://www.biorxiv.org/content/10.1101/2024.01.01.1?rss=1">
      <title>Paper</title><link>https://www.biorxiv.org/content/10.1101/2024.01.01.1?rss=1</link>
      <dc:identifier>doi:10.1101/2024.01.01.1</dc:identifier>
     </item>
     <item><title>No about</title><dc:identifier>doi:10.1101/2</dc:identifier></item>
    </rdf:RDF>"""
    first, second = parse(doc).articles
    assert first.key == "https://www.biorxiv.org/content/10.1101/2024.01.01.1?rss=1"
    assert second.key == "doi:10.1101/2"


# ------------------------------------------------------------------- enclosures

ITUNES = 'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'


def test_rss_enclosure_with_itunes_duration() -> None:
    item = (
        '<title>Ep 1</title><enclosure url="/media/ep1.mp3" length="12345678" type="audio/mpeg"/>'
        "<itunes:duration>1:02:03</itunes:duration>"
    )
    article = only(
        rss(item, f" {ITUNES}").replace("<channel>", "<channel><link>https://pod.example/</link>")
    )
    assert article.enclosures == (
        Enclosure("https://pod.example/media/ep1.mp3", "audio/mpeg", 12345678, 3723),
    )


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("3723", 3723), ("62:03", 3723), ("1:02:03", 3723), ("", None), ("soon", None), ("0", None)],
)
def test_itunes_duration_forms(raw: str, seconds: int | None) -> None:
    item = f'<title>t</title><enclosure url="https://p.example/a.mp3"/><itunes:duration>{raw}</itunes:duration>'
    (enclosure,) = only(rss(item, f" {ITUNES}")).enclosures
    assert enclosure.duration == seconds


def test_atom_enclosure_links_and_media_content() -> None:
    entry = (
        '<title>t</title><link rel="enclosure" href="https://a.example/f.ogg" type="audio/ogg" length="99"/>'
        '<link rel="enclosure" href="file:///etc/passwd"/>'
        '<media:content xmlns:media="http://search.yahoo.com/mrss/" url="https://a.example/v.mp4" '
        'type="video/mp4" fileSize="1000" duration="61.5"/>'
    )
    assert only(atom(entry)).enclosures == (
        Enclosure("https://a.example/f.ogg", "audio/ogg", 99, None),
        Enclosure("https://a.example/v.mp4", "video/mp4", 1000, 61),
    )


def test_unusable_enclosure_fields_are_unknown_not_errors() -> None:
    item = (
        '<title>t</title><enclosure url="https://a.example/x" length="-5" type="AUDIO/MPEG"/>'
        '<enclosure url="https://a.example/x" length="7"/>'  # the same file twice: once
        '<enclosure url="javascript:alert(1)"/><enclosure length="3"/>'
    )
    assert only(rss(item)).enclosures == (
        Enclosure("https://a.example/x", "audio/mpeg", None, None),
    )


def test_json_feed_attachments() -> None:
    doc = (
        b'{"version":"https://jsonfeed.org/version/1.1","home_page_url":"https://j.example/",'
        b'"items":[{"id":"1","title":"t","attachments":['
        b'{"url":"ep.m4a","mime_type":"audio/x-m4a","size_in_bytes":89970236,"duration_in_seconds":6629},'
        b'{"url":"https://j.example/b","size_in_bytes":"big"},{"mime_type":"x/y"},7]}]}'
    )
    assert only(doc).enclosures == (
        Enclosure("https://j.example/ep.m4a", "audio/x-m4a", 89970236, 6629),
        Enclosure("https://j.example/b", "", None, None),
    )


def test_parsed_articles_stay_picklable_for_the_parser_processes() -> None:
    parsed = parse(YOUTUBE)
    assert pickle.loads(pickle.dumps(parsed)) == parsed


# ------------------------------------------------------------------- CDF


def test_microsoft_cdf_channels_are_read() -> None:
    doc = """<CHANNEL BASE="http://base.example.org/" HREF="http://www.example.org/">
      <TITLE>channel title</TITLE>
      <ITEM HREF="/item/1" LASTMOD="2004-04-06T23:05:43-05:00">
        <TITLE>item title</TITLE><ABSTRACT>item &amp; abstract</ABSTRACT>
      </ITEM>
    </CHANNEL>"""
    parsed = parse(doc)
    assert (parsed.title, parsed.site_url) == ("channel title", "http://www.example.org/")
    (article,) = parsed.articles
    assert article.title == "item title"
    assert article.link == "http://base.example.org/item/1"
    assert article.body_html == "<p>item &amp; abstract</p>"
    assert article.published == datetime(2004, 4, 7, 4, 5, 43, tzinfo=UTC)


def test_html_titles_keep_a_less_than_sign_that_starts_no_tag() -> None:
    assert (
        only(
            atom('<title type="html">I &amp;lt;3 you, a &lt; b &lt;i&gt;ok&lt;/i&gt;</title>')
        ).title
        == "I <3 you, a < b ok"
    )


def test_a_flood_of_enclosures_is_capped() -> None:
    item = "<title>t</title>" + "".join(
        f'<enclosure url="https://a.example/{n}.mp3"/>' for n in range(5000)
    )
    assert len(only(rss(item)).enclosures) == 20


def test_an_atom_entry_without_a_link_is_found_by_an_http_id() -> None:
    doc = '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>https://example.org/p/1</id><title>t</title></entry><entry><id>tag:example.org,2024:2</id><title>u</title></entry></feed>'
    first, second = parse(doc).articles
    assert (first.key, first.link) == ("https://example.org/p/1", "https://example.org/p/1")
    assert (second.key, second.link) == ("tag:example.org,2024:2", "")


def test_dcterms_dates_date_an_rss_item() -> None:
    item = '<title>t</title><dcterms:modified xmlns:dcterms="http://purl.org/dc/terms/">2002-09-28T20:01:19Z</dcterms:modified>'
    assert only(rss(item)).published == datetime(2002, 9, 28, 20, 1, 19, tzinfo=UTC)
