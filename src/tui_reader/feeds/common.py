"""What every feed format shares: the error type, limits, and item -> `NewArticle`.

The format readers (`parse` for RSS/Atom, `jsonfeed` for JSON Feed) only pull raw
strings out of the document into `RawItem`s. Everything that decides what the rest of
the app sees happens here, once, for all formats: sanitising (`text.clean_*`), the URL
policy (`text.safe_link`), dates (`dates.parse_date`), identity keys, de-duplication and
the item cap. See `tui_reader.feeds.parse` for the rules in user terms.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from tui_reader.htmltext import word_count
from tui_reader.models import Enclosure, NewArticle, ParsedFeed, join_names
from tui_reader.text import clean_line, clean_text, safe_link

from .dates import parse_date
from .errors import FeedParseError as FeedParseError  # raised here, caught everywhere

MAX_TITLE = 1000
MAX_AUTHOR = 300
MAX_BODY = 200_000
# Keys longer than this are replaced by their hash, so a 20,000-character guid cannot
# bloat the store or its indexes.
MAX_KEY = 512
UNTITLED = "(untitled)"
# More names or files than any real item has; the rest are ignored.
MAX_AUTHORS = 50
MAX_ENCLOSURES = 20
# How much of the body the placeholder title and the derived identity look at.
_SNIPPET_SOURCE = 4000
_KEY_BODY_PREFIX = 1000

# A tag starts with a letter, "/", "!" or "?" after the "<", as in HTML: "I <3 you" and
# "a < b" are text.
_TAG = re.compile(r"<[A-Za-z/!?][^>]*>?")
# Script and style elements hold code, not words: gone with their content wherever HTML
# becomes text (an unclosed one runs to the end, as in a browser).
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.I | re.S)
# A quoted href/src attribute, for resolving relative links in a body against xml:base.
_URL_ATTR = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])([^"'<>]*)\2""", re.I)
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_WHITESPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def clean_body(value: str, max_length: int = MAX_BODY) -> str:
    """`text.clean_text` with the body cap."""
    return clean_text(value, max_length)


@dataclass(slots=True)
class RawItem:
    """One item's fields as found in the document: unsanitised, unresolved, maybe empty."""

    guid: str = ""
    title: str = ""
    title_is_html: bool = False
    link: str = ""
    # Used as the link when `link` is missing or refused, and only if it is an absolute
    # URL: an RSS guid with isPermaLink="true" (the default), a JSON Feed external_url.
    permalink: str = ""
    author: str = ""
    # Several names (Atom authors, repeated dc:creator, JSON Feed authors); when empty,
    # `author` is the only one.
    authors: list[str] = field(default_factory=list)
    date: str = ""
    body_html: str = ""
    base: str | None = None
    # Set when xml:base applies to the body: its relative links resolve against this
    # rather than the article link (which is what the reading pane uses).
    body_base: str | None = None
    # (url, MIME type, length in bytes, duration) as written; `base` resolves the URL.
    enclosures: list[tuple[str, str, str, str]] = field(default_factory=list)
    # Media RSS thumbnail URL as written.
    image: str = ""


def link_or_empty(raw: object, base: str | None = None) -> str:
    """`text.safe_link(raw, base)`: the normalised URL if the policy allows it, else ""."""
    if not isinstance(raw, str) or not raw:
        return ""
    return safe_link(raw, base)


def html_to_line(value: str) -> str:
    """Plain text of an HTML fragment, for titles that are declared as HTML."""
    value = value[: MAX_TITLE * 4]
    if "<" in value:
        value = _TAG.sub("", _SCRIPT_STYLE.sub("", value))
    if "&" in value:
        value = html.unescape(value)
    return value


def text_to_html(value: str) -> str:
    """Plain text as HTML: escaped, blank lines start a new paragraph."""
    value = value[:MAX_BODY]
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(value.replace("\r\n", "\n"))]
    return "\n".join(
        "<p>" + html.escape(p, quote=False).replace("\n", "<br>\n") + "</p>"
        for p in paragraphs
        if p
    )


def resolve_relative(body: str, base: str) -> str:
    """`body` with its relative href/src values made absolute against `base`."""

    def absolute(match: re.Match[str]) -> str:
        value = match.group(3).strip()
        if not value or value.startswith("#") or _HAS_SCHEME.match(value):
            return match.group(0)
        try:
            joined = urljoin(base, value)
        except ValueError:
            return match.group(0)
        return match.group(1) + match.group(2) + joined + match.group(2)

    return _URL_ATTR.sub(absolute, body)


