"""Article bodies: untrusted feed HTML to inert Markdown for the reading pane.

The reading pane shows a body with Textual's ``Markdown`` widget, which parses with
``MarkdownIt("gfm-like")``: HTML on, linkify on. Feed HTML is hostile, so this module turns
it into Markdown in which the *only* active constructs are the ones we emit on purpose:

* Structure (headings, paragraphs, nested lists, quotes, code, emphasis, simple tables,
  rules, line breaks) comes from markdownify, customised by `_Converter`.
* Every text node is sanitised with `text.clean_text` and then backslash-escaped, so text
  that looks like Markdown (``[x](javascript:…)``, ``*``, ``#``, backticks, ``|``, ``<b>``,
  ``&amp;``) displays literally. ``:``, ``@``, ``//`` and dots inside words are escaped as
  well, which stops linkify from turning bare text into links: every link in the pane is one
  we emitted, vetted by `text.check_url` and numbered (``[text](url) [1]``).
* Disallowed links (``javascript:``, ``data:``, ``file:``, relative without a base, …)
  become their text only. Images are never loaded: they become ``[image 2: alt]``
  placeholders and are listed in `RenderedBody.images`.
* Scripts, styles, frames, objects, forms, hidden elements, comments and tracking pixels
  are dropped before conversion.
* Work is bounded: input is capped at `MAX_INPUT_CHARS`, element depth at `MAX_DEPTH`
  (deeper subtrees are flattened to plain paragraphs without recursion), Markdown block
  nesting at `MAX_BLOCK_NESTING` (markdown-it stops parsing past 20 levels and would drop
  the rest), and output at `MAX_OUTPUT_CHARS`.
* As a last line of defence the output is parsed with markdown-it exactly as the widget
  would; if it contains raw HTML, an image, or a link that is not http(s) and allowed by
  the URL policy, the body is rendered as fully escaped plain paragraphs instead.

Nothing here fetches anything, and Textual is not imported: this is pure and unit-tested.

The package, by job: `policy` (limits, tag policy, escaping), `prepare` (cleaning the
tree), `converter` (HTML to Markdown), `tables` (the width rule, records for tables
too wide for the pane), `tidy` (the last pass); this module holds the public API and the
last line of defence.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from tui_reader.htmltext import MAX_INPUT_CHARS, word_count
from tui_reader.htmltext import as_text as _as_text
from tui_reader.htmltext import strip_tags as _strip_tags
from tui_reader.models import WORDS_PER_MINUTE, reading_minutes
from tui_reader.text import check_url, clean_line, clean_text

from .converter import Image, Link, _Converter
from .policy import _PARSER, LINK_REF_PREFIX, MAX_BLOCK_NESTING, MAX_DEPTH, _strict_escape
from .prepare import _prepare, _text_blocks
from .tidy import MAX_OUTPUT_CHARS, TRUNCATED_NOTE, _tidy

__all__ = [
    "LINK_REF_PREFIX",
    "MAX_BLOCK_NESTING",
    "MAX_DEPTH",
    "MAX_INPUT_CHARS",
    "MAX_OUTPUT_CHARS",
    "TRUNCATED_NOTE",
    "WORDS_PER_MINUTE",
    "Image",
    "Link",
    "RenderedBody",
    "html_to_markdown",
    "link_ref_number",
    "plain_summary",
    "reading_minutes",
    "unsafe_tokens",
    "word_count",
]


# libxml2 parses HTML 4, so it does not know these HTML5 void elements and would nest all
# following content inside them (and so drop it with an <embed>). Closing them explicitly
# fixes that. `[^<>]*` keeps the regex linear: each attempt stops at the next "<".
_HTML5_VOID = re.compile(r"<(embed|source|track|wbr|keygen|param)\b[^<>]*>", re.IGNORECASE)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^<>]*>")


class _Soup(BeautifulSoup):
    """BeautifulSoup without the "this looks like a URL / file name" warnings.

    Short feed bodies often are just a URL; the warning would be printed on top of the
    TUI. Overriding the two checks keeps the global warning filters untouched.
    """

    @classmethod
    def _markup_is_url(cls, markup: Any) -> bool:
        return False

    @classmethod
    def _markup_resembles_filename(cls, markup: Any) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A body ready for the reading pane: Markdown, plus what its numbers refer to."""

    markdown: str
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    words: int


