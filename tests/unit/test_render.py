"""Tests for `tui_reader.render`: feed HTML to inert, numbered Markdown.

Every check of "is this Markdown safe" parses the output with markdown-it exactly as
Textual's Markdown widget does (`MarkdownIt("gfm-like")`: HTML and linkify on), using a
checker written here rather than the module's own `unsafe_tokens`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tui_reader import render
from tui_reader.render import (
    MAX_INPUT_CHARS,
    MAX_OUTPUT_CHARS,
    TRUNCATED_NOTE,
    Image,
    Link,
    RenderedBody,
    html_to_markdown,
    plain_summary,
    reading_minutes,
    word_count,
)
from tui_reader.render.tables import TABLE_MAX_WIDTH

BASE = "https://blog.example.invalid/posts/1"
MD = MarkdownIt("gfm-like")


def tokens(markdown: str) -> list[Token]:
    out: list[Token] = []
    for token in MD.parse(markdown):
        out.append(token)
        out.extend(token.children or [])
    return out


def hrefs(markdown: str) -> list[str]:
    return [str(t.attrGet("href")) for t in tokens(markdown) if t.type == "link_open"]


def displayed(markdown: str) -> str:
    """The text a reader sees, roughly: text, code and soft breaks as spaces."""
    parts: list[str] = []
    for token in tokens(markdown):
        if token.type in ("text", "code_inline", "code_block", "fence"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak", "paragraph_close", "heading_close"):
            parts.append(" ")
    return "".join(parts)


def assert_inert(markdown: str, allowed: set[str] | None = None) -> None:
    """No raw HTML, no images, no autolinked text, only http(s) links (from `allowed`)."""
    for token in tokens(markdown):
        assert token.type not in ("html_block", "html_inline", "image"), (token, markdown)
        if token.type == "link_open":
            href = str(token.attrGet("href"))
            assert href.startswith(("http://", "https://")), (href, markdown)
            assert token.markup != "linkify", (href, markdown)
            if allowed is not None:
                assert href in allowed, (href, markdown)


@contextmanager
def no_fallback() -> Iterator[None]:
    """Fail if the defence-in-depth fallback fires: the main path must be safe on its own."""
    original = render.unsafe_tokens

    def checked(markdown: str) -> list[str]:
        problems = original(markdown)
        assert problems == [], (problems, markdown)
        return problems

    with mock.patch.object(render, "unsafe_tokens", checked):
        yield


def md(html: str, base_url: str = BASE) -> RenderedBody:
    with no_fallback():
        return html_to_markdown(html, base_url)


# --------------------------------------------------------------------------- structure


def test_headings_paragraphs_emphasis() -> None:
    body = md("<h1>Title</h1><p>Some <b>bold</b> and <em>italic</em> text.</p><h3>Sub</h3>")
    assert body.markdown == "# Title\n\nSome **bold** and *italic* text.\n\n### Sub"
    kinds = [t.type for t in tokens(body.markdown)]
    assert kinds.count("heading_open") == 2
    assert "strong_open" in kinds and "em_open" in kinds


def test_nested_lists_and_ordered_start() -> None:
    body = md(
        "<ul><li>one<ul><li>inner</li></ul></li><li>two</li></ul>"
        "<ol start='3'><li>c</li><li>d</li></ol>"
    )
    assert body.markdown == "- one\n  - inner\n- two\n\n3. c\n4. d"
    kinds = [t.type for t in tokens(body.markdown)]
    assert kinds.count("bullet_list_open") == 2
    assert kinds.count("ordered_list_open") == 1


def test_blockquotes_code_rule_and_breaks() -> None:
    body = md(
        "<blockquote><p>q1</p><blockquote>q2</blockquote></blockquote><hr>"
        "<pre><code>x = 1\n```\ny</code></pre><p>a<br>b<br><br>c<br></p><p>use <code>ls</code></p>"
    )
    assert "> q1\n>\n> > q2" in body.markdown
    assert "\n---\n" in body.markdown
    # The fence is longer than the backtick run inside, so the code cannot close it early.
    assert "````\nx = 1\n```\ny\n````" in body.markdown
    # <br><br> is an empty line inside the paragraph; a <br> ending it is dropped.
    assert "a\\\nb\\\n\\\nc\n\nuse `ls`" in body.markdown
    kinds = [t.type for t in tokens(body.markdown)]
    assert kinds.count("blockquote_open") == 2
    assert kinds.count("fence") == 1 and "hr" in kinds
    assert kinds.count("hardbreak") == 3
    # No stray backslash where a <br> ends a paragraph.
    assert "\\" not in displayed(body.markdown).replace("\\\n", "")


def test_simple_table() -> None:
    body = md(
        "<table><tr><th>Name</th><th>Value</th></tr>"
        "<tr><td>a|b</td><td><code>x|y</code></td></tr></table>"
    )
    assert body.markdown == "| Name | Value |\n| --- | --- |\n| a\\|b | `x\\|y` |"
    kinds = [t.type for t in tokens(body.markdown)]
    assert kinds.count("th_open") == 2 and kinds.count("td_open") == 2


def test_table_without_header_and_layout_tables() -> None:
    body = md("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></table>")
    assert body.markdown.splitlines()[:2] == ["|  |  |", "| --- | --- |"]
    # A table holding a table is layout, not data: it becomes plain blocks.
    nested = md("<table><tr><td>outer<table><tr><td>inner</td></tr></table></td></tr></table>")
    assert "outer" in nested.markdown and "inner" in nested.markdown
    assert sum(t.type == "table_open" for t in tokens(nested.markdown)) <= 1


def test_blank_lines_collapsed_and_no_trailing_whitespace() -> None:
    body = md("<p>a</p>\n\n\n<div>\n\n</div><p>   </p><br><br><br><p>b  </p>\n\n\n")
    assert body.markdown == "a\n\nb"
    long = md("<p>x</p>" + "<p> </p><div></div>" * 50 + "<ul><li>y  </li></ul>  ")
    assert "\n\n\n" not in long.markdown
    assert all(line == line.rstrip() for line in long.markdown.splitlines())


# --------------------------------------------------------------------------- links


def test_links_resolved_numbered_and_deduplicated() -> None:
    body = md(
        "<p><a href='/a'>first</a>, <a href='https://other.example/x'>second</a>, "
        "<a href='/a'>first again</a> and <a href='b?q=1&amp;r=2'>third</a></p>"
    )
    assert body.links == (
        Link(1, "first", "https://blog.example.invalid/a"),
        Link(2, "second", "https://other.example/x"),
        Link(3, "third", "https://blog.example.invalid/posts/b?q=1&r=2"),
    )
    assert "[first](https://blog.example.invalid/a) \\[1\\]" in body.markdown
    assert "[first again](https://blog.example.invalid/a) \\[1\\]" in body.markdown
    assert "\\[3\\]" in body.markdown
    assert hrefs(body.markdown) == [
        "https://blog.example.invalid/a",
        "https://other.example/x",
        "https://blog.example.invalid/a",
        "https://blog.example.invalid/posts/b?q=1&r=2",
    ]
    assert "first [1], second [2], first again [1] and third [3]" in displayed(body.markdown)


def test_relative_link_without_base_and_anchors_are_text() -> None:
    body = md("<p><a href='/a'>rel</a> <a href='#sec'>anchor</a> <a>none</a></p>", "")
    assert body.links == ()
    assert body.markdown == "rel anchor none"


def test_hostile_base_url_is_ignored() -> None:
    body = md("<a href='/x'>x</a>", base_url="javascript:alert(1)//")
    assert body.links == () and body.markdown == "x"


# The kinds of values in v11_dangerous_links.rss and v16_jsonfeed_hostile_strings.json.
HOSTILE_HREFS = [
    "javascript:alert('HV11')",
    "JaVaScRiPt:alert('HV11-case')",
    "   javascript:alert('HV11-leading-space')",
    "\tjavascript:alert('HV11-leading-tab')",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "vbscript:msgbox('HV11')",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgnSFYxMScpPC9zY3JpcHQ+",
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    "FILE:///etc/hostname",
    "--remote-debugging-port=9222",
    "-new-window",
    "ssh://hv11.example.invalid/",
    "smb://hv11.example.invalid/share",
    "steam://run/1",
    "vscode://file/etc/passwd",
    "ms-msdt:/id PCWDiagnostic",
    "mailto:hv11@example.invalid?attach=~/.ssh/id_rsa&subject=hi",
    "ftp://hv11.example.invalid/x",
    "http:///etc/passwd",
    "https://",
    "//hv11.example.invalid/protocol-relative",
    "\x1b]8;;https://evil.example\x07",
]


@pytest.mark.parametrize("href", HOSTILE_HREFS)
def test_hostile_links_become_plain_text(href: str) -> None:
    # No base: a protocol-relative or relative value must not be resolved into a link.
    body = md(f'<p>before <a href="{href}">HV-LINK-TEXT</a> after</p>', base_url="")
    assert body.links == ()
    assert hrefs(body.markdown) == []
    assert body.markdown == "before HV-LINK-TEXT after"
    assert_inert(body.markdown)


def test_shell_metacharacters_in_allowed_urls_are_encoded() -> None:
    body = md(
        "<a href='https://hv11.example.invalid/$(touch${IFS}/tmp/x)'>a</a>"
        "<a href='https://hv11.example.invalid/`id`;touch /tmp/y|z \"q\"'>b</a>"
    )
    assert len(body.links) == 2
    for link in body.links:
        assert not any(char in link.url for char in "`$(){}; |\"'<>\\")
    assert_inert(body.markdown, {link.url for link in body.links})


def test_link_text_is_sanitised_and_nested_links_flattened() -> None:
    body = md(
        "<a href='https://a.example/'>x\x1b[31m<b>bold</b>\u202e<a href='https://b.example/'>in</a></a>"
    )
    assert "\x1b" not in body.markdown and "\u202e" not in body.markdown
    assert all("\x1b" not in link.text and "\u202e" not in link.text for link in body.links)
    assert_inert(body.markdown, {link.url for link in body.links})
    # Markdown cannot nest links: at most one link token per <a> we emitted.
    assert len(hrefs(body.markdown)) == len(body.links)


def test_block_content_inside_a_link_stays_one_link() -> None:
    body = md("<a href='https://a.example'><h2>Head</h2><p>para</p></a>")
    assert body.links == (Link(1, "Head para", "https://a.example/"),)
    assert hrefs(body.markdown) == ["https://a.example/"]


def test_v16_content_html() -> None:
    html = (
        "<p>hi<script>alert('HV16')</script><a href=\"javascript:alert(1)\">x</a>"
        '<img src="https://hv16-tracker.example.invalid/p.gif"></p>'
    )
    body = md(html)
    assert "alert" not in body.markdown and "script" not in body.markdown
    assert body.links == ()
    assert body.images == (Image(1, "", "https://hv16-tracker.example.invalid/p.gif"),)
    assert "hv16-tracker" not in body.markdown  # listed for the user, never shown as a URL
    assert_inert(body.markdown)


# --------------------------------------------------------------------------- injection

INJECTIONS = [
    "[click](javascript:alert(1))",
    "[click](https://evil.example/)",
    "![img](https://tracker.example/p.gif)",
    "<script>alert(1)</script>",
    "<b>bold?</b>",
    "<!-- comment -->",
    "<https://auto.example/>",
    "[ref]: https://evil.example/\n\n[ref]",
    "*star* _under_ **strong** ~~strike~~",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "    indented code",
    "`code` ``code``",
    "| a | b |\n| - | - |\n| c | d |",
    "===",
    "---",
    "&amp; &lt;b&gt; &#x6a;",
    "https://bare.example/x ftp://ftp.example/ //proto.example/x www.w.example",
    "mail@example.com mailto:x@example.com",
    "\\[escaped\\] trailing backslash \\",
    "[@click=app.quit]x[/] [bold red]y[/bold red] :smile:",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_markdown_in_text_displays_literally(text: str) -> None:
    from html import escape

    body = md(f"<p>{escape(text)}</p>")
    assert_inert(body.markdown)
    assert hrefs(body.markdown) == []
    kinds = {t.type for t in tokens(body.markdown)}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text", "softbreak"}, kinds
    # Whitespace aside, the reader sees exactly the text that was in the HTML.
    assert " ".join(displayed(body.markdown).split()) == " ".join(text.split())


def test_markdown_in_every_text_context_is_inert() -> None:
    payload = "[x](ftp://e.example/) &lt;b&gt; *y* `z` | a@b.example"
    html = "".join(
        f"<{tag}>{payload}</{tag}>"
        for tag in ("h1", "h4", "li", "blockquote", "td", "th", "dt", "dd", "figcaption", "q")
    )
    html += f"<a href='https://ok.example/'>{payload}</a><img alt='{payload}' src='/i.png'>"
    html += f"<code>{payload}</code><pre>{payload}</pre>"
    html += f"<table><tr><td><pre>{payload}</pre></td></tr></table>"
    html += f"<code><p>{payload}</p><p>{payload}</p></code>"
    body = md(html)
    assert_inert(body.markdown, {"https://ok.example/"})


@pytest.mark.parametrize(
    "html",
    [
        # A fence wrapped in emphasis markers is no fence: its raw text would go live.
        "<b><pre><img src='/i.png' alt='[a](ftp://b)'></pre></b>",
        "<em>x<pre>l1\n[a](ftp://b)\n&lt;b&gt;</pre></em>",
        "<a href='https://ok.example/'><pre>[a](ftp://b)</pre></a>",
        # Side by side, code spans' delimiters would merge and stop closing.
        "<code>x</code><code>y`[a](ftp://e)</code>",
        "<span><code>x</code></span><code>``y`[a](ftp://e)</code>",
        "<kbd>`</kbd><samp>``</samp><code>[a](ftp://e)</code><code>`</code>",
    ],
)
def test_code_content_can_never_escape_its_span(html: str) -> None:
    body = md(html)
    assert_inert(body.markdown, {"https://ok.example/"})
    assert "[a](ftp://" in displayed(body.markdown)


def test_raw_html_entities_never_become_html() -> None:
    body = md("<p>&lt;iframe src=x&gt;&lt;/iframe&gt;</p><pre>&lt;script&gt;</pre>")
    assert_inert(body.markdown)
    assert "<iframe src=x></iframe>" in displayed(body.markdown)
    assert "<script>" in displayed(body.markdown)


# --------------------------------------------------------------------------- removal


@pytest.mark.parametrize(
    "html",
    [
        "<script>HVSECRET()</script>",
        "<script src='https://x.example/a.js'></script><noscript>HVSECRET</noscript>",
        "<style>body{HVSECRET:1}</style>",
        "<iframe src='https://x.example/'>HVSECRET</iframe>",
        "<object data='x.swf'>HVSECRET</object><embed src='x.swf'>",
        "<form action='/f'><input value='HVSECRET'><button>HVSECRET</button></form>",
        "<!-- HVSECRET -->",
        "<template>HVSECRET</template>",
        "<svg><text>HVSECRET</text></svg>",
        "<div hidden>HVSECRET</div><span style='display: none'>HVSECRET</span>",
        "<html><head><title>HVSECRET</title><meta content='HVSECRET'></head><body></body></html>",
        "<![CDATA[HVSECRET]]><?php HVSECRET ?>",
    ],
)
def test_dangerous_and_invisible_content_is_dropped(html: str) -> None:
    body = md(f"<p>keep</p>{html}<p>also</p>")
    assert "HVSECRET" not in body.markdown
    assert body.markdown == "keep\n\nalso"


@pytest.mark.parametrize(
    "img",
    [
        "<img src='https://t.example/p.gif' width='1' height='1'>",
        "<img src='https://t.example/p.gif' width='0' height='0' alt='x'>",
        "<img src='https://t.example/p.gif' width='0'>",
        "<img src='https://t.example/p.gif' height='1px'>",
        "<img src='https://t.example/p.gif' style='width:1px;height:1px'>",
    ],
)
def test_tracking_pixels_are_dropped(img: str) -> None:
    body = md(f"<p>text{img}</p>")
    assert body.images == ()
    assert body.markdown == "text"


def test_images_become_numbered_placeholders() -> None:
    body = md(
        "<p><img src='/cat.png' alt='a [cat](javascript:x)'> "
        "<img src='data:image/png;base64,AAAA' alt='inline'> "
        "<img src='/cat.png' alt='again'> <img data-src='https://cdn.example/lazy.jpg'></p>"
    )
    assert body.images == (
        Image(1, "a [cat](javascript:x)", "https://blog.example.invalid/cat.png"),
        Image(2, "inline", ""),
        Image(3, "", "https://cdn.example/lazy.jpg"),
    )
    assert_inert(body.markdown)
    shown = displayed(body.markdown)
    assert "[image 1: a [cat](javascript:x)]" in shown
    assert "[image 2: inline]" in shown and "[image 1: again]" in shown
    assert "[image 3]" in shown


def test_video_and_audio_are_links_not_players() -> None:
    body = md(
        "<video src='/v.mp4'>Your browser cannot</video>"
        "<audio><source src='javascript:x'>fallback</audio>"
    )
    assert body.links == (Link(1, "video", "https://blog.example.invalid/v.mp4"),)
    assert "cannot" not in body.markdown and "fallback" not in body.markdown
    assert_inert(body.markdown, {"https://blog.example.invalid/v.mp4"})


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize("tag", ["div", "blockquote", "span", "b", "p"])
def test_deep_nesting_does_not_recurse(tag: str) -> None:
    html = f"<{tag}>" * 5000 + "DEEP-TEXT" + f"</{tag}>" * 5000
    body = md(html)
    assert "DEEP-TEXT" in body.markdown
    assert_inert(body.markdown)


def test_deep_lists_and_tables_unclosed() -> None:
    for html in (
        "<ul><li>" * 3000 + "DEEP-TEXT",
        "<table><tr><td>" * 2000 + "DEEP-TEXT",
        "<blockquote><ol><li>" * 2000 + "DEEP-TEXT",
        "<div>" * 3000 + "<a href='https://x.example/'>DEEP-TEXT</a>",
    ):
        body = md(html)
        assert "DEEP-TEXT" in displayed(body.markdown)
        assert_inert(body.markdown, {"https://x.example/"})


def test_markdown_nesting_is_capped_within_markdown_it_limits() -> None:
    # markdown-it (maxNesting 20) silently drops what is nested deeper; cap it ourselves.
    body = md("<blockquote>" * 40 + "QUOTED" + "</blockquote>" * 40 + "<p>AFTER</p>")
    shown = displayed(body.markdown)
    assert "QUOTED" in shown and "AFTER" in shown
    lists = md("<ul><li>x" * 40 + "DEEP" + "</li></ul>" * 40 + "<p>AFTER</p>")
    assert "DEEP" in displayed(lists.markdown) and "AFTER" in displayed(lists.markdown)


def test_input_and_output_are_capped() -> None:
    big = "<p>" + "word " * 100_000 + "</p><p>BEYOND-CAP</p>"
    body = md(big)
    assert "BEYOND-CAP" not in body.markdown
    assert len(body.markdown) <= MAX_OUTPUT_CHARS + len(TRUNCATED_NOTE) + 2
    many = md("<p>" + "abc def</p><p>" * (MAX_INPUT_CHARS // 14))
    assert many.markdown.endswith(TRUNCATED_NOTE)
    assert len(many.markdown) <= MAX_OUTPUT_CHARS + len(TRUNCATED_NOTE) + 2


@pytest.mark.parametrize(
    "html",
    [
        "<!--" * 40_000,
        "<a" * 60_000,
        "<script>" * 20_000,
        "<ol>" + "<li>x" * 5_000,
        "<table>" + "<tr><td>x" * 3_000,
        "<td colspan='²'>x</td><ol start='½'><li>y</li></ol><td colspan='99999999'>z</td>",
        "<b><i>" * 80 + "x",
        "<" * 100_000,
        "&" * 100_000 + "&#" * 1000 + "&#xFFFFFFFF;&#0;&#x80;",
    ],
)
def test_pathological_inputs_are_fast_and_safe(html: str) -> None:
    start = time.perf_counter()
    body = html_to_markdown(html, BASE)
    assert time.perf_counter() - start < 3.0
    assert_inert(body.markdown)
    assert "\x00" not in body.markdown


def test_no_warnings_for_url_like_or_xml_bodies() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert html_to_markdown("https://x.example/a").markdown == "https\\:/\\/x\\.example/a"
        assert html_to_markdown("/etc/passwd").markdown == "/etc/passwd"
        assert html_to_markdown("<?xml version='1.0'?><doc><p>x</p></doc>").markdown == "x"


def test_non_string_input() -> None:
    assert html_to_markdown(None).markdown == ""  # type: ignore[arg-type]
    assert html_to_markdown(b"<p>x\xff</p>").markdown == "x\ufffd"  # type: ignore[arg-type]
    assert html_to_markdown("").markdown == ""


# --------------------------------------------------------------------------- control chars


def test_control_characters_become_visible_placeholders() -> None:
    html = (
        "<p>esc\x1b[2J bel\x07 nul\x00 del\x7f c1\x9b31m "
        "ent&#27;]0;T&#7; &#x9b; bidi\u202eexe.pdf zw\u200bsp</p>"
        "<pre>code\x1b[31m</pre><img alt='a\x1bb' src='/i.png'>"
    )
    body = md(html)
    for char in "\x1b\x07\x00\x7f\x9b\u202e\u200b":
        assert char not in body.markdown
        assert all(char not in image.alt for image in body.images)
    assert "␛" in body.markdown and "␇" in body.markdown and "␀" in body.markdown
    assert "bidiexe.pdf zwsp" in displayed(body.markdown)
    assert body.images[0].alt == "a␛b"


def test_line_and_paragraph_separators_do_not_create_blocks() -> None:
    body = md("<p>a\u2028# not heading\u2029- not list\u2028<b>x</b></p>")
    kinds = {t.type for t in tokens(body.markdown)}
    assert "heading_open" not in kinds and "bullet_list_open" not in kinds
    assert_inert(body.markdown)


# --------------------------------------------------------------------------- fallback


def test_fallback_when_output_cannot_be_vouched_for() -> None:
    with mock.patch.object(render, "unsafe_tokens", return_value=["forced"]):
        body = html_to_markdown(
            "<h1>T</h1><p>[x](ftp://a.example) <a href='https://ok.example/'>ok</a></p>", BASE
        )
    assert body.markdown == "T\n\n\\[x\\]\\(ftp\\:\\/\\/a\\.example\\) ok"
    assert body.links == (Link(1, "ok", "https://ok.example/"),)
    assert_inert(body.markdown)
    assert hrefs(body.markdown) == []


def test_fallback_on_converter_error() -> None:
    with mock.patch.object(render._Converter, "convert_soup", side_effect=RecursionError):
        body = html_to_markdown("<p>*one*</p><div>two</div>")
    assert body.markdown == "\\*one\\*\n\ntwo"


# --------------------------------------------------------------------------- property

_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<a href='javascript:alert(1)'>", "<a href='https://x.example/a'>",
        "<a href='/rel'>", "<a href=\"data:text/html,x\">", "<a href='//p.example/'>",
        "<a href='ftp://f.example'>", "</a>", "<b>", "</b>", "<i>", "<em>", "</em>",
        "<code>", "</code>", "<pre>", "</pre>", "<ul>", "<ol start='9'>", "<li>", "</li>",
        "</ul>", "<blockquote>", "</blockquote>", "<h2>", "</h2>", "<table>", "<tr>",
        "<td>", "<th>", "</table>", "<br>", "<hr>", "<img src='/i.png' alt='[a](b)'>",
        "<script>x</script>", "<!--", "-->", "<iframe>", "<div>", "</div>", "&lt;",
        "&gt;", "&amp;", "&#27;", "[", "]", "(", ")", "javascript:", "https://",
        "ftp://", "//", "www.", ".example", "@", "mailto:", "*", "_", "`", "```", "~~",
        "#", "# ", "- ", "1. ", "> ", "|", "\\", "!", "<", ">", "=", "\n", "\n\n",
        "    ", "\t", "\x1b", "\u2028", "\u202e", "text", " ", "x.com", "a@b.io",
    ]
)  # fmt: skip


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=60).map("".join),
    st.sampled_from(["", BASE, "javascript:x"]),
)
def test_property_any_htmlish_text_renders_inert(html: str, base: str) -> None:
    with no_fallback():
        body = html_to_markdown(html, base)
    allowed = {link.url for link in body.links}
    assert_inert(body.markdown, allowed)
    assert "\x1b" not in body.markdown and "\x00" not in body.markdown
    assert "\n\n\n" not in body.markdown
    assert all(line == line.rstrip() for line in body.markdown.splitlines())
    assert [link.number for link in body.links] == list(range(1, len(body.links) + 1))
    assert len({link.url for link in body.links}) == len(body.links)


_TAGS = [
    "a href='https://x.example/'", "a href='h'", "img src='/i' alt='!['", "b", "i", "em",
    "span", "code", "kbd", "samp", "pre", "li", "ul", "ol", "td", "th", "tr", "table", "h1",
    "blockquote", "p", "br", "q", "del", "sub", "dt", "dd", "dl",
]  # fmt: skip
_SOUP = st.one_of(
    st.sampled_from(_TAGS).map(lambda tag: f"<{tag}>"),
    st.sampled_from(_TAGS).map(lambda tag: f"</{tag.split()[0]}>"),
    st.text(alphabet="!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \n\tab1.\xa0", max_size=6),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_SOUP, max_size=50).map("".join), st.sampled_from(["", BASE]))
def test_property_tag_soup_with_punctuation_renders_inert(html: str, base: str) -> None:
    test_property_any_htmlish_text_renders_inert.hypothesis.inner_test(html, base)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- speed


# --------------------------------------------------------------------------- words, summary


def test_word_count_and_reading_minutes() -> None:
    assert word_count("<p>One two <b>three</b></p><script>not counted here</script>") == 3
    assert word_count("<p>a &amp; b — c</p><!-- x y z -->") == 3
    assert word_count("日本語の文章です") == 4  # 8 CJK characters count as 4 words
    assert word_count("") == 0
    assert word_count("<p>" + "w " * 1000 + "</p>") == 1000
    assert reading_minutes(0) == 1
    assert reading_minutes(-5) == 1
    assert reading_minutes(230) == 1
    assert reading_minutes(460) == 2
    assert reading_minutes(2300) == 10
    body = md("<p>" + "w " * 460 + "</p>")
    assert body.words == 460 and reading_minutes(body.words) == 2


def test_plain_summary() -> None:
    html = (
        "<style>p{}</style><h1>Title\x1b[31m</h1>\n<p>First &amp; <b>second</b>"
        "\u202e line.</p><p>Next [bold]x[/bold]</p>"
    )
    assert plain_summary(html) == "Title␛[31m First & second line. Next [bold]x[/bold]"
    assert plain_summary(html, max_chars=12) == "Title␛[31m…"
    assert plain_summary("<p>" + "word " * 10_000, max_chars=20).endswith("…")
    assert plain_summary("", 10) == "" and plain_summary("<p>x</p>", 0) == ""
    assert "\n" not in plain_summary("<p>a</p>\n<p>b</p>")
    start = time.perf_counter()
    plain_summary("<div>" * 50_000 + "deep")
    assert time.perf_counter() - start < 1.0


# --------------------------------------------------------------------------- wide tables

LAUNCHES = (
    "<table><thead><tr><th>Date</th><th>Vehicle</th><th>Payload</th><th>Orbit</th></tr>"
    "</thead><tbody>"
    "<tr><td>2024-06-01</td><td>Falcon 9 Block 5</td><td>Starlink <b>8-5</b></td>"
    "<td>LEO</td></tr>"
    "<tr><td>2024-06-03</td><td>Electron</td><td></td><td>SSO</td></tr>"
    "</tbody></table><p>after</p>"
)


def test_a_table_too_wide_for_the_pane_becomes_records() -> None:
    body = md(LAUNCHES)
    assert body.markdown == (
        "**Date:** 2024-06-01\\\n**Vehicle:** Falcon 9 Block 5\\\n"
        "**Payload:** Starlink **8-5**\\\n**Orbit:** LEO\n\n"
        "**Date:** 2024-06-03\\\n**Vehicle:** Electron\\\n**Orbit:** SSO\n\nafter"
    )
    kinds = [t.type for t in tokens(body.markdown)]
    assert "table_open" not in kinds
    assert kinds.count("hardbreak") == 3 + 2
    assert_inert(body.markdown)


def test_a_wide_table_without_a_header_gives_plain_lines() -> None:
    body = md(
        "<table><tr><td>a long cell value number one</td><td>another long cell</td></tr>"
        "<tr><td>x</td><td>y</td></tr></table>"
    )
    assert body.markdown == "a long cell value number one\\\nanother long cell\n\nx\\\ny"


def test_the_width_rule_keeps_narrow_tables_as_grids() -> None:
    # Widest cells 10 + 6, two columns: 16 + 3 * 2 + 1 = 23 cells, within the limit.
    assert TABLE_MAX_WIDTH >= 23
    body = md(
        "<table><tr><th>Name</th><th>Value</th></tr><tr><td>0123456789</td><td>abcdef</td></tr></table>"
    )
    assert "table_open" in [t.type for t in tokens(body.markdown)]
    # One cell more than the limit allows turns it into records.
    wide = "x" * (TABLE_MAX_WIDTH - 3 - 1 + 1)
    body = md(f"<table><tr><th>A</th></tr><tr><td>{wide}</td></tr></table>")
    assert body.markdown == f"**A:** {wide}"


def test_hostile_text_in_record_cells_stays_inert() -> None:
    body = md(
        "<table><tr><th>[x](javascript:alert(1))</th><th>**b**</th></tr>"
        "<tr><td>" + "<img src=x onerror=1>`code` | pipe " * 5 + "</td>"
        "<td><a href='https://ok.example/'>ok</a> \x02 cell</td></tr></table>"
    )
    assert_inert(body.markdown, allowed={"https://ok.example/"})
    assert "javascript" in body.markdown  # as text
    assert "\x02" not in body.markdown


def test_a_huge_wide_table_is_quick() -> None:
    rows = "".join(
        f"<tr><td>row {i} with a long first cell</td><td>{i}</td></tr>" for i in range(5000)
    )
    start = time.perf_counter()
    body = html_to_markdown(f"<table><tr><th>Name</th><th>N</th></tr>{rows}</table>")
    assert time.perf_counter() - start < 5
    # Records until the output cap, then the usual note.
    assert body.markdown.count("**Name:**") > 1000
    assert body.markdown.endswith(TRUNCATED_NOTE)
