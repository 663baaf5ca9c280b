"""Feed documents (RSS 0.9x/1.0/2.0, Atom 1.0/0.3, JSON Feed 1.0/1.1) -> `ParsedFeed`.

Microsoft's CDF (`<CHANNEL>`) is read too, as feedparser does.

Public API: `parse_feed`, `looks_like_feed`, `FeedParseError` (feed discovery in web pages
is `feeds.subscribe.discover_feed_links`).
`parse_feed` raises nothing but `FeedParseError`, whose message is a plain-words reason
that can be shown to the user as is.

Why our own lxml reader rather than fastfeedparser: fastfeedparser builds its trees with
`huge_tree=True` and has no hook for refusing entity declarations before lxml sees them.
Reading the handful of fields we need straight from lxml is as fast (about 100 MB/s per
core on the bench corpus, see tests) and keeps every security decision in our code.

Where things are: `feeds.xmldoc` (bytes -> a safe lxml tree; the XML security rules),
`feeds.atom`, `feeds.rss`, `feeds.media` (Media RSS, enclosures), `feeds.jsonfeed`,
`feeds.common` (raw item -> sanitised `NewArticle`, for every format), `feeds.dates`.
How we compare with feedparser, and why we differ where we do: docs/parsing.md.

Content rules (all formats; the code is in `feeds.common`):

* Titles and authors go through `text.clean_line` (capped at 1000 and 300 characters),
  bodies through `text.clean_text` (capped at 200,000). Full content (content:encoded,
  Atom content, content_html) is preferred over summaries; plain text is HTML-escaped
  and wrapped in `<p>`. A missing title becomes the Media RSS title, else the body's
  first words, else "(untitled)". Where HTML becomes text (titles, that stand-in),
  script and style elements are dropped with their content.
* Links are resolved against the document base (xml:base, else for RSS and JSON Feed
  the site link, else the fetch URL) and kept only if `text.safe_link` allows them;
  otherwise they are "" (the first alternate link the policy allows is taken). An RSS
  guid that is a permalink serves as the link if there is no `<link>`. Relative links
  in a body under xml:base are resolved against it.
* Several authors are all kept (`NewArticle.authors`; `author` shows "A, B and C").
* Enclosures (`NewArticle.enclosures`) keep URL (through the URL policy), MIME type,
  length and duration; a Media RSS thumbnail becomes `NewArticle.image`.
* Dates: see `feeds.dates` (unknown -> the fetch time, future -> clamped to it).

Identity and duplicates: `NewArticle.key` is the guid / Atom id / RSS 1.0 rdf:about /
JSON id with surrounding whitespace stripped (an empty one counts as missing), else the
resolved link, else "sha1:" + a hash of the title, the date as written, the start of the
body and the raw link. Keys longer than 512 characters are replaced by "sha1:" + their
hash. Keys are compared exactly (case matters). When several items in one document share
a key, the first one in document order is kept and the others are dropped with a warning;
the result is the same on every refetch. Items with no title, link, body or id are
dropped. At most `max_items` items are read, the first ones in document order (feeds list
newest first); the rest are counted in a warning.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from tui_reader.models import ParsedFeed
from tui_reader.text import clean_line

from .atom import parse_atom
from .cdf import parse_cdf
from .common import FeedParseError, build_feed, link_or_empty
from .dates import as_utc
from .jsonfeed import parse_json_feed
from .rss import parse_rss

# The lxml set-up lives in xmldoc; these names stay reachable here for the security tests
# that spy on them (the same objects, so patching them here patches xmldoc).
from .xmldoc import _PARSERS as _PARSERS
from .xmldoc import (
    ATOM,
    ATOM03,
    BOMS,
    NOT_WELL_FORMED,
    RDF,
    local_name,
    parse_xml_tree,
    to_utf8,
)
from .xmldoc import _new_parser as _new_parser
from .xmldoc import _NoExternalResolver as _NoExternalResolver

__all__ = ["FeedParseError", "looks_like_feed", "parse_feed"]

# A refresh never needs more; the fetcher should cap downloads well below this anyway.
MAX_FEED_BYTES = 64 * 1024 * 1024
MAX_HTML_BYTES = 2 * 1024 * 1024

# ------------------------------------------------------------------ entry points


def _skip_bom_and_space(data: bytes) -> bytes:
    head = data[:1024]
    for bom, name in BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            if name != "utf-8":
                head = head.decode(name, "replace").encode("utf-8", "replace")
            break
    return head.lstrip(b" \t\r\n\x0c")


def _kind(data: bytes, content_type: str | None) -> str | None:
    head = _skip_bom_and_space(data)
    if head.startswith(b"<") or head[:2] in (b"<\x00", b"\x00<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if content_type and "json" in content_type.lower():
        return "json"
    return None


def parse_feed(
    data: bytes,
    *,
    url: str,
    fetched_at: datetime,
    content_type: str | None = None,
    max_items: int = 5000,
) -> ParsedFeed:
    """Parse a fetched feed document. Raises only `FeedParseError` (see the module doc).

    `url` is the address the bytes came from (the base for relative links);
    `fetched_at` stands in for missing or absurd dates; `content_type` is the HTTP header,
    used only for its charset and as a hint, never trusted over the content itself.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        # Never accept a str: some parsers treat one as a URL or path to open.
        raise TypeError("parse_feed() takes the document as bytes")
    try:
        return _parse_feed(bytes(data), url, fetched_at, content_type, max_items)
    except FeedParseError:
        raise
    except RecursionError:
        raise FeedParseError("the document is nested too deeply to read") from None
    except MemoryError:
        raise FeedParseError("the document is too large to read") from None
    except Exception as exc:  # a bug or a case we did not foresee: still one feed's error
        raise FeedParseError(
            f"the feed could not be read ({type(exc).__name__}: {clean_line(exc, 120)})"
        ) from None


