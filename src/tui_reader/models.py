"""Typed records shared by the core and the UI.

Everything here is a frozen dataclass so that it can be handed between threads and
compared cheaply. Flags (read, starred) are *not* part of `Article`: they change far more
often than the article itself and live in the store's flag sets (see docs/storage.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .text import hide_userinfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

UNCATEGORIZED = "Uncategorized"

WORDS_PER_MINUTE = 230


def reading_minutes(words: int) -> int:
    """Reading time in whole minutes at `WORDS_PER_MINUTE`, rounded, at least 1."""
    return max(1, (max(0, words) + WORDS_PER_MINUTE // 2) // WORDS_PER_MINUTE)


@dataclass(frozen=True, slots=True)
class Feed:
    """A subscription."""

    id: str
    url: str
    title: str
    category: str = UNCATEGORIZED
    site_url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    # A server that answered 429/503 with Retry-After is not asked again before this.
    retry_until: datetime | None = None
    # A command subscription (`exec:` / `filter:`) the user allowed: the exact url text
    # they allowed. Set only by `Subscriptions.add(trust_command=True)` / `trust_command`;
    # a command runs only while `url` still equals it (feeds/command_fetch.py).
    trusted_command: str = ""

    @property
    def display_title(self) -> str:
        # An untitled feed shows its address, with any user:password@ hidden.
        return self.title or hide_userinfo(self.url)

    @property
    def is_broken(self) -> bool:
        return self.failures > 0 and self.last_error is not None


@dataclass(frozen=True, slots=True)
class Article:
    """An article's header: what the list needs. The body is loaded on demand."""

    id: str
    feed_id: str
    title: str
    link: str
    author: str
    published: datetime
    fetched: datetime = EPOCH
    # Word count of the body, so the reading pane can estimate reading time without the body.
    words: int = 0
    # Every author's name, in document order; `author` is their display form ("A, B and
    # C"). The store fills it (`(author,)` for a one-author article); () when nobody.
    authors: tuple[str, ...] = ()
    # How many files the article carries: the files themselves (`ArticleMedia`) are kept
    # with the body and read on demand, so that opening the library never loads them.
    enclosure_count: int = 0


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A file an article carries (a podcast episode, an attachment): RSS `<enclosure>`,
    Atom `<link rel="enclosure">`, Media RSS `media:content`, JSON Feed `attachments`.

    `url` has passed the URL policy (`text.safe_link`: absolute http(s) only); the
    rest is as the feed declared it, None when unknown or unusable.
    """

    url: str
    mime_type: str = ""
    length: int | None = None  # bytes
    duration: int | None = None  # seconds

    @property
    def kind(self) -> str:
        """What the file is, in a word: "Audio", "Video", "Image" or "File"."""
        major = self.mime_type.partition("/")[0].lower()
        return _KINDS.get(major, "File")

    def describe(self) -> str:
        """One line for a person: "Audio (audio/mpeg) · 12.3 MB · 1:02:03"; the parts
        that are unknown are left out."""
        parts = [f"{self.kind} ({self.mime_type})" if self.mime_type else self.kind]
        if self.length is not None:
            parts.append(human_size(self.length))
        if self.duration is not None:
            parts.append(clock_duration(self.duration))
        return " · ".join(parts)


_KINDS = {"audio": "Audio", "video": "Video", "image": "Image", "text": "Text"}


def human_size(length: int) -> str:
    """A size in bytes for a person, in decimal units: "512 bytes", "12.3 MB", "1.2 GB"."""
    if length < 1000:
        return "1 byte" if length == 1 else f"{length} bytes"
    value = float(length)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000
        if value < 999.95 or unit == "PB":
            return f"{value:.1f} {unit}" if value < 99.95 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")


def clock_duration(seconds: int) -> str:
    """A duration as a clock shows it: "0:45", "2:03", "1:02:03"."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def join_names(names: tuple[str, ...] | list[str]) -> str:
    """Names for display: "A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True, slots=True)
class ArticleMedia:
    """What an article carries besides its text, kept with its body (docs/storage.md):
    its files and its picture (an http(s) URL, "" if none)."""

    enclosures: tuple[Enclosure, ...] = ()
    image: str = ""


NO_MEDIA = ArticleMedia()


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article as a parser produced it, before the store gives it an id.

    `key` is the feed-local identity (guid/id, else link, else a hash of title and date).
    All strings are already sanitised by `text.clean_*`.
    """

    key: str
    title: str
    link: str
    author: str
    published: datetime
    body_html: str = ""
    # Words in the body (`htmltext.word_count`), counted by the parser so that a pool of
    # parser processes does it in parallel; None: the store counts them.
    words: int | None = None
    # Every author's name, in document order; `author` is their display form
    # ("A", "A and B", "A, B and C"). Empty when the feed names nobody.
    authors: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    # The article's picture (Media RSS `media:thumbnail`), through the URL policy; "" if none.
    image: str = ""


@dataclass(frozen=True, slots=True)
class EncodedBodies:
    """A feed's bodies file, written by a parser process for a feed that had no articles.

    The file is staged (a temp file next to the real one, see `atomic.stage_file`); the
    store renames it into place. So the bodies are neither sent back as text nor encoded
    and written again by the main process, whose work limits a first refresh of many
    feeds. `ids` are the article ids in the file, sorted, as the store numbers them
    (docs/storage.md).
    """

    ids: tuple[str, ...]
    staged: str  # path of the temp file


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed document."""

    title: str
    site_url: str
    articles: tuple[NewArticle, ...] = field(default_factory=tuple)
    # Non-fatal notes for the user (e.g. "invalid UTF-8 replaced", "120 items dropped over cap").
    warnings: tuple[str, ...] = ()
    # The document was broken (not well-formed) and only partly read: what could be read is
    # kept, but the feed is reported as failing so the user hears of it.
    incomplete: str | None = None
    # Set when the parser was told the feed had no articles: the bodies file is here, and
    # each article's `body_html` is left empty (see EncodedBodies).
    encoded_bodies: EncodedBodies | None = None
