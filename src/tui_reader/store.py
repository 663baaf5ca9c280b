"""The library: the only module that touches TinyDB.

Layout (see docs/storage.md for the full description and the reasons):

    <library>/library.json        TinyDB: tables meta, feeds, settings
    <library>/headers/<feed>.json TinyDB: table articles (what the list needs, no bodies)
    <library>/flags/<feed>.json   TinyDB: table flags (one document: read, starred, gone ids)
    <library>/bodies/<feed>.json  TinyDB: table bodies (article id -> HTML), read on demand
    <library>/library.lock        single-writer lock (flock)

All files are written through `AtomicStorage` (temp file, fsync, rename, fsync dir). The
whole header index and all flags are kept in memory, so every query is a dict or set
lookup; marking an article read changes memory at once and a background writer puts the
feed's small flags file on disk within `FLUSH_DELAY` seconds.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from .atomic import DirectoryLock, LibraryLocked, atomic_write, remove_stale_temp_files
from .models import EPOCH, UNCATEGORIZED, Article, Feed, NewArticle
from .text import clean_line, feed_url_key

__all__ = [
    "LibraryCorrupt",
    "LibraryLocked",
    "MergeResult",
    "Store",
    "StoreError",
    "StoreReadOnly",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FLUSH_DELAY = 0.05
DEFAULT_KEEP_READ = 1000
# A hard cap per feed, so one runaway feed cannot grow without bound (oldest unstarred go).
DEFAULT_MAX_PER_FEED = 5000
BODY_CACHE_FEEDS = 8


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


class AtomicStorage(Storage):
    """TinyDB storage: orjson, whole-file atomic writes, data kept in memory after a read.

    TinyDB calls `write` after every change; here that only updates memory and marks the
    file dirty. The store's writer thread calls `persist`, so a refresh that touches 1,000
    feeds writes library.json a few times instead of 1,000 times.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        read_only: bool = False,
        on_dirty: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.on_dirty = on_dirty
        self.dirty = False
        self._cache: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._cache is None:
            self._cache = load_json_file(self.path)
        return self._cache

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        self._cache = data
        self.dirty = True
        if self.on_dirty is not None:
            self.on_dirty()
        else:
            self.persist(self.snapshot())

    def snapshot(self) -> bytes | None:
        """The bytes to persist, or None when nothing changed; clears the dirty mark."""
        if not self.dirty or self._cache is None:
            return None
        self.dirty = False
        return orjson.dumps(self._cache)

    def persist(self, data: bytes | None) -> None:
        if data is not None:
            atomic_write(self.path, data)

    def close(self) -> None:
        self._cache = None


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


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _from_epoch(value: Any, default: datetime | None = EPOCH) -> datetime | None:
    if not isinstance(value, int | float):
        return default
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return default


def article_id(feed_id: str, key: str) -> str:
    """Stable id of an article: 12 hex digits from its feed and its feed-local key."""
    return hashlib.blake2b(f"{feed_id}\0{key}".encode(), digest_size=6).hexdigest()


def _feed_to_doc(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "url": feed.url,
        "title": feed.title,
        "category": feed.category,
        "site_url": feed.site_url,
        "etag": feed.etag,
        "last_modified": feed.last_modified,
        "last_checked": _epoch(feed.last_checked),
        "last_success": _epoch(feed.last_success),
        "last_error": feed.last_error,
        "failures": feed.failures,
    }


def _feed_from_doc(doc: dict[str, Any]) -> Feed:
    return Feed(
        id=str(doc["id"]),
        url=str(doc["url"]),
        title=clean_line(doc.get("title") or ""),
        category=clean_line(doc.get("category") or "") or UNCATEGORIZED,
        site_url=str(doc.get("site_url") or ""),
        etag=doc.get("etag") if isinstance(doc.get("etag"), str) else None,
        last_modified=doc.get("last_modified")
        if isinstance(doc.get("last_modified"), str)
        else None,
        last_checked=_from_epoch(doc.get("last_checked"), None),
        last_success=_from_epoch(doc.get("last_success"), None),
        last_error=doc.get("last_error") if isinstance(doc.get("last_error"), str) else None,
        failures=int(doc.get("failures") or 0),
    )


