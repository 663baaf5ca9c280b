"""The library's records: the documents in its files and the models they become.

Conversions between `models` and the JSON documents of the TinyDB files, the ids, the
errors, and reading a file with damage detected. No TinyDB and no state here: the
store's components (`library.py`, `loader.py`, `writer.py`, ...) own the files, and only
`tinydb_storage.py` and `library.py` touch TinyDB.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..models import (
    EPOCH,
    NO_MEDIA,
    UNCATEGORIZED,
    Article,
    ArticleMedia,
    Enclosure,
    EncodedBodies,
    Feed,
    NewArticle,
)
from ..text import clean_line, safe_link
from .atomic import stage_file


class StoreError(RuntimeError):
    """A library operation failed; the message is for the user."""


class StoreReadOnly(StoreError):
    """A change was asked of a library opened read-only."""


class LibraryCorrupt(StoreError):
    """library.json could not be read. It was moved aside; nothing was overwritten."""

    def __init__(self, message: str, moved_to: Path | None, backup: Path | None) -> None:
        super().__init__(message)
        self.moved_to = moved_to
        self.backup = backup


@dataclass(frozen=True, slots=True)
class MergeResult:
    new: int = 0
    updated: int = 0
    pruned: int = 0


def load_json_file(path: Path) -> dict[str, Any] | None:
    """Read a TinyDB file; None when missing. Raises ValueError when it is not a TinyDB file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        raise ValueError("the file is empty")
    data = orjson.loads(raw)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError("the file is not a TinyDB document")
    return data


def load_main_file(path: Path) -> dict[str, Any] | None:
    """`load_json_file` for library.json, which must also hold only object records (TinyDB
    itself fails with a TypeError deep inside on anything else)."""
    data = load_json_file(path)
    for table in (data or {}).values():
        if not all(isinstance(doc, dict) for doc in table.values()):
            raise ValueError("a record is not an object")
    return data