def _count_of(raw: str) -> int | None:
    """A whole number of bytes or seconds as written ("12345", "12.5"); None if not one."""
    raw = raw.strip()
    if not raw or len(raw) > 20:
        return None
    try:
        value = int(float(raw)) if "." in raw else int(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def parse_duration(raw: str) -> int | None:
    """Seconds in "1:02:03", "62:03" or "3723" (itunes:duration, media:content); else None."""
    raw = raw.strip()
    if ":" not in raw:
        return _count_of(raw)
    parts = raw.split(":")
    if len(parts) > 3 or not all(p.strip().isdigit() and len(p.strip()) <= 6 for p in parts):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds or None


def _enclosures(raw: RawItem) -> tuple[Enclosure, ...]:
    found: dict[str, Enclosure] = {}
    for url, mime, length, duration in raw.enclosures:
        link = link_or_empty(url.strip(), raw.base)
        if not link or link in found:
            continue
        found[link] = Enclosure(
            url=link,
            mime_type=clean_line(mime.strip().lower(), 100),
            length=_count_of(length),
            duration=parse_duration(duration),
        )
        if len(found) >= MAX_ENCLOSURES:
            break
    return tuple(found.values())


def _snippet(body_html: str) -> str:
    """The first words of a body, as a stand-in title."""
    text = html.unescape(_TAG.sub(" ", _SCRIPT_STYLE.sub(" ", body_html[:_SNIPPET_SOURCE])))
    return clean_line(_WHITESPACE.sub(" ", text), max_length=80)


def _hash_key(*parts: str) -> str:
    digest = hashlib.sha1("\x00".join(parts).encode("utf-8", "replace"), usedforsecurity=False)
    return "sha1:" + digest.hexdigest()


def make_article(raw: RawItem, fetched_at: datetime) -> NewArticle | None:
    """The sanitised article for `raw`, or None if it has nothing at all to show."""
    guid = raw.guid.strip()
    raw_link = raw.link.strip()
    raw_title = raw.title.strip()
    raw_body = raw.body_html
    if not (guid or raw_link or raw_title or raw_body.strip() or raw.permalink.strip()):
        return None
    link = link_or_empty(raw_link, raw.base) or link_or_empty(raw.permalink.strip())
    shown_body = raw_body
    if raw.body_base and ("href" in raw_body or "src" in raw_body):
        # Only the shown body: the identity below hashes the document as written.
        # Cut to the cap first: a huge body of links must not cost a urljoin per link.
        shown_body = resolve_relative(raw_body[:MAX_BODY], raw.body_base)
    body = clean_body(shown_body)
    title = clean_line(html_to_line(raw_title) if raw.title_is_html else raw_title, MAX_TITLE)
    if not title:
        title = _snippet(body) or UNTITLED
    if guid:
        key = clean_line(guid)
    elif link:
        key = link
    else:
        # Everything that goes in comes from the document as written, so refetching the
        # same document gives the same key.
        key = _hash_key(raw_title, raw.date.strip(), raw_body[:_KEY_BODY_PREFIX], raw_link)
    if len(key) > MAX_KEY or not key:
        key = _hash_key(key)
    if len(raw.authors) == 1:  # the usual case, without the generator below
        author = clean_line(raw.authors[0], MAX_AUTHOR)
        authors = (author,) if author else ()
    elif raw.authors:
        names = (clean_line(name, MAX_AUTHOR) for name in raw.authors[:MAX_AUTHORS])
        authors = tuple(dict.fromkeys(name for name in names if name))
        author = clean_line(join_names(authors), MAX_AUTHOR)
    else:
        author = clean_line(raw.author, MAX_AUTHOR)
        authors = (author,) if author else ()
    return NewArticle(
        key=key,
        title=title,
        link=link,
        author=author,
        published=parse_date(raw.date, fetched_at),
        body_html=body,
        words=word_count(body),
        authors=authors,
        enclosures=_enclosures(raw) if raw.enclosures else (),
        image=link_or_empty(raw.image.strip(), raw.base) if raw.image else "",
    )


def build_feed(
    *,
    title: str,
    site_url: str,
    items: Iterable[RawItem],
    total: int,
    fetched_at: datetime,
    max_items: int,
    warnings: list[str],
) -> ParsedFeed:
    """Sanitise, de-duplicate and cap `items` (in document order) into a `ParsedFeed`.

    `total` is how many items the document holds; items after the cap are never looked
    at, so this is what the "not read" warning counts.
    """
    articles: list[NewArticle] = []
    seen: set[str] = set()
    consumed = empty = duplicates = 0
    limit = max(0, max_items)
    for raw in items:
        if len(articles) >= limit:
            break
        consumed += 1
        article = make_article(raw, fetched_at)
        if article is None:
            empty += 1
        elif article.key in seen:
            duplicates += 1  # keep the first occurrence: document order is deterministic
        else:
            seen.add(article.key)
            articles.append(article)
    if empty:
        warnings.append(_count(empty, "empty item") + " (no title, link, text or id) skipped")
    if duplicates:
        warnings.append(
            _count(duplicates, "duplicate item") + " (same id as an earlier one) skipped"
        )
    over = total - consumed
    if over > 0:
        warnings.append(
            f"the feed has {total} items; only the first {limit} were read"
            f" ({_count(over, 'item')} over the limit skipped)"
        )
    return ParsedFeed(
        title=clean_line(title, MAX_TITLE),
        site_url=site_url,
        articles=tuple(articles),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