def _header_doc(article: Article, key: str) -> dict[str, Any]:
    return {
        "id": article.id,
        "key": key,
        "title": article.title,
        "link": article.link,
        "author": article.author,
        "published": article.published.timestamp(),
        "fetched": article.fetched.timestamp(),
        "words": article.words,
    }


def _word_count(html: str) -> int:
    # Cheap estimate for the reading time; tags count as a word or two, which is noise.
    return len(html.split()) if html else 0


class Store:
    """The library. Open with `Store.open(path)`; close with `close()` (flushes)."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only
        self.warnings: list[str] = []
        self.keep_read = DEFAULT_KEEP_READ
        self.max_per_feed = DEFAULT_MAX_PER_FEED
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._dir_lock: DirectoryLock | None = None
        self._db: TinyDB | None = None
        self._feeds: dict[str, Feed] = {}
        self._articles: dict[str, Article] = {}
        self._keys: dict[str, str] = {}  # article id -> feed-local key
        self._by_feed: dict[str, set[str]] = {}
        self._read: set[str] = set()
        self._starred: set[str] = set()
        self._gone: dict[str, set[str]] = {}  # feed id -> ids pruned by retention
        self._sorted: list[Article] | None = None
        self._bodies: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._dirty_flags: set[str] = set()
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._writing = False
        self._closed = False
        self._writer: threading.Thread | None = None
        self._error_listeners: list[Callable[[str], None]] = []
        self.last_write_error: str | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, directory: str | os.PathLike[str], *, read_only: bool = False) -> Store:
        """Open (creating if needed) the library in `directory`.

        A writer takes the directory lock (`LibraryLocked` if another instance has it);
        `read_only=True` takes no lock and refuses changes, for `list`, `feeds`, `export`.
        """
        store = cls(Path(directory), read_only=read_only)
        store._open()
        return store

    def _open(self) -> None:
        directory = self.directory
        if self.read_only:
            if not (directory / "library.json").exists():
                raise StoreError(f"There is no library at {directory}.")
        else:
            for sub in ("", "headers", "flags", "bodies"):
                (directory / sub).mkdir(parents=True, exist_ok=True)
            self._dir_lock = DirectoryLock(directory)
            self._dir_lock.acquire()
            for sub in ("", "headers", "flags", "bodies"):
                remove_stale_temp_files(directory / sub)
        try:
            self._load_main()
            self._load_shards()
        except BaseException:
            self._release_lock()
            raise
        if not self.read_only:
            self._writer = threading.Thread(target=self._writer_loop, name="store-writer")
            self._writer.daemon = True
            self._writer.start()

    def _release_lock(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    def _load_main(self) -> None:
        path = self.directory / "library.json"
        backup = self.directory / "library.json.bak"
        try:
            load_json_file(path)
        except (ValueError, orjson.JSONDecodeError) as exc:
            if self.read_only:
                raise StoreError(f"The library file {path} cannot be read ({exc}).") from None
            stamp = time.strftime("%Y%m%d-%H%M%S")
            moved = path.with_name(f"library.json.corrupt-{stamp}")
            os.replace(path, moved)
            has_backup = backup.exists()
            message = (
                f"The library file could not be read ({exc}). It was moved to {moved.name} "
                "and has not been changed."
            )
            if has_backup:
                message += (
                    f" The last good copy is {backup.name}: run `tui-reader restore-backup` "
                    "to go back to it."
                )
            raise LibraryCorrupt(message, moved, backup if has_backup else None) from None
        except OSError as exc:
            raise StoreError(f"The library file {path} cannot be read: {exc.strerror}.") from None
        self._db = TinyDB(
            path, storage=AtomicStorage, read_only=self.read_only, on_dirty=self._main_dirty
        )
        self._main_storage = self._db.storage
        assert isinstance(self._main_storage, AtomicStorage)
        meta = self._db.table("meta")
        if not self.read_only and not meta.all():
            meta.insert({"schema": SCHEMA_VERSION, "created": time.time()})
        for doc in self._db.table("feeds").all():
            try:
                feed = _feed_from_doc(doc)
            except (KeyError, TypeError, ValueError):
                self.warnings.append("A damaged subscription record was skipped.")
                continue
            self._feeds[feed.id] = feed
        if not self.read_only and path.exists():
            # A good load: keep it as the backup that a later corruption can fall back to.
            with contextlib.suppress(OSError):
                shutil.copyfile(path, backup)

    def _load_shards(self) -> None:
        gc_was_enabled = gc.isenabled()
        gc.disable()  # 100k small objects: the collector would rescan them again and again
        try:
            for feed_id in self._feeds:
                self._load_feed_shards(feed_id)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _read_shard(self, kind: str, feed_id: str) -> dict[str, Any] | None:
        path = self.directory / kind / f"{feed_id}.json"
        try:
            return load_json_file(path)
        except (ValueError, orjson.JSONDecodeError) as exc:
            self.warnings.append(
                f"The {kind} file of feed {self._feeds[feed_id].display_title!r} was damaged "
                f"({exc}); it was set aside and the feed will be fetched again."
            )
            if not self.read_only:
                with contextlib.suppress(OSError):
                    os.replace(path, path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
            return None
        except OSError as exc:
            self.warnings.append(f"Cannot read {path}: {exc.strerror}.")
            return None

    def _load_feed_shards(self, feed_id: str) -> None:
        ids: set[str] = set()
        self._by_feed[feed_id] = ids
        headers = self._read_shard("headers", feed_id) or {}
        articles = self._articles
        keys = self._keys
        for doc in headers.get("articles", {}).values():
            try:
                aid = doc["id"]
                articles[aid] = Article(
                    id=aid,
                    feed_id=feed_id,
                    title=doc["title"],
                    link=doc["link"],
                    author=doc["author"],
                    published=_from_epoch(doc["published"]) or EPOCH,
                    fetched=_from_epoch(doc.get("fetched")) or EPOCH,
                    words=int(doc.get("words") or 0),
                )
                keys[aid] = doc["key"]
                ids.add(aid)
            except (KeyError, TypeError, ValueError):
                continue
        flags = self._read_shard("flags", feed_id) or {}
        for doc in flags.get("flags", {}).values():
            if not isinstance(doc, dict):
                continue
            self._read.update(i for i in doc.get("read", ()) if i in ids)
            self._starred.update(i for i in doc.get("starred", ()) if i in ids)
            self._gone[feed_id] = {i for i in doc.get("gone", ()) if isinstance(i, str)}

    # ------------------------------------------------------------------ closing

    def flush(self, timeout: float = 30.0) -> None:
        """Block until every change made so far is on disk (or raise StoreError)."""
        if self.read_only or self._writer is None:
            return
        deadline = time.monotonic() + timeout
        with self._idle:
            self._wake.set()
            while (self._has_pending() or self._writing) and time.monotonic() < deadline:
                self._idle.wait(0.05)
                self._wake.set()
            if self._has_pending() and self.last_write_error:
                raise StoreError(f"Changes could not be saved: {self.last_write_error}")

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            if self._writer is not None:
                self._writer.join(timeout=5)
            if self._db is not None:
                self._db.close()
            self._release_lock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_error_listener(self, callback: Callable[[str], None]) -> None:
        """`callback(message)` runs (on the writer thread) when a background save fails."""
        self._error_listeners.append(callback)

    # ------------------------------------------------------------------ writer

    def _main_dirty(self) -> None:
        self._wake.set()

    def _has_pending(self) -> bool:
        return bool(self._dirty_flags) or self._main_storage.dirty

    def _writer_loop(self) -> None:
        while True:
            self._wake.wait(timeout=1.0)
            closing = self._closed
            if closing and not self._has_pending():
                break
            if not closing:
                time.sleep(FLUSH_DELAY)  # let a burst of changes coalesce into one write
            self._wake.clear()
            self._write_pending()

    def _write_pending(self) -> None:
        with self._lock:
            pending = self._dirty_flags
            self._dirty_flags = set()
            payloads = {fid: self._flags_payload(fid) for fid in pending if fid in self._feeds}
            main = self._main_storage.snapshot()
            self._writing = bool(payloads) or main is not None
        failed: dict[str, str] = {}
        main_failed: str | None = None
        if main is not None:
            try:
                with self._write_lock:
                    self._main_storage.persist(main)
            except OSError as exc:
                main_failed = exc.strerror or str(exc)
        for feed_id, payload in payloads.items():
            try:
                self._write_shard("flags", feed_id, payload)
            except OSError as exc:
                failed[feed_id] = exc.strerror or str(exc)
        with self._idle:
            self._writing = False
            if failed or main_failed:
                self._dirty_flags.update(failed)
                if main_failed:
                    self._main_storage.dirty = True
                self.last_write_error = main_failed or next(iter(failed.values()))
            elif payloads or main is not None:
                self.last_write_error = None
            self._idle.notify_all()
        if failed or main_failed:
            for listener in self._error_listeners:
                with contextlib.suppress(Exception):
                    listener(f"Could not save changes: {self.last_write_error}")
            time.sleep(0.5)  # back off before the retry

    def _flags_payload(self, feed_id: str) -> dict[str, Any]:
        ids = self._by_feed.get(feed_id, set())
        return {
            "flags": {
                "1": {
                    "read": sorted(ids & self._read),
                    "starred": sorted(ids & self._starred),
                    "gone": sorted(self._gone.get(feed_id, ())),
                }
            }
        }

    def _write_shard(self, kind: str, feed_id: str, payload: dict[str, Any]) -> None:
        path = self.directory / kind / f"{feed_id}.json"
        data = orjson.dumps(payload)
        with self._write_lock:
            atomic_write(path, data)

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        if self._closed:
            raise StoreError("the library is closed")

    def _mark_flags_dirty(self, feed_ids: Iterable[str]) -> None:
        self._dirty_flags.update(feed_ids)
        self._wake.set()

    # ------------------------------------------------------------------ feeds

    def feeds(self) -> list[Feed]:
        """All feeds, by category then title (case-insensitive)."""
        with self._lock:
            return sorted(
                self._feeds.values(), key=lambda f: (f.category.lower(), f.display_title.lower())
            )

    def feed(self, feed_id: str) -> Feed | None:
        return self._feeds.get(feed_id)

    def find_feed_by_url(self, url: str) -> Feed | None:
        key = feed_url_key(url)
        with self._lock:
            for feed in self._feeds.values():
                if feed_url_key(feed.url) == key:
                    return feed
        return None

    def categories(self) -> list[str]:
        with self._lock:
            return sorted({f.category for f in self._feeds.values()}, key=str.lower)

    def feeds_in(self, category: str) -> list[Feed]:
        return [f for f in self.feeds() if f.category == category]

    def add_feed(
        self, url: str, title: str = "", category: str = "", site_url: str = ""
    ) -> tuple[Feed, bool]:
        """Subscribe; returns (feed, created). An existing subscription is returned as is."""
        self._check_writable()
        with self._lock:
            existing = self.find_feed_by_url(url)
            if existing is not None:
                return existing, False
            base = hashlib.blake2b(feed_url_key(url).encode(), digest_size=4).hexdigest()
            feed_id, n = base, 1
            while feed_id in self._feeds:
                feed_id, n = f"{base}{n}", n + 1
            feed = Feed(
                id=feed_id,
                url=url,
                title=clean_line(title, 300),
                category=clean_line(category, 300) or UNCATEGORIZED,
                site_url=site_url,
            )
            self._save_feed(feed)
            self._feeds[feed_id] = feed
            self._by_feed[feed_id] = set()
            return feed, True

    def update_feed(self, feed_id: str, **changes: Any) -> Feed:
        """Change a feed's fields (title, category, url, etag, ...) and save it."""
        self._check_writable()
        with self._lock:
            feed = self._feeds[feed_id]
            if "title" in changes:
                changes["title"] = clean_line(changes["title"], 300)
            if "category" in changes:
                changes["category"] = clean_line(changes["category"], 300) or UNCATEGORIZED
            updated = replace(feed, **changes)
            if updated != feed:
                self._save_feed(updated)
                self._feeds[feed_id] = updated
            return updated

    def _save_feed(self, feed: Feed) -> None:
        assert self._db is not None
        self._db.table("feeds").upsert(_feed_to_doc(feed), Query().id == feed.id)

    def remove_feed(self, feed_id: str) -> None:
        """Unsubscribe and delete the feed's articles (starred ones too: the user asked)."""
        self._check_writable()
        with self._lock:
            assert self._db is not None
            self._db.table("feeds").remove(Query().id == feed_id)
            self._feeds.pop(feed_id, None)
            for aid in self._by_feed.pop(feed_id, set()):
                self._articles.pop(aid, None)
                self._keys.pop(aid, None)
                self._read.discard(aid)
                self._starred.discard(aid)
            self._gone.pop(feed_id, None)
            self._bodies.pop(feed_id, None)
            self._dirty_flags.discard(feed_id)
            self._sorted = None
            for kind in ("headers", "flags", "bodies"):
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / kind / f"{feed_id}.json").unlink()

    def rename_category(self, old: str, new: str) -> int:
        changed = 0
        for feed in self.feeds_in(old):
            self.update_feed(feed.id, category=new)
            changed += 1
        return changed

    # ------------------------------------------------------------------ settings

    def setting(self, name: str, default: Any = None) -> Any:
        assert self._db is not None
        docs = self._db.table("settings").search(Query().name == name)
        return docs[0].get("value", default) if docs else default

    def set_setting(self, name: str, value: Any) -> None:
        self._check_writable()
        assert self._db is not None
        with self._lock:
            self._db.table("settings").upsert({"name": name, "value": value}, Query().name == name)

    # ------------------------------------------------------------------ articles

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def __len__(self) -> int:
        return len(self._articles)

    def _all_sorted(self) -> list[Article]:
        if self._sorted is None:
            self._sorted = sorted(
                self._articles.values(), key=lambda a: (a.published, a.id), reverse=True
            )
        return self._sorted

    def articles(
        self,
        feed_ids: Collection[str] | None = None,
        *,
        unread_only: bool = False,
        starred_only: bool = False,
        since: datetime | None = None,
    ) -> list[Article]:
        """Articles, newest first, filtered. `feed_ids=None` means every feed."""
        with self._lock:
            result: Iterable[Article] = self._all_sorted()
            if since is not None:
                # Newest first: the articles since a moment are a prefix of the list.
                result = itertools.takewhile(lambda a: a.published >= since, result)
            if feed_ids is not None:
                wanted = set(feed_ids)
                result = (a for a in result if a.feed_id in wanted)
            if unread_only:
                read = self._read
                result = (a for a in result if a.id not in read)
            if starred_only:
                starred = self._starred
                result = (a for a in result if a.id in starred)
            return list(result)

    def is_read(self, article_id: str) -> bool:
        return article_id in self._read

    def is_starred(self, article_id: str) -> bool:
        return article_id in self._starred

    def unread_count(self, feed_ids: Iterable[str] | None = None) -> int:
        with self._lock:
            if feed_ids is None:
                return len(self._articles) - len(self._read)
            return sum(len(self._by_feed.get(f, ())) - self._read_in(f) for f in feed_ids)

    def _read_in(self, feed_id: str) -> int:
        ids = self._by_feed.get(feed_id, set())
        return len(ids & self._read) if len(ids) < len(self._read) else len(self._read & ids)

    def unread_counts_by_feed(self) -> dict[str, int]:
        with self._lock:
            unread: dict[str, int] = {}
            for feed_id, ids in self._by_feed.items():
                unread[feed_id] = len(ids) - len(ids & self._read)
            return unread

    def article_counts_by_feed(self) -> dict[str, int]:
        with self._lock:
            return {feed_id: len(ids) for feed_id, ids in self._by_feed.items()}

    def starred_count(self) -> int:
        return len(self._starred)

    def set_read(self, article_ids: Iterable[str], read: bool = True) -> list[str]:
        """Mark articles read or unread; returns the ids whose flag actually changed."""
        return self._set_flag(self._read, article_ids, read)

    def set_starred(self, article_ids: Iterable[str], starred: bool = True) -> list[str]:
        return self._set_flag(self._starred, article_ids, starred)

    def _set_flag(self, flag: set[str], article_ids: Iterable[str], value: bool) -> list[str]:
        self._check_writable()
        changed: list[str] = []
        feeds: set[str] = set()
        with self._lock:
            for aid in article_ids:
                article = self._articles.get(aid)
                if article is None or (aid in flag) == value:
                    continue
                if value:
                    flag.add(aid)
                else:
                    flag.discard(aid)
                changed.append(aid)
                feeds.add(article.feed_id)
            if feeds:
                self._mark_flags_dirty(feeds)
        return changed

    # ------------------------------------------------------------------ bodies

    def body(self, article_id: str) -> str:
        """The article's HTML body ("" when it has none or its file is unreadable)."""
        article = self._articles.get(article_id)
        if article is None:
            return ""
        return self._feed_bodies(article.feed_id).get(article_id, "")

    def _feed_bodies(self, feed_id: str) -> dict[str, str]:
        with self._lock:
            cached = self._bodies.get(feed_id)
            if cached is not None:
                self._bodies.move_to_end(feed_id)
                return cached
        data = self._read_shard("bodies", feed_id) or {}
        bodies = {
            doc["id"]: doc["html"]
            for doc in data.get("bodies", {}).values()
            if isinstance(doc, dict) and isinstance(doc.get("html"), str) and "id" in doc
        }
        with self._lock:
            self._bodies[feed_id] = bodies
            while len(self._bodies) > BODY_CACHE_FEEDS:
                self._bodies.popitem(last=False)
        return bodies

    # ------------------------------------------------------------------ refresh

    def merge_articles(
        self, feed_id: str, incoming: Iterable[NewArticle], fetched_at: datetime
    ) -> MergeResult:
        """Add new articles and update changed ones for one feed, then apply retention.

        Identity is (feed, key): the same article fetched again never duplicates, keeps its
        flags, and has its content replaced when it changed. Articles pruned by retention
        are remembered by id so that a feed still listing them does not bring them back.
        """
        self._check_writable()
        bodies = dict(self._feed_bodies(feed_id))
        new = updated = 0
        with self._lock:
            if feed_id not in self._feeds:
                raise StoreError("that feed is no longer subscribed")
            ids = self._by_feed.setdefault(feed_id, set())
            gone = self._gone.setdefault(feed_id, set())
            seen: set[str] = set()
            for item in incoming:
                aid = article_id(feed_id, item.key)
                if aid in seen or aid in gone:
                    continue
                seen.add(aid)
                old = self._articles.get(aid)
                article = Article(
                    id=aid,
                    feed_id=feed_id,
                    title=item.title,
                    link=item.link,
                    author=item.author,
                    published=item.published,
                    fetched=old.fetched if old else fetched_at,
                    words=_word_count(item.body_html),
                )
                if old is None:
                    new += 1
                elif old == article and bodies.get(aid, "") == item.body_html:
                    continue
                else:
                    updated += 1
                    # Keep the original date so an edited article does not jump to the top.
                    article = replace(article, published=old.published)
                self._articles[aid] = article
                self._keys[aid] = item.key
                ids.add(aid)
                bodies[aid] = item.body_html
            pruned = self._apply_retention(feed_id, bodies)
            if not (new or updated or pruned):
                return MergeResult()
            self._sorted = None
            headers = {
                "articles": {
                    str(n): _header_doc(self._articles[aid], self._keys[aid])
                    for n, aid in enumerate(sorted(ids), start=1)
                }
            }
            body_docs = {
                "bodies": {
                    str(n): {"id": aid, "html": bodies.get(aid, "")}
                    for n, aid in enumerate(sorted(ids), start=1)
                }
            }
            self._bodies[feed_id] = bodies
            if pruned:
                self._mark_flags_dirty([feed_id])
        try:
            # Bodies first: a header without its body shows an empty article, the other
            # way round an article nobody can reach.
            self._write_shard("bodies", feed_id, body_docs)
            self._write_shard("headers", feed_id, headers)
        except OSError as exc:
            raise StoreError(f"Could not save new articles: {exc.strerror or exc}") from None
        return MergeResult(new=new, updated=updated, pruned=pruned)

    def _apply_retention(self, feed_id: str, bodies: dict[str, str]) -> int:
        ids = self._by_feed[feed_id]
        if len(ids) <= min(self.keep_read, self.max_per_feed):
            return 0
        newest_first = sorted(
            (self._articles[i] for i in ids), key=lambda a: (a.published, a.id), reverse=True
        )
        doomed: list[str] = []
        read_kept = 0
        total_kept = 0
        for article in newest_first:
            aid = article.id
            if aid in self._starred:
                total_kept += 1
                continue
            if aid in self._read:
                if read_kept >= self.keep_read or total_kept >= self.max_per_feed:
                    doomed.append(aid)
                    continue
                read_kept += 1
            elif total_kept >= self.max_per_feed:
                doomed.append(aid)
                continue
            total_kept += 1
        gone = self._gone.setdefault(feed_id, set())
        for aid in doomed:
            ids.discard(aid)
            self._articles.pop(aid, None)
            self._keys.pop(aid, None)
            self._read.discard(aid)
            bodies.pop(aid, None)
            gone.add(aid)
        # Tombstones only matter while the feed still lists the article; keep them bounded.
        if len(gone) > 4 * self.max_per_feed:
            for aid in sorted(gone)[: len(gone) - 4 * self.max_per_feed]:
                gone.discard(aid)
        return len(doomed)

    def record_fetch(
        self,
        feed_id: str,
        *,
        ok: bool,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        url: str | None = None,
        when: datetime | None = None,
    ) -> Feed | None:
        """Record the outcome of a fetch (success, 304 or failure) on the feed."""
        now = when or datetime.now(UTC)
        with self._lock:
            feed = self._feeds.get(feed_id)
            if feed is None:
                return None
            changes: dict[str, Any] = {"last_checked": now}
            if ok:
                changes.update(last_success=now, last_error=None, failures=0)
                if etag is not None:
                    changes["etag"] = etag
                if last_modified is not None:
                    changes["last_modified"] = last_modified
                if title and not feed.title:
                    changes["title"] = title
                if site_url and not feed.site_url:
                    changes["site_url"] = site_url
                if url and url != feed.url and self.find_feed_by_url(url) is None:
                    changes["url"] = url
            else:
                changes.update(last_error=clean_line(error or "unknown error", 500))
                changes["failures"] = feed.failures + 1
            return self.update_feed(feed_id, **changes)

    # ------------------------------------------------------------------ misc

    def iter_feed_articles(self, feed_id: str) -> Iterator[Article]:
        with self._lock:
            ids = list(self._by_feed.get(feed_id, ()))
        for aid in ids:
            article = self._articles.get(aid)
            if article is not None:
                yield article