def unique_aside(path: Path, what: str) -> Path:
    """A free name next to `path` to move a damaged file to (never overwrite an earlier one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{what}-{stamp}")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{what}-{stamp}-{n}")
        n += 1
    return candidate


def str_ids(value: Any) -> list[str]:
    """The string items of a list from a flags file (anything else is damage, skipped)."""
    if not isinstance(value, list):
        return []
    return [i for i in value if isinstance(i, str)]


# Articles are built at open without the frozen dataclass __init__, which goes through
# object.__setattr__ per field and is 3x slower (0.3 s of a 100k-article open). Each is
# filled as a `_Draft`, a plain class with the very same slots (so attribute stores take
# the interpreter's fast path), and then given its real class: Python allows that between
# classes of the same layout. Twice as fast as calling each slot's setter, which pays for
# the fields issue 16 added (authors, enclosure_count) and then some.
_ARTICLE_FIELDS = (
    *("id", "feed_id", "title", "link", "author", "published", "fetched", "words"),
    *("authors", "enclosure_count"),
)


class _Draft:
    __slots__ = _ARTICLE_FIELDS


def _draft_factory() -> Callable[..., Article]:
    new = object.__new__

    def make(
        id: str,
        feed_id: str,
        title: str,
        link: str,
        author: str,
        published: datetime,
        fetched: datetime,
        words: int,
        authors: tuple[str, ...],
        enclosure_count: int,
    ) -> Article:
        draft = new(_Draft)
        draft.id = id
        draft.feed_id = feed_id
        draft.title = title
        draft.link = link
        draft.author = author
        draft.published = published
        draft.fetched = fetched
        draft.words = words
        draft.authors = authors
        draft.enclosure_count = enclosure_count
        draft.__class__ = Article  # type: ignore[assignment]
        return draft  # type: ignore[return-value]

    return make


def _make_article_factory() -> Callable[..., Article]:
    """The fast factory, after checking that it builds exactly what the constructor
    builds; the constructor itself when `models.Article` changed shape."""
    if tuple(f.name for f in dataclasses.fields(Article)) != _ARTICLE_FIELDS:
        return Article
    make = _draft_factory()
    values = ("i", "f", "t", "l", "a", EPOCH, EPOCH, 1, ("a",), 2)
    try:
        built = make(*values)
    except TypeError:  # the layouts differ after all (another Python?)
        return Article
    if type(built) is not Article or built != Article(*values):
        return Article
    return make


new_article = _make_article_factory()


def sort_key(article: Article) -> tuple[float, str]:
    # Newest first, ties by id. Comparing float timestamps is much cheaper than comparing
    # aware datetimes (130 -> 80 ms for 100,000 articles at start).
    return (article.published.timestamp(), article.id)


def to_epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def from_epoch(value: Any, default: datetime | None = EPOCH) -> datetime | None:
    if not isinstance(value, int | float):
        return default
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return default


def article_id(feed_id: str, key: str) -> str:
    """Stable id of an article: 12 hex digits from its feed and its feed-local key."""
    return hashlib.blake2b(f"{feed_id}\0{key}".encode(), digest_size=6).hexdigest()


def feed_to_doc(feed: Feed) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "category": feed.category,
        "site_url": feed.site_url,
        "etag": feed.etag,
        "last_modified": feed.last_modified,
        "last_checked": to_epoch(feed.last_checked),
        "last_success": to_epoch(feed.last_success),
        "last_error": feed.last_error,
        "failures": feed.failures,
        "retry_until": to_epoch(feed.retry_until),
    }
    if feed.trusted_command:  # only on the command subscriptions the user allowed
        doc["trusted_command"] = feed.trusted_command
    return doc


_SAFE_ID = re.compile(r"[0-9a-z]{1,40}")


def feed_from_doc(doc: dict[str, Any]) -> Feed:
    feed_id = doc["id"]
    if not isinstance(feed_id, str) or not _SAFE_ID.fullmatch(feed_id):
        # The id names the feed's files: never let a damaged record point outside.
        raise ValueError("bad feed id")
    return Feed(
        id=feed_id,
        url=str(doc["url"]),
        title=clean_line(doc.get("title") or ""),
        category=clean_line(doc.get("category") or "") or UNCATEGORIZED,
        site_url=str(doc.get("site_url") or ""),
        etag=doc.get("etag") if isinstance(doc.get("etag"), str) else None,
        last_modified=doc.get("last_modified")
        if isinstance(doc.get("last_modified"), str)
        else None,
        last_checked=from_epoch(doc.get("last_checked"), None),
        last_success=from_epoch(doc.get("last_success"), None),
        last_error=doc.get("last_error") if isinstance(doc.get("last_error"), str) else None,
        failures=int(doc.get("failures") or 0),
        retry_until=from_epoch(doc.get("retry_until"), None),
        trusted_command=trusted if isinstance(trusted := doc.get("trusted_command"), str) else "",
    )


# A header document's keys before `authors` and `enclosures` (docs/storage.md): a document
# with no more keys than these has neither, and the loader need not look them up.
HEADER_BASE_KEYS = 8
# What a loaded header may hold, at most (the parser keeps fewer): damage is cut short.
_MAX_NAMES = 50
_MAX_FILES = 20


def own_authors(author: str, authors: tuple[str, ...]) -> tuple[str, ...]:
    """An article's names as the store keeps them: `authors`, else the one `author`."""
    return authors or ((author,) if author else ())


def header_doc(article: Article, key: str) -> dict[str, Any]:
    doc = {
        "id": article.id,
        "key": key,
        "title": article.title,
        "link": article.link,
        "author": article.author,
        "published": article.published.timestamp(),
        "fetched": article.fetched.timestamp(),
        "words": article.words,
    }
    # Only what `author` does not say already: most articles have one author or none,
    # and their headers (read at every open) stay as they were.
    authors = article.authors
    if len(authors) > 1 or (authors and authors[0] != article.author):
        doc["authors"] = list(authors)
    if article.enclosure_count:
        doc["enclosures"] = article.enclosure_count
    return doc


def header_extras(doc: Mapping[str, Any], author: str) -> tuple[tuple[str, ...], int]:
    """`authors` and the enclosure count of a header document that has more than the base
    keys (a damaged value reads as absent)."""
    names = doc.get("authors")
    authors: tuple[str, ...] = ()
    if isinstance(names, list):
        authors = tuple(clean_line(n, 300) for n in names[:_MAX_NAMES] if isinstance(n, str))
        authors = tuple(n for n in authors if n)
    count = doc.get("enclosures")
    count = min(count, _MAX_FILES) if type(count) is int and count > 0 else 0
    return own_authors(author, authors), count