_MD: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = MarkdownIt("gfm-like")  # what Textual's Markdown widget uses
    return _MD


def unsafe_tokens(markdown: str, link_refs: int | None = None) -> list[str]:
    """What in `markdown` would be active beyond our own vetted links ([] when nothing).

    Parses exactly as Textual's Markdown widget does and reports raw HTML, images, and
    links whose href is not an http(s) URL allowed by `text.check_url`. With `link_refs`
    (the number of vetted links), hrefs must instead be `#link-N` with N in 1..link_refs.
    """
    problems: list[str] = []
    for token in _parser().parse(markdown):
        for item in [token, *(token.children or [])]:
            if item.type in ("html_block", "html_inline", "image"):
                problems.append(f"{item.type}: {item.content[:60]!r}")
            elif item.type == "link_open":
                href = str(item.attrGet("href") or "")
                if link_refs is not None:
                    if link_ref_number(href, link_refs) is None:
                        problems.append(f"link: {href[:60]!r}")
                elif not href.lower().startswith(("http://", "https://")) or not (
                    check_url(href).ok
                ):
                    problems.append(f"link: {href[:60]!r}")
    return problems


def _plain_markdown(blocks: list[str]) -> str:
    return _tidy("\n\n".join(_strict_escape(block) for block in blocks))


# --------------------------------------------------------------------------- public API


def link_ref_number(href: str, count: int) -> int | None:
    """N for an href `#link-N` with 1 <= N <= count, else None."""
    if not href.startswith(LINK_REF_PREFIX):
        return None
    digits = href[len(LINK_REF_PREFIX) :]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 6:
        return None
    number = int(digits)
    return number if 1 <= number <= count else None


def html_to_markdown(html: str, base_url: str = "", *, link_refs: bool = False) -> RenderedBody:
    """Convert an untrusted HTML body to inert Markdown for the reading pane.

    Relative links and image sources resolve against `base_url` (itself checked by the URL
    policy). Never raises for any string input and never fetches anything. With
    `link_refs`, every link's href is the opaque `#link-N` (N: its number in `links`), so a
    click is looked up in `links` and never trusted as a URL (see `link_ref_number`).
    """
    source = _as_text(html)
    source = clean_text(source[:MAX_INPUT_CHARS])
    words = word_count(source)
    source = _HTML5_VOID.sub(r"\g<0></\1>", source)
    # A leading XML declaration carries no content; bs4 would warn about it on stderr.
    if source.lstrip().startswith("<?"):
        source = _XML_DECLARATION.sub("", source, count=1)
    base = check_url(base_url).url if base_url else ""
    try:
        soup = _Soup(source, _PARSER)
    except Exception:  # a parser bug must not take the reading pane down
        text = html_lib.unescape(_strip_tags(source))
        return RenderedBody(_plain_markdown(text.split("\n\n")), (), (), words)
    try:
        info = _prepare(soup)
        converter = _Converter(
            base,
            info.ol_numbers,
            info.first_rows,
            info.column_counts,
            info.record_rows,
            info.record_cells,
            link_refs,
        )
        markdown = _tidy(converter.convert_soup(soup))
        links, images = tuple(converter.links), tuple(converter.images)
    except Exception:
        # Includes RecursionError if a caller already sits deep in the stack.
        markdown, links, images = "", (), ()
    else:
        problems = unsafe_tokens(markdown, len(links)) if link_refs else unsafe_tokens(markdown)
        if not problems:
            return RenderedBody(markdown, links, images, words)
    # Defence in depth: a conversion we cannot vouch for is shown as escaped paragraphs.
    # The vetted links and images stay available by number.
    return RenderedBody(_plain_markdown(_text_blocks(soup)), links, images, words)


# --------------------------------------------------------------------------- cheap text


def plain_summary(html: str, max_chars: int = 300) -> str:
    """The start of a body as one sanitised line of plain text (for list rows and previews).

    Plain text, not Markdown or markup: the UI must display it as literal text.
    """
    if max_chars <= 0:
        return ""
    source = _as_text(html)
    # Entities shrink when decoded, so collect a generous amount of raw text.
    text = _strip_tags(source[:MAX_INPUT_CHARS], stop_after=max_chars * 8 + 64)
    return clean_line(html_lib.unescape(text), max_length=max_chars)