def _parse_feed(
    data: bytes, url: str, fetched_at: datetime, content_type: str | None, max_items: int
) -> ParsedFeed:
    if len(data) > MAX_FEED_BYTES:
        raise FeedParseError(f"the document is larger than {MAX_FEED_BYTES // 2**20} MiB; refused")
    fetched_at = as_utc(fetched_at)
    base = link_or_empty(url) or None
    warnings: list[str] = []
    kind = _kind(data, content_type)
    if kind is None:
        if not data.strip():
            raise FeedParseError("the document is empty")
        raise FeedParseError("the document is neither XML nor JSON, so it is not a feed")
    if kind == "json":
        return parse_json_feed(
            data, url=base or "", fetched_at=fetched_at, max_items=max_items, warnings=warnings
        )

    root = parse_xml_tree(to_utf8(data, content_type, warnings), warnings)
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, local = local_name(tag)
    if local == "feed" and ns in (ATOM, ATOM03, ""):
        title, site_url, elements, items = parse_atom(root, ns, base)
    elif local == "rss" or (local == "RDF" and ns == RDF):  # rss in any namespace
        title, site_url, elements, items = parse_rss(root, base)
    elif local.upper() == "CHANNEL" and ns == "":  # Microsoft CDF
        title, site_url, elements, items = parse_cdf(root, base)
    elif local.lower() == "html":
        raise FeedParseError("this is a web page (HTML), not a feed")
    else:
        raise FeedParseError(
            f"the document is XML but not a feed (its root element is <{clean_line(local, 40)}>)"
        )
    parsed = build_feed(
        title=title,
        site_url=site_url,
        items=items,
        total=len(elements),
        fetched_at=fetched_at,
        max_items=max_items,
        warnings=warnings,
    )
    if NOT_WELL_FORMED in warnings:
        parsed = replace(parsed, incomplete=NOT_WELL_FORMED)
    return parsed


_FEED_ROOT = re.compile(rb"\s*<(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed|CHANNEL)[\s>/]")
_PROLOG_SKIP = re.compile(
    rb"\s*(?:<\?[^>]{0,500}\?>|<!--.{0,2000}?-->|<!DOCTYPE[^>\[]{0,500}>)", re.S
)
# A DOCTYPE with an internal subset (`<!DOCTYPE rss [ ... ]>`) that names a feed root: the
# subset can be longer than the sniffed head, so the DOCTYPE's name decides. Such a
# document counts as a feed here so that `parse_feed` gives the real reason (entity
# declarations are refused) instead of "this is not a feed".
_FEED_DOCTYPE = re.compile(rb"\s*<!DOCTYPE\s+(?:[A-Za-z_][\w.-]*:)?(rss|RDF|feed)[\s\[>]")


def looks_like_feed(data: bytes) -> bool:
    """A cheap sniff: does `data` start like an RSS/Atom document or a JSON Feed?"""
    try:
        head = _skip_bom_and_space(bytes(data[:4096]))
        if head.startswith(b"{"):
            return b"jsonfeed.org/version" in data[:65536]
        if not head.startswith(b"<"):
            return False
        position = 0
        while match := _PROLOG_SKIP.match(head, position):
            if match.end() == position:
                break
            position = match.end()
        if _FEED_DOCTYPE.match(head, position):
            return True
        return _FEED_ROOT.match(head, position) is not None
    except Exception:  # a sniff never fails loudly
        return False


# ------------------------------------------------------------------ discovery

_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