class FeedBodies(dict[str, str]):
    """A feed's bodies (article id -> HTML) and, in `media`, what its articles carry
    besides the text (article id -> `ArticleMedia`, only for articles that carry any).
    Both live in the bodies file, so they are read (and cached) together."""

    __slots__ = ("media",)

    def __init__(self, html_of: Mapping[str, str] | None = None) -> None:
        super().__init__(html_of or {})
        self.media: dict[str, ArticleMedia] = {}

    def set_media(self, article_id: str, media: ArticleMedia) -> None:
        """Keep `media` for the article; `NO_MEDIA` (or an equal value) forgets it."""
        if media is NO_MEDIA or media == NO_MEDIA:
            if self.media:
                self.media.pop(article_id, None)
        else:
            self.media[article_id] = media


def media_of(bodies: Mapping[str, str]) -> dict[str, ArticleMedia]:
    """The media that go with a bodies mapping (none for a plain dict)."""
    return bodies.media if isinstance(bodies, FeedBodies) else {}


def media_doc(media: ArticleMedia) -> dict[str, Any]:
    """The keys a bodies document gains for an article's media (only those it has)."""
    doc: dict[str, Any] = {}
    if media.enclosures:
        doc["enclosures"] = [
            {"url": e.url, "type": e.mime_type, "length": e.length, "duration": e.duration}
            for e in media.enclosures
        ]
    if media.image:
        doc["image"] = media.image
    return doc


def _count(value: Any) -> int | None:
    # JSON has no other integers; bool is an int to Python but not a size.
    return value if type(value) is int and 0 <= value < 2**63 else None


def media_from_doc(doc: Mapping[str, Any]) -> ArticleMedia:
    """An article's media from its bodies document, checked as untrusted: URLs through the
    URL policy, text sanitised, anything of the wrong shape skipped."""
    files: list[Enclosure] = []
    raw = doc.get("enclosures")
    for item in raw[:_MAX_FILES] if isinstance(raw, list) else ():
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        url = safe_link(item["url"])
        if url:
            kind = item.get("type")
            mime = clean_line(kind, 100) if isinstance(kind, str) else ""
            files.append(
                Enclosure(url, mime, _count(item.get("length")), _count(item.get("duration")))
            )
    image = doc.get("image")
    image = safe_link(image) if isinstance(image, str) else ""
    return ArticleMedia(tuple(files), image) if files or image else NO_MEDIA


def bodies_file(ids: Sequence[str], html_of: Mapping[str, str]) -> bytes:
    """A feed's bodies file: `ids` (sorted) numbered from 1, as the headers file numbers
    them (docs/storage.md), with the articles' media when `html_of` is `FeedBodies`."""
    numbered = {str(n): {"id": aid, "html": html_of.get(aid, "")} for n, aid in enumerate(ids, 1)}
    media = media_of(html_of)
    if media:  # most feeds carry no files: nothing more to do
        for doc in numbered.values():
            found = media.get(doc["id"])
            if found is not None:
                doc.update(media_doc(found))
    return orjson.dumps({"bodies": numbered})


def bodies_from_doc(data: Mapping[str, Any] | None) -> FeedBodies:
    """Article id -> HTML from a loaded bodies file, with the articles' media (entries of
    the wrong shape skipped)."""
    docs = data.get("bodies", {}) if data else {}
    bodies = FeedBodies()
    if not isinstance(docs, dict):
        return bodies
    media = bodies.media
    for doc in docs.values():
        if isinstance(doc, dict) and isinstance(doc.get("html"), str) and "id" in doc:
            aid = doc["id"]
            bodies[aid] = doc["html"]
            if len(doc) > 2:  # only documents with media have more than id and html
                found = media_from_doc(doc)
                if found is not NO_MEDIA:
                    media[aid] = found
    return bodies


def encode_new_bodies(
    feed_id: str, articles: Iterable[NewArticle], directory: Path
) -> EncodedBodies:
    """Stage, in `directory`, the bodies file of a feed that has no articles yet and
    receives `articles`: what a merge would write (the first of two items with one id
    wins, as in the merge)."""
    html_of = FeedBodies()
    for item in articles:
        aid = article_id(feed_id, item.key)
        if aid not in html_of:
            html_of[aid] = item.body_html
            if item.enclosures or item.image:
                html_of.media[aid] = ArticleMedia(item.enclosures, item.image)
    ids = tuple(sorted(html_of))
    staged = stage_file(directory / f"{feed_id}.json", bodies_file(ids, html_of))
    return EncodedBodies(ids, str(staged))


def decode_bodies(encoded: EncodedBodies) -> FeedBodies:
    """The bodies in a staged file (FileNotFoundError once it has been published)."""
    raw = Path(encoded.staged).read_bytes()
    return bodies_from_doc(orjson.loads(raw))
