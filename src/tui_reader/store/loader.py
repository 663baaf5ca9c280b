"""Reading the library's files into the index: library.json at open, the shards on demand.

`Loader` owns no state of its own: it reads files and puts what they hold into the
`Index` it was given (under the index's lock), adds plain-words warnings to the store's
`warnings` list, and sets damaged files aside. It needs a callback, `clear_validators`,
for a feed whose articles were lost with a damaged file (the store then forgets the
feed's etag so that the next refresh fetches it whole).

An eager open loads every feed at once; a lazy open (`tui-reader refresh`) only the
feeds something asks for (`load_feeds`), or all of them when a question cannot be
answered otherwise (`load_all`, `known`).
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..models import EPOCH, Article, EncodedBodies
from .index import Index
from .records import (
    HEADER_BASE_KEYS,
    LibraryCorrupt,
    StoreError,
    bodies_from_doc,
    decode_bodies,
    from_epoch,
    header_extras,
    load_json_file,
    load_main_file,
    new_article,
    str_ids,
    unique_aside,
)

# Distinct author names whose tuple is kept for the next feeds loaded (see `Loader`).
_MAX_NAMES_KEPT = 20_000

# What the loss of each kind of shard costs, in the warning.
_LOST = {
    "headers": "its articles will be fetched again",
    "bodies": "the article texts will be fetched again",
    "flags": "its read and starred marks were lost",
}


class Loader:
    """Reads library.json and the per-feed shards into an `Index`."""

    def __init__(
        self,
        directory: Path,
        index: Index,
        warnings: list[str],
        *,
        read_only: bool,
        clear_validators: Callable[[str], None],
    ) -> None:
        self.directory = directory
        self.index = index
        self.warnings = warnings
        self.read_only = read_only
        self.clear_validators = clear_validators
        # An article's names are `(author,)` unless its header lists them: one tuple per
        # name in the library, not one per article (memory, and less for the collector
        # to walk, at 100k articles). Shared by the threads that load: a race only makes
        # a second, equal tuple.
        self._names: dict[str, tuple[str, ...]] = {"": ()}

    # ------------------------------------------------------------------ library.json

    def read_main(self) -> dict[str, Any] | None:
        """library.json, checked; None when there is none. A damaged file is moved aside
        (by a writer) and reported as `LibraryCorrupt`; every failure is a `StoreError`."""
        path = self.directory / "library.json"
        backup = self.directory / "library.json.bak"
        try:
            data = load_main_file(path)
        except (ValueError, orjson.JSONDecodeError) as exc:
            reason = _reason(exc)
            if self.read_only:
                raise StoreError(
                    f"The library file {path} cannot be read ({reason}). Open the reader "
                    "(or any command that changes the library) to set it aside."
                ) from None
            moved = unique_aside(path, "corrupt")
            try:
                os.replace(path, moved)
            except OSError as move_exc:
                raise StoreError(
                    f"The library file {path} cannot be read ({reason}) and could not be "
                    f"moved aside: {move_exc.strerror}."
                ) from None
            has_backup = backup.exists()
            message = (
                f"The library file could not be read ({reason}). It was moved to {moved.name} "
                "and has not been changed."
            )
            if has_backup:
                message += (
                    f" The last good copy is {backup.name}: run `tui-reader restore-backup` "
                    "to go back to it."
                )
            raise LibraryCorrupt(message, moved, backup if has_backup else None) from None
        except OSError as exc:
            raise StoreError(cannot_use(path, exc)) from None
        if data is None and backup.exists() and not self.read_only:
            # A missing library.json next to a backup is a library set aside after damage
            # (or deleted by hand). Starting empty would overwrite the backup on the next
            # open, so ask instead.
            raise LibraryCorrupt(
                f"The library file {path.name} is missing, but there is a backup "
                f"({backup.name}). Run `tui-reader restore-backup` to go back to it, or "
                "delete the backup to start an empty library.",
                None,
                backup,
            )
        return data

    # ------------------------------------------------------------------ shards

    def load_all(self) -> None:
        """Read the headers and flags of every feed not in memory yet."""
        if not self.index.unloaded:
            return
        gc_was_enabled = gc.isenabled()
        gc.disable()  # 100k small objects: the collector would rescan them again and again
        try:
            for feed_id in list(self.index.unloaded):
                self.load_feed(feed_id)
        finally:
            if gc_was_enabled:
                gc.enable()

    def load_feeds(self, feed_ids: Iterable[str]) -> None:
        """Read the headers and flags of these feeds if they are not in memory yet."""
        unloaded = self.index.unloaded
        if unloaded:
            for feed_id in [f for f in feed_ids if f in unloaded]:
                self.load_feed(feed_id)

    def load_emptied_headers(self) -> None:
        """Load now the feeds whose headers file is empty (a power loss during a bulk
        write): loading sets it aside and clears the feed's validators, so even a lazy
        refresh fetches the feed again instead of getting 304 for articles it lost."""
        try:
            entries = list(os.scandir(self.directory / "headers"))
        except OSError:
            return
        for entry in entries:
            feed_id = entry.name.removesuffix(".json")
            if feed_id in self.index.unloaded and entry.name.endswith(".json"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_size == 0:
                        self.load_feed(feed_id)

    def known(self, article_id: str) -> Article | None:
        """The article, loading every feed first when it is not in memory and some feeds
        are not loaded yet (an article id does not tell its feed)."""
        article = self.index.articles.get(article_id)
        if article is None and self.index.unloaded:
            self.load_all()
            article = self.index.articles.get(article_id)
        return article

    def feed_bodies(self, feed_id: str, *, strict: bool = False) -> dict[str, str]:
        """A feed's bodies (article id -> HTML; `FeedBodies` with its articles' media
        unless nothing is saved): pinned or cached ones, else its file, which then goes
        into the index's LRU. `strict` as for `read_shard`."""
        index = self.index
        with index.lock:
            cached = index.unsaved.get(feed_id) or index.bodies.get(feed_id)
            if cached is not None and not isinstance(cached, EncodedBodies):
                if feed_id in index.bodies:
                    index.bodies.move_to_end(feed_id)
                return cached
        if isinstance(cached, EncodedBodies):
            with contextlib.suppress(FileNotFoundError):  # else written meanwhile: read below
                return decode_bodies(cached)  # not written yet (rare): not worth caching
        bodies = bodies_from_doc(self.read_shard("bodies", feed_id, strict=strict))
        # A merge may have cached newer bodies while the file was read: keep those.
        return index.cache_bodies(feed_id, bodies)

    def read_shard(self, kind: str, feed_id: str, *, strict: bool = False) -> dict[str, Any] | None:
        """A feed's shard; None when missing, damaged (set aside, with a warning) or unreadable.

        `strict=True` raises OSError instead of returning None for an unreadable file:
        for callers that would otherwise overwrite the file with less than it holds.
        """
        path = self.directory / kind / f"{feed_id}.json"
        try:
            return load_json_file(path)
        except (ValueError, orjson.JSONDecodeError) as exc:
            self._shard_damaged(kind, feed_id, path, exc)
            return None
        except OSError as exc:
            if strict:
                raise
            self.warnings.append(f"Cannot read {path}: {exc.strerror}.")
            return None

    def _shard_damaged(self, kind: str, feed_id: str, path: Path, exc: Exception) -> None:
        feed = self.index.feeds.get(feed_id)
        name = feed.display_title if feed else feed_id
        reason = _reason(exc)
        if self.read_only:
            # Nothing is moved or changed; say it once even if the file is read again.
            message = f"The {kind} file of feed {name!r} is damaged ({reason}): {path}"
            if message not in self.warnings:
                self.warnings.append(message)
            return
        moved = unique_aside(path, "corrupt")
        try:
            os.replace(path, moved)
            aside = f"it was set aside as {moved}"
        except OSError as exc:
            aside = f"it could not be set aside ({exc.strerror})"
        self.warnings.append(
            f"The {kind} file of feed {name!r} was damaged ({reason}); {aside} and {_LOST[kind]}."
        )
        if kind != "flags" and feed is not None and (feed.etag or feed.last_modified):
            # Without this the next refresh sends the old validators, gets 304 Not
            # Modified, and the lost articles never come back.
            self.clear_validators(feed_id)

    def load_feed(self, feed_id: str) -> None:
        """Read one feed's flags and headers into memory (once; safe from any thread)."""
        with self.index.lock:
            if feed_id not in self.index.unloaded:
                return
        # Read and parsed without the lock: a refresh's record_fetch need not wait for it.
        flags = self.read_shard("flags", feed_id) or {}
        read: list[str] = []
        starred: list[str] = []
        gone: dict[str, None] = {}
        for doc in flags.get("flags", {}).values():
            if not isinstance(doc, dict):
                continue
            read.extend(str_ids(doc.get("read")))
            starred.extend(str_ids(doc.get("starred")))
            gone.update(dict.fromkeys(str_ids(doc.get("gone"))))
        headers = self.read_shard("headers", feed_id) or {}
        articles: dict[str, Article] = {}
        keys: dict[str, str] = {}
        make = new_article
        from_ts = datetime.fromtimestamp
        fetched_cache: dict[Any, datetime] = {}  # one refresh stamps many articles alike
        names = self._names
        if len(names) > _MAX_NAMES_KEPT:
            names.clear()
            names[""] = ()
        base_keys = HEADER_BASE_KEYS
        for doc in headers.get("articles", {}).values():
            try:
                aid = doc["id"]
                if aid in gone or aid in articles:
                    # Pruned (the flags file was saved first, a crash came before the
                    # headers) or listed twice: skip.
                    continue
                title, link, author, key = doc["title"], doc["link"], doc["author"], doc["key"]
                if not (
                    type(aid) is str
                    and type(title) is str
                    and type(link) is str
                    and type(author) is str
                    and type(key) is str
                ):
                    continue
                try:
                    published = from_ts(doc["published"], UTC)
                except (OverflowError, OSError, ValueError, TypeError):
                    published = EPOCH
                raw_fetched = doc.get("fetched")
                fetched = fetched_cache.get(raw_fetched)
                if fetched is None:
                    fetched = from_epoch(raw_fetched) or EPOCH
                    fetched_cache[raw_fetched] = fetched
                words = doc.get("words") or 0
                if len(doc) > base_keys:
                    authors, enclosures = header_extras(doc, author)
                else:
                    authors = names.get(author)
                    if authors is None:
                        authors = names[author] = (author,)
                    enclosures = 0
                articles[aid] = make(
                    aid,
                    feed_id,
                    title,
                    link,
                    author,
                    published,
                    fetched,
                    words if type(words) is int else 0,
                    authors,
                    enclosures,
                )
                keys[aid] = key
            except (KeyError, TypeError, ValueError):
                continue
        self.index.add_loaded(feed_id, articles, keys, gone, read, starred)


def _reason(exc: Exception) -> object:
    """The first part of a JSON error (no byte offsets), or the error itself."""
    return str(exc).split(":", 1)[0] if isinstance(exc, orjson.JSONDecodeError) else exc


def cannot_use(path: Path, exc: OSError) -> str:
    """Plain words for an OSError met while opening the library."""
    if exc.errno == errno.EROFS:
        why = "the disk is read-only"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    elif exc.errno == errno.ENOSPC:
        why = "the disk is full"
    else:
        why = exc.strerror or str(exc)
    return (
        f"Cannot use the library at {path}: {why}. Read-only commands (list, feeds, "
        "export) still work; or choose another library with --db."
    )
