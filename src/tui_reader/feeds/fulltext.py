"""Full text: fetch an article's web page and extract the article from it.

Feeds often carry only a teaser. This module fetches the article's own page through
`Fetcher.fetch_page` (so the URL policy, redirect checks, deadline and size caps of feed
fetching all apply), extracts the main text with trafilatura, and returns sanitised HTML
that the reading pane renders through the same `render.html_to_markdown` path as feed
bodies. Nothing here imports Textual, and nothing raises: a failure is a `FullText` with
plain words saying what went wrong (the caller keeps showing the feed's text).

Why trafilatura: it scores best among open-source extractors on published benchmarks,
removes comments, navigation and "related" blocks explicitly (not only by class-name
guesses), falls back to readability-style and jusText heuristics on its own when its main
pass finds too little, and is actively maintained. Its own downloader is never used.

Extraction work is bounded: the page is parsed once with lxml, inert bulk (scripts,
styles, SVG, ...) is dropped, and a page with more than `MAX_ELEMENTS` elements is refused,
because extraction time grows faster than linearly with the tree size (about 0.8 s for
40,000 elements on a 2-core machine, 18 s for 160,000).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import copy
import logging
import re
import threading
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from ..render import word_count
from ..text import check_url, clean_line, clean_text
from .common import MAX_BODY
from .fetch import Fetcher, FetchLimits

__all__ = [
    "MAX_ELEMENTS",
    "MAX_PAGE_CHARS",
    "MIN_WORDS",
    "FullText",
    "extract_article",
    "fetch_full_text",
    "fetch_full_text_sync",
]

# More elements than this (after dropping scripts and the like) is not an article page we
# can extract in reasonable time; see the module docstring for the measurements.
MAX_ELEMENTS = 30_000
# Decoded characters handed to the HTML parser; more is cut (the article is near the top).
MAX_PAGE_CHARS = 3_000_000
# An "article" shorter than this is a paywall teaser, a cookie wall or a navigation page.
MIN_WORDS = 40

# Elements that never hold article text; dropping them first keeps the element count
# honest (a page with 5,000 SVG paths is not a big article).
_INERT = ("script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed")
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]{1,40})", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^<>]*>")
_HTML_TYPES = ("text/html", "application/xhtml+xml")

# trafilatura and the libraries it uses log warnings for every odd page. Without a handler
# Python's last-resort handler prints them to stderr, on top of the TUI; a NullHandler on
# each of their loggers stops that and still lets an app-level handler see them.
for _name in ("trafilatura", "htmldate", "courlan", "justext", "readability"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class FullText:
    """The outcome of one full-text fetch.

    `html` is sanitised extracted HTML when `ok`; `error` is plain words when not.
    `url` is where the page came from (after redirects): the base for relative links.
    """

    ok: bool
    html: str = ""
    error: str = ""
    url: str = ""
    # The caller stopped the fetch (quitting): nothing to show or record.
    cancelled: bool = False


def _codec(label: str) -> str | None:
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name == "utf-7" or not getattr(info, "_is_text_encoding", True):
        return None  # UTF-7 can smuggle markup; binary codecs are not text
    # Browsers read latin-1 and ascii labels as windows-1252 (WHATWG Encoding).
    return "cp1252" if info.name in ("ascii", "latin-1", "iso8859-1") else info.name


def decode_page(body: bytes, content_type: str | None) -> str:
    """The page as text: BOM, then the HTTP charset, then a <meta> charset, then UTF-8
    (falling back to windows-1252 for bytes that are not UTF-8)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace")
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if body.startswith(bom):
            return body[2:].decode(name, "replace")
    labels: list[str] = []
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            labels.append(match.group(1))
    match = _CHARSET.search(body[:4096])
    if match:
        labels.append(match.group(1).decode("ascii", "replace"))
    for label in labels:
        codec = _codec(label)
        if codec is not None and not codec.startswith(("utf-16", "utf-32")):
            return body.decode(codec, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", "replace")


def _parse(page: str) -> etree._Element | None:
    page = _XML_DECLARATION.sub("", page[:MAX_PAGE_CHARS], count=1)
    if not page.strip():
        return None
    parser = lxml_html.HTMLParser(
        remove_comments=True, remove_pis=True, no_network=True, huge_tree=False
    )
    try:
        return lxml_html.document_fromstring(page, parser=parser)
    except (etree.ParserError, ValueError):
        return None


_CONFIG = None


def _trafilatura_config() -> object:
    """trafilatura's default settings with its signal-based timeout off (it only works
    in the main thread, and we run in a worker)."""
    global _CONFIG
    if _CONFIG is None:
        from trafilatura.settings import DEFAULT_CONFIG

        config = copy.deepcopy(DEFAULT_CONFIG)
        config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")
        _CONFIG = config
    return _CONFIG


def extract_article(body: bytes, content_type: str | None, url: str) -> FullText:
    """Extract the article from a fetched page. Pure, synchronous and never raises."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime not in _HTML_TYPES:
        return FullText(False, error=f"the page is not HTML ({clean_line(mime, 60)})", url=url)
    try:
        # Sanitised before parsing as well as after: lxml refuses to serialise control
        # characters, and trafilatura would then silently drop the whole article.
        tree = _parse(clean_text(decode_page(body[: MAX_PAGE_CHARS * 4], content_type)))
        if tree is None:
            return FullText(False, error="the page is empty", url=url)
        for element in tree.xpath("//" + " | //".join(_INERT)):
            element.drop_tree()
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_ELEMENTS:
            return FullText(
                False,
                error=f"the page is too complex to extract ({elements:,} elements)",
                url=url,
            )
        import trafilatura  # deferred: about 0.2 s of imports the reader rarely needs

        extracted = trafilatura.extract(
            tree,
            url=url or None,
            output_format="html",
            include_comments=False,
            include_links=True,
            include_images=True,
            include_tables=True,
            include_formatting=True,
            with_metadata=False,
            deduplicate=False,
            config=_trafilatura_config(),
        )
    except Exception as exc:  # a library bug on one page must not end anything else
        reason = clean_line(type(exc).__name__, 60)
        return FullText(False, error=f"the page could not be read ({reason})", url=url)
    html = clean_text(extracted or "", MAX_BODY)
    if word_count(html) < MIN_WORDS:
        return FullText(
            False,
            error="no article text was found on the page (it may be behind a paywall, "
            "need a login, or be built by JavaScript)",
            url=url,
        )
    return FullText(True, html=html, url=url)


def _fetch_error(status: int | None, error: str | None) -> str:
    if status in (401, 402, 403):
        return f"the site refused the page ({error}): it may be behind a paywall or a login"
    if status == 429:
        return "the site asks to slow down (HTTP 429 Too Many Requests); try again later"
    return f"the page could not be fetched: {error or 'unknown error'}"


async def fetch_full_text(fetcher: Fetcher, url: str, *, origin: str | None = None) -> FullText:
    """Fetch `url` with `fetcher` and extract its article (extraction in a thread).

    `origin`: the feed URL of an automatic fetch (see `Fetcher.fetch_page`)."""
    verdict = check_url(url)
    if not verdict.ok:
        return FullText(False, error="this article has no web address that can be fetched")
    result = await fetcher.fetch_page(verdict.url, origin=origin)
    if result.status != "ok":
        return FullText(False, error=_fetch_error(result.http_status, result.error))
    base = result.final_url or verdict.url
    return await asyncio.to_thread(extract_article, result.body, result.content_type, base)


def fetch_full_text_sync(
    url: str, limits: FetchLimits | None = None, cancelled: threading.Event | None = None
) -> FullText:
    """`fetch_full_text` with a fetcher of its own, for a worker thread without a loop.

    Setting `cancelled` (a Textual worker's `cancelled_event`) ends the fetch within a
    tenth of a second, so quitting the app never waits for a slow page.
    """

    async def run() -> FullText:
        async with Fetcher(limits or FetchLimits()) as fetcher:
            task = asyncio.ensure_future(fetch_full_text(fetcher, url))
            while not task.done():
                if cancelled is not None and cancelled.is_set():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    return FullText(False, error="the fetch was cancelled", cancelled=True)
                await asyncio.wait({task}, timeout=0.1)
            return task.result()

    return asyncio.run(run())
