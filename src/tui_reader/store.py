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
import errno
import gc
import hashlib
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from tinydb import Query, TinyDB
from tinydb.storages import Storage

from .atomic import (
    DirectoryLock,
    LibraryLocked,
    atomic_write,
    fsync_dir,
    publish_staged,
    remove_stale_temp_files,
)
from .models import EPOCH, UNCATEGORIZED, Article, EncodedBodies, Feed, NewArticle
from .records import (
    LibraryCorrupt,
    MergeResult,
    StoreError,
    StoreReadOnly,
    article_id,
    bodies_file,
    bodies_from_doc,
    decode_bodies,
    feed_from_doc,
    feed_to_doc,
    from_epoch,
    header_doc,
    load_json_file,
    load_main_file,
    new_article,
    sort_key,
    str_ids,
    unique_aside,
    word_count,
)
from .text import clean_line, feed_url_key

__all__ = [
    "LibraryCorrupt",
    "LibraryLocked",
    "MergeResult",
    "Store",
    "StoreError",
    "StoreReadOnly",
    "article_id",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FLUSH_DELAY = 0.01
RETRY_DELAY = 0.5
# Inside `bulk_writes` (a refresh) library.json is written at most this often unless
# someone flushes: 1,000 fetch records would otherwise rewrite it a hundred times.
BULK_MAIN_INTERVAL = 2.0
DEFAULT_KEEP_READ = 1000
# A hard cap per feed, so one runaway feed cannot grow without bound (oldest unstarred go).
DEFAULT_MAX_PER_FEED = 5000
# Per-feed files, one folder each: removed with their feed, swept of stale temp files.
FEED_FILE_KINDS = ("headers", "flags", "bodies", "fulltext")
BODY_CACHE_FEEDS = 8
# Reading positions remembered (the most recently left articles win).
MAX_POSITIONS = 500


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

    def put(self, table: str, doc_id: str, doc: dict[str, Any]) -> None:
        """Set one document. TinyDB's own update rebuilds the whole table dict on every
        call (O(feeds) per `record_fetch`, seconds over a refresh of 2,000 feeds); this is
        O(1) and writes exactly the document shape TinyDB reads back."""
        data = self.read() or {}
        data.setdefault(table, {})[doc_id] = doc
        self.write(data)

    def delete(self, table: str, doc_id: str) -> None:
        data = self.read() or {}
        if data.get(table, {}).pop(doc_id, None) is not None:
            self.write(data)

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


class Store:
    """The library. Open with `Store.open(path)`; close with `close()` (flushes)."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only
        self.warnings: list[str] = []
        self.keep_read = DEFAULT_KEEP_READ
        self.max_per_feed = DEFAULT_MAX_PER_FEED
        # Lock order: _merge_lock, then _lock, then _write_lock. Nobody takes _lock while
        # holding _write_lock, so disk writes never wait for the UI and vice versa.
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._merge_lock = threading.Lock()
        self._bulk_depth = 0  # > 0 inside `bulk_writes`
        self._bulk_unsynced = False  # an article file was written without fsync
        self._main_since = 0.0  # monotonic time library.json was last written (or deferred from)
        self._flush_waiters = 0  # flush() calls waiting: the writer defers nothing then
        # library.json as it opened cleanly, for the writer to save as library.json.bak.
        self._pending_backup: bytes | None = None
        self._dir_lock: DirectoryLock | None = None
        self._db: TinyDB | None = None
        self._main_storage: AtomicStorage | None = None
        self._feeds: dict[str, Feed] = {}
        self._feed_docs: dict[str, str] = {}  # feed id -> TinyDB doc id in the feeds table
        self._url_keys: dict[str, str] = {}  # feed_url_key(url) -> feed id
        self._articles: dict[str, Article] = {}
        self._keys: dict[str, str] = {}  # article id -> feed-local key
        self._by_feed: dict[str, set[str]] = {}
        self._read: set[str] = set()
        self._starred: set[str] = set()
        self._unread: dict[str, int] = {}  # feed id -> unread count, kept up to date
        # feed id -> ids pruned by retention, oldest first (a dict is an ordered set).
        self._gone: dict[str, dict[str, None]] = {}
        self._sorted: list[Article] | None = None
        self._bodies: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._dirty_flags: set[str] = set()
        # Feeds whose headers/bodies could not be written by merge_articles: the writer
        # retries them, with the bodies pinned here so an LRU eviction cannot lose them.
        # A first fetch's bodies may be pinned as the file a parser process encoded.
        self._unsaved: dict[str, dict[str, str] | EncodedBodies] = {}
        self._published: set[str] = set()  # staged files renamed into place (_write_lock)
        # Every payload gets a version when it is built (under _lock); a write is skipped
        # when a newer payload of the same file is already on disk, so two writers (the
        # background thread and a synchronous save) can never put an older state last.
        self._version = 0
        self._written: dict[tuple[str, str], int] = {}
        self._wake = threading.Event()
        self._idle = threading.Condition(self._lock)
        self._writing = False
        self._passes = 0
        self._closed = False
        self._writer: threading.Thread | None = None
        self._error_listeners: list[Callable[[str], None]] = []
        self.last_write_error: str | None = None
        # Full-text cache per feed (article id -> record), read on demand; and the
        # reading positions (article id -> record), read from settings on first use.
        self._full_texts: dict[str, dict[str, dict[str, Any]]] = {}
        self._positions: dict[str, dict[str, Any]] | None = None
        # Feeds whose headers and flags are not in memory yet (`open(lazy=True)`): read
        # the first time something needs them. Empty after an eager open.
        self._unloaded: set[str] = set()

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls,
        directory: str | os.PathLike[str],
        *,
        read_only: bool = False,
        lazy: bool = False,
        start_writer: bool = True,
    ) -> Store:
        """Open (creating if needed) the library in `directory`.

        A writer takes the directory lock (`LibraryLocked` if another instance has it);
        `read_only=True` takes no lock and refuses changes, for `list`, `feeds`, `export`.
        `lazy=True` reads only library.json now and each feed's headers and flags the
        first time they are needed (`refresh`: a feed that answers 304 needs neither).
        `start_writer=False` leaves the writer thread unstarted until `start_writer()` (or
        the first `flush`/`close`), so that the caller can fork while no other thread runs
        (`tui-reader refresh` starts its parser processes so).
        Every failure is a `StoreError` (or subclass) with a message for the user.
        """
        store = cls(Path(directory), read_only=read_only)
        store._open(lazy=lazy, start_writer=start_writer)
        return store

    def start_writer(self) -> None:
        """Start the writer thread, if `open(start_writer=False)` left it waiting."""
        writer = self._writer
        if writer is not None and writer.ident is None:
            writer.start()

    def _open(self, *, lazy: bool = False, start_writer: bool = True) -> None:
        directory = self.directory
        if self.read_only:
            if not (directory / "library.json").exists():
                raise StoreError(f"There is no library at {directory}.")
        else:
            try:
                for sub in ("", "headers", "flags", "bodies"):
                    (directory / sub).mkdir(parents=True, exist_ok=True)
                self._dir_lock = DirectoryLock(directory)
                self._dir_lock.acquire()
            except OSError as exc:
                raise StoreError(_cannot_use(directory, exc)) from None
            for sub in ("", *FEED_FILE_KINDS):
                remove_stale_temp_files(directory / sub)
        try:
            self._load_main()
            self._unloaded = set(self._feeds)
            if lazy:
                self._load_emptied_headers()
            else:
                self._load_all()
        except BaseException:
            self._release_lock()
            raise
        if not self.read_only:
            self._writer = threading.Thread(target=self._writer_loop, name="store-writer")
            self._writer.daemon = True
            if self._pending_backup is not None:
                self._wake.set()
            if start_writer:
                self.start_writer()

    def _release_lock(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    def _load_main(self) -> None:
        path = self.directory / "library.json"
        backup = self.directory / "library.json.bak"
        try:
            data = load_main_file(path)
        except (ValueError, orjson.JSONDecodeError) as exc:
            reason = str(exc).split(":", 1)[0] if isinstance(exc, orjson.JSONDecodeError) else exc
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
            raise StoreError(_cannot_use(path, exc)) from None
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
        self._db = TinyDB(
            path, storage=AtomicStorage, read_only=self.read_only, on_dirty=self._main_dirty
        )
        storage = self._db.storage
        assert isinstance(storage, AtomicStorage)
        storage._cache = data  # already read and checked: no second read, no TOCTOU
        self._main_storage = storage
        meta = self._db.table("meta").all()
        schema = meta[0].get("schema") if meta else None
        if isinstance(schema, int) and schema > SCHEMA_VERSION:
            self._db.close()
            raise StoreError(
                f"The library at {self.directory} was written by a newer tui-reader "
                f"(format {schema}; this version reads format {SCHEMA_VERSION}). "
                "Update tui-reader to open it."
            )
        if not self.read_only and not meta:
            self._db.table("meta").insert({"schema": SCHEMA_VERSION, "created": time.time()})
        raw_feeds = (data or {}).get("feeds", {})
        for doc_id, doc in raw_feeds.items():
            try:
                feed = feed_from_doc(doc)
            except (KeyError, TypeError, ValueError, AttributeError):
                self.warnings.append("A damaged subscription record was skipped.")
                continue
            self._feeds[feed.id] = feed
            self._feed_docs[feed.id] = doc_id
            self._url_keys.setdefault(feed_url_key(feed.url), feed.id)
        if not self.read_only and data is not None:
            # A good load: keep it as the backup that a later corruption can fall back to.
            # The writer thread saves it (atomically) before anything else, so opening does
            # not wait for its fsyncs.
            with contextlib.suppress(OSError):
                self._pending_backup = path.read_bytes()

    def _load_all(self) -> None:
        """Read the headers and flags of every feed not in memory yet."""
        if not self._unloaded:
            return
        gc_was_enabled = gc.isenabled()
        gc.disable()  # 100k small objects: the collector would rescan them again and again
        try:
            for feed_id in list(self._unloaded):
                self._load_feed(feed_id)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _load_feeds(self, feed_ids: Iterable[str]) -> None:
        """Read the headers and flags of these feeds if they are not in memory yet."""
        unloaded = self._unloaded
        if unloaded:
            for feed_id in [f for f in feed_ids if f in unloaded]:
                self._load_feed(feed_id)

    def _load_emptied_headers(self) -> None:
        """Load now the feeds whose headers file is empty (a power loss during a bulk
        write): loading sets it aside and clears the feed's validators, so even a lazy
        refresh fetches the feed again instead of getting 304 for articles it lost."""
        try:
            entries = list(os.scandir(self.directory / "headers"))
        except OSError:
            return
        for entry in entries:
            feed_id = entry.name.removesuffix(".json")
            if feed_id in self._unloaded and entry.name.endswith(".json"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_size == 0:
                        self._load_feed(feed_id)

    def _known(self, article_id: str) -> Article | None:
        """The article, loading every feed first when it is not in memory and some feeds
        are not loaded yet (an article id does not tell its feed)."""
        article = self._articles.get(article_id)
        if article is None and self._unloaded:
            self._load_all()
            article = self._articles.get(article_id)
        return article

    def _read_shard(
        self, kind: str, feed_id: str, *, strict: bool = False
    ) -> dict[str, Any] | None:
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
        feed = self._feeds.get(feed_id)
        name = feed.display_title if feed else feed_id
        reason = str(exc).split(":", 1)[0] if isinstance(exc, orjson.JSONDecodeError) else exc
        lost = {
            "headers": "its articles will be fetched again",
            "bodies": "the article texts will be fetched again",
            "flags": "its read and starred marks were lost",
        }[kind]
        if self.read_only:
            # Nothing is moved or changed; say it once even if the file is read again.
            message = f"The {kind} file of feed {name!r} is damaged ({reason})."
            if message not in self.warnings:
                self.warnings.append(message)
            return
        self.warnings.append(
            f"The {kind} file of feed {name!r} was damaged ({reason}); it was set aside and {lost}."
        )
        with contextlib.suppress(OSError):
            os.replace(path, unique_aside(path, "corrupt"))
        if kind != "flags" and feed is not None and (feed.etag or feed.last_modified):
            # Without this the next refresh sends the old validators, gets 304 Not
            # Modified, and the lost articles never come back.
            with self._lock:
                self._store_feed(replace(feed, etag=None, last_modified=None))

    def _load_feed(self, feed_id: str) -> None:
        """Read one feed's flags and headers into memory (once; safe from any thread)."""
        with self._lock:
            if feed_id not in self._unloaded:
                return
        # Read and parsed without the lock: a refresh's record_fetch need not wait for it.
        flags = self._read_shard("flags", feed_id) or {}
        read: list[str] = []
        starred: list[str] = []
        gone: dict[str, None] = {}
        for doc in flags.get("flags", {}).values():
            if not isinstance(doc, dict):
                continue
            read.extend(str_ids(doc.get("read")))
            starred.extend(str_ids(doc.get("starred")))
            gone.update(dict.fromkeys(str_ids(doc.get("gone"))))
        headers = self._read_shard("headers", feed_id) or {}
        ids: set[str] = set()
        articles: dict[str, Article] = {}
        keys: dict[str, str] = {}
        make = new_article
        from_ts = datetime.fromtimestamp
        fetched_cache: dict[Any, datetime] = {}  # one refresh stamps many articles alike
        for doc in headers.get("articles", {}).values():
            try:
                aid = doc["id"]
                if aid in gone or aid in ids:
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
                articles[aid] = make(
                    aid,
                    feed_id,
                    title,
                    link,
                    author,
                    published,
                    fetched,
                    words if type(words) is int else 0,
                )
                keys[aid] = key
                ids.add(aid)
            except (KeyError, TypeError, ValueError):
                continue
        read_here = {i for i in read if i in ids}
        with self._lock:
            if feed_id not in self._unloaded:
                return  # loaded by another thread meanwhile, or unsubscribed
            self._unloaded.discard(feed_id)
            self._articles.update(articles)
            self._keys.update(keys)
            self._by_feed[feed_id] = ids
            self._gone[feed_id] = gone
            self._read.update(read_here)
            self._starred.update(i for i in starred if i in ids)
            self._unread[feed_id] = len(ids) - len(read_here)
            self._sorted = None

    # ------------------------------------------------------------------ closing

    def flush(self, timeout: float = 30.0) -> None:
        """Block until every change made so far is on disk (or raise StoreError).

        Raises as soon as a write attempt made after the call fails, instead of waiting
        out the timeout; the change stays pending and the writer keeps retrying.
        """
        if self.read_only or self._writer is None:
            return
        self.start_writer()
        deadline = time.monotonic() + timeout
        with self._idle:
            start = self._passes
            self._flush_waiters += 1  # the writer defers nothing while someone waits
            try:
                self._wake.set()
                while self._has_pending() or self._writing:
                    if self._passes > start and self.last_write_error:
                        raise StoreError(f"Changes could not be saved: {self.last_write_error}")
                    if not self._writer.is_alive():
                        raise StoreError("Changes could not be saved: the writer has stopped.")
                    if time.monotonic() >= deadline:
                        raise StoreError("Changes could not be saved in time (the disk is slow?).")
                    self._idle.wait(0.05)
                    self._wake.set()
            finally:
                self._flush_waiters -= 1

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        finally:
            # The writer makes one last attempt and stops, even if that fails: it must
            # never write after the directory lock is released.
            self._closed = True
            self._wake.set()
            if self._writer is not None and self._writer.ident is not None:
                self._writer.join(timeout=10)
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
        if self._bulk_depth == 0:  # inside bulk_writes the writer's own timer saves it
            self._wake.set()

    def _has_pending(self) -> bool:
        main = self._main_storage
        return bool(self._dirty_flags or self._unsaved or self._pending_backup is not None) or (
            main is not None and main.dirty
        )

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _writer_loop(self) -> None:
        while True:
            self._wake.wait(timeout=1.0)
            if not self._closed and not self._flush_waiters:
                # Let a burst of changes coalesce into one write; someone waiting in
                # flush() (a command about to exit) gains nothing from the wait.
                time.sleep(FLUSH_DELAY)
            self._wake.clear()
            # Read after the clear: a close() that came during the sleep is either seen
            # here or has set the event again, so the next wait returns at once.
            closing = self._closed
            failed = self._write_pending()
            if closing:
                break
            if failed:
                time.sleep(RETRY_DELAY)  # back off before the retry (a full disk stays full)

    def _write_pending(self) -> bool:
        """One pass: write what is dirty. Returns True when something failed."""
        main_storage = self._main_storage
        assert main_storage is not None
        backup = self._pending_backup
        if backup is not None:
            # Before library.json is first replaced; a failure only keeps the older backup.
            self._pending_backup = None
            with contextlib.suppress(OSError):
                atomic_write(self.directory / "library.json.bak", backup)
        with self._lock:
            pending = self._dirty_flags
            self._dirty_flags = set()
            payloads = {fid: self._flags_payload(fid) for fid in pending if fid in self._feeds}
            unsaved = list(self._unsaved)
            now = time.monotonic()
            defer_main = (
                self._bulk_depth > 0
                and not self._flush_waiters
                and not self._closed
                and now - self._main_since < BULK_MAIN_INTERVAL
            )
            main = None if defer_main else main_storage.snapshot()
            if main is not None:
                self._main_since = now
            main_version = self._next_version()
            self._writing = bool(payloads or unsaved) or main is not None
        failed: dict[str, str] = {}
        main_failed: str | None = None
        unsaved_failed: str | None = None
        if main is not None:
            try:
                self._write_file(("main", ""), main_version, self.directory / "library.json", main)
            except OSError as exc:
                main_failed = exc.strerror or str(exc)
        for feed_id, (version, payload) in payloads.items():
            try:
                self._write_shard("flags", feed_id, payload, version)
            except OSError as exc:
                failed[feed_id] = exc.strerror or str(exc)
        for feed_id in unsaved:
            try:
                self._save_feed_shards(feed_id)
            except OSError as exc:
                unsaved_failed = exc.strerror or str(exc)
        with self._idle:
            self._writing = False
            self._passes += 1
            if failed or main_failed or unsaved_failed:
                self._dirty_flags.update(failed)
                if main_failed:
                    main_storage.dirty = True
                self.last_write_error = main_failed or unsaved_failed or next(iter(failed.values()))
            elif payloads or unsaved or main is not None:
                self.last_write_error = None
            self._idle.notify_all()
        if failed or main_failed or unsaved_failed:
            for listener in self._error_listeners:
                with contextlib.suppress(Exception):
                    listener(f"Could not save changes: {self.last_write_error}")
            return True
        return False

    def _flags_payload(self, feed_id: str) -> tuple[int, dict[str, Any]]:
        """The flags file of a feed, with its version (call with _lock held)."""
        # Only loaded feeds get dirty; this guards the file against an empty overwrite.
        self._load_feeds((feed_id,))
        ids = self._by_feed.get(feed_id, set())
        payload = {
            "flags": {
                "1": {
                    "read": sorted(ids & self._read),
                    "starred": sorted(ids & self._starred),
                    "gone": list(self._gone.get(feed_id, ())),  # oldest first
                }
            }
        }
        return self._next_version(), payload

    def _write_file(
        self, slot: tuple[str, str], version: int, path: Path, data: bytes | Path
    ) -> bool:
        """Write `data` unless a newer version of the same file is already on disk. `data`
        may be a staged file (`atomic.stage_file`): it is then renamed into place, or
        deleted when it is not wanted."""
        with self._write_lock:
            # Inside `bulk_writes`, article files skip their fsyncs (synced once at the end);
            # library.json and flags, which hold the user's own changes, always sync. Read
            # under _write_lock: the end of a bulk sees every unsynced write made in it.
            durable = self._bulk_depth == 0 or slot[0] in ("main", "flags")
            if isinstance(data, Path) and not data.exists():
                if str(data) not in self._published:
                    raise _StagedFileGone(errno.ENOENT, "the parsed articles' file is gone")
                # Renamed into place by an earlier attempt (another save of this feed, or
                # one whose directory fsync failed): only that fsync may be missing.
                if durable:
                    fsync_dir(path.parent)
                return False
            if not self._wants(slot, version):
                if isinstance(data, Path):
                    _discard(data)
                return False
            if not durable:
                self._bulk_unsynced = True  # set before the write: a failed one may be half-synced
            if isinstance(data, Path):
                try:
                    # Kept if this fails: the bodies are nowhere else, and the writer retries.
                    publish_staged(data, path, durable=durable, keep_on_failure=True)
                finally:
                    if not data.exists():  # renamed, even if the directory fsync failed
                        self._published.add(str(data))
            else:
                atomic_write(path, data, durable=durable)
            self._written[slot] = version
            return True

    def _wants(self, slot: tuple[str, str], version: int) -> bool:
        """Whether a write of `slot` at `version` is to be made (call with _write_lock)."""
        if self._written.get(slot, -1) > version:
            return False  # a newer version is on disk already
        # An unsubscribed feed's file must not be brought back.
        return slot[0] == "main" or slot[1] in self._feeds

    @contextlib.contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Write article files (headers, bodies, full texts) without a pair of fsyncs
        each, and sync them all at the end: a refresh of 1,000 feeds otherwise spends
        most of its time waiting for the disk. library.json (fetch records, validators) is
        written at most every `BULK_MAIN_INTERVAL` seconds meanwhile, and at once by a
        `flush()`: a crash loses at most those records, and the next refresh fetches
        those feeds again.

        Each file is still replaced atomically, so a crash of the process loses nothing
        written. After a power loss in the middle, a file may come back empty: loading
        sets it aside and clears the feed's validators, so the next refresh fetches the
        feed again.
        """
        with self._lock:
            if self._bulk_depth == 0:
                self._main_since = time.monotonic()
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._bulk_depth -= 1
                last = self._bulk_depth == 0
            if last:
                with self._write_lock:
                    unsynced, self._bulk_unsynced = self._bulk_unsynced, False
                if unsynced:  # nothing to sync after a refresh where every feed said 304
                    os.sync()
                main = self._main_storage
                if main is not None and main.dirty:
                    self._wake.set()  # the deferred library.json

    def _write_shard(self, kind: str, feed_id: str, payload: dict[str, Any], version: int) -> None:
        path = self.directory / kind / f"{feed_id}.json"
        self._write_file((kind, feed_id), version, path, orjson.dumps(payload))

    def _save_feed_shards(self, feed_id: str) -> None:
        """Write a feed's pinned bodies and its headers from memory, then unpin them."""
        with self._lock:
            bodies = self._unsaved.get(feed_id)
            if bodies is None:
                return  # saved meanwhile (by a merge or an earlier pass)
            if feed_id not in self._feeds:
                del self._unsaved[feed_id]
                return
            ids = sorted(self._by_feed.get(feed_id, ()))
            headers = {
                "articles": {
                    str(n): header_doc(self._articles[aid], self._keys[aid])
                    for n, aid in enumerate(ids, start=1)
                }
            }
            version = self._next_version()
        content: bytes | Path
        if isinstance(bodies, EncodedBodies) and bodies.ids == tuple(ids):
            content = Path(bodies.staged)  # the file as the parser process wrote it
        else:
            html_of = decode_bodies(bodies) if isinstance(bodies, EncodedBodies) else bodies
            content = bodies_file(ids, html_of)
        # Bodies first: a header without its body shows an empty article, the other way
        # round an article nobody can reach.
        path = self.directory / "bodies" / f"{feed_id}.json"
        try:
            self._write_file(("bodies", feed_id), version, path, content)
        except _StagedFileGone:
            self._staged_file_lost(feed_id, bodies)
            raise
        if isinstance(bodies, EncodedBodies) and not isinstance(content, Path):
            _discard(Path(bodies.staged))  # merged as text instead
        self._write_shard("headers", feed_id, headers, version)
        with self._lock:
            if self._unsaved.get(feed_id) is bodies:
                del self._unsaved[feed_id]

    def _staged_file_lost(self, feed_id: str, pinned: object) -> None:
        """A first fetch's staged bodies file vanished before it was renamed into place
        (deleted by hand?): its bodies are lost. The feed's files are written without
        them and its validators cleared, so the next refresh fetches it whole and the
        bodies come back (the merge sees them as changed)."""
        with self._lock:
            if self._unsaved.get(feed_id) is pinned:
                self._unsaved[feed_id] = {}
            feed = self._feeds.get(feed_id)
            if feed is not None:
                self._store_feed(replace(feed, etag=None, last_modified=None))
                self.warnings.append(
                    f"The new articles of feed {feed.display_title!r} lost their text before "
                    "it was saved; it will be fetched again by the next refresh."
                )

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
        """The subscription with this url (ignoring http/https, host case, trailing slash)."""
        with self._lock:
            feed_id = self._url_keys.get(feed_url_key(url))
            return self._feeds.get(feed_id) if feed_id is not None else None

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
            # Files of an earlier subscription with the same id (removed, or a crash before
            # library.json was saved) must not lend it old tombstones or flags.
            with self._write_lock:
                for kind in FEED_FILE_KINDS:
                    with contextlib.suppress(FileNotFoundError):
                        (self.directory / kind / f"{feed_id}.json").unlink()
            self._store_feed(feed)
            self._by_feed[feed_id] = set()
            self._gone[feed_id] = {}
            self._unread[feed_id] = 0
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
                self._store_feed(updated)
            return updated

    def _store_feed(self, feed: Feed) -> None:
        """Put a feed into memory, the url index and library.json (call with _lock held)."""
        storage = self._main_storage
        assert storage is not None
        old = self._feeds.get(feed.id)
        if old is not None and self._url_keys.get(feed_url_key(old.url)) == feed.id:
            del self._url_keys[feed_url_key(old.url)]
        doc_id = self._feed_docs.get(feed.id)
        if doc_id is None:
            table = (storage.read() or {}).get("feeds", {})
            doc_id = str(max((int(k) for k in table if k.isdigit()), default=0) + 1)
            self._feed_docs[feed.id] = doc_id
        storage.put("feeds", doc_id, feed_to_doc(feed))
        self._feeds[feed.id] = feed
        self._url_keys.setdefault(feed_url_key(feed.url), feed.id)

    def remove_feed(self, feed_id: str) -> None:
        """Unsubscribe and delete the feed's articles (starred ones too: the user asked)."""
        self._check_writable()
        with self._lock:
            storage = self._main_storage
            assert storage is not None
            feed = self._feeds.pop(feed_id, None)
            if feed is None:
                return
            if self._url_keys.get(feed_url_key(feed.url)) == feed_id:
                del self._url_keys[feed_url_key(feed.url)]
            doc_id = self._feed_docs.pop(feed_id, None)
            if doc_id is not None:
                storage.delete("feeds", doc_id)
            for aid in self._by_feed.pop(feed_id, set()):
                self._articles.pop(aid, None)
                self._keys.pop(aid, None)
                self._read.discard(aid)
                self._starred.discard(aid)
            self._gone.pop(feed_id, None)
            self._unread.pop(feed_id, None)
            self._unloaded.discard(feed_id)  # never read its files back in
            self._bodies.pop(feed_id, None)
            self._full_texts.pop(feed_id, None)
            pinned = self._unsaved.pop(feed_id, None)
            if isinstance(pinned, EncodedBodies):
                _discard(Path(pinned.staged))
            self._dirty_flags.discard(feed_id)
            self._sorted = None
            # library.json goes to disk before the shards go: a crash in between must not
            # leave a subscription whose articles are gone while its etag says "up to date".
            data = storage.snapshot()
            version = self._next_version()
            try:
                if data is not None:
                    path = self.directory / "library.json"
                    self._write_file(("main", ""), version, path, data)
            except OSError:
                storage.dirty = True  # the writer retries; the shards stay until it has
                self._wake.set()
                return
            with self._write_lock:
                for kind in FEED_FILE_KINDS:
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
        with self._lock:
            docs = self._db.table("settings").search(Query().name == name)
        return docs[0].get("value", default) if docs else default

    def set_setting(self, name: str, value: Any) -> None:
        self._check_writable()
        assert self._db is not None
        with self._lock:
            self._db.table("settings").upsert({"name": name, "value": value}, Query().name == name)

    # ------------------------------------------------------------------ articles

    def article(self, article_id: str) -> Article | None:
        return self._known(article_id)

    def __len__(self) -> int:
        self._load_all()
        return len(self._articles)

    def _all_sorted(self) -> list[Article]:
        if self._sorted is None:
            self._sorted = sorted(self._articles.values(), key=sort_key, reverse=True)
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
        if feed_ids is None:
            self._load_all()
        else:
            self._load_feeds(feed_ids)
        with self._lock:
            result: Iterable[Article]
            if feed_ids is not None and self._sorted is None:
                # A few feeds while the full order is stale (during a refresh): sorting
                # just their articles beats re-sorting all 100k.
                wanted_ids = [i for f in set(feed_ids) for i in self._by_feed.get(f, ())]
                result = sorted((self._articles[i] for i in wanted_ids), key=sort_key, reverse=True)
            elif since is not None and self._sorted is None:
                # The same for a recent slice (Today's count, asked for again and again
                # while a refresh keeps the full order stale): pick, then sort the few.
                recent = (a for a in self._articles.values() if a.published >= since)
                result = sorted(recent, key=sort_key, reverse=True)
            else:
                result = self._all_sorted()
                if feed_ids is not None:
                    wanted = set(feed_ids)
                    result = (a for a in result if a.feed_id in wanted)
            if since is not None:
                # Newest first: the articles since a moment are a prefix of the list.
                result = itertools.takewhile(lambda a: a.published >= since, result)
            if unread_only:
                read = self._read
                result = (a for a in result if a.id not in read)
            if starred_only:
                starred = self._starred
                result = (a for a in result if a.id in starred)
            return list(result)

    def is_read(self, article_id: str) -> bool:
        if self._unloaded:
            self._known(article_id)
        return article_id in self._read

    def is_starred(self, article_id: str) -> bool:
        if self._unloaded:
            self._known(article_id)
        return article_id in self._starred

    def unread_count(self, feed_ids: Iterable[str] | None = None) -> int:
        if feed_ids is None:
            self._load_all()
        else:
            feed_ids = list(feed_ids)
            self._load_feeds(feed_ids)
        with self._lock:
            if feed_ids is None:
                return len(self._articles) - len(self._read)
            return sum(self._unread.get(f, 0) for f in feed_ids)

    def unread_counts_by_feed(self) -> dict[str, int]:
        """Unread articles per feed (a copy; kept up to date, so this is O(feeds))."""
        self._load_all()
        with self._lock:
            return dict(self._unread)

    def article_counts_by_feed(self) -> dict[str, int]:
        self._load_all()
        with self._lock:
            return {feed_id: len(ids) for feed_id, ids in self._by_feed.items()}

    def starred_count(self) -> int:
        self._load_all()
        return len(self._starred)

    def set_read(self, article_ids: Iterable[str], read: bool = True) -> list[str]:
        """Mark articles read or unread; returns the ids whose flag actually changed."""
        return self._set_flag(self._read, article_ids, read, counts=True)

    def set_starred(self, article_ids: Iterable[str], starred: bool = True) -> list[str]:
        """Star or unstar articles; returns the ids whose flag actually changed."""
        return self._set_flag(self._starred, article_ids, starred, counts=False)

    def _set_flag(
        self, flag: set[str], article_ids: Iterable[str], value: bool, *, counts: bool
    ) -> list[str]:
        self._check_writable()
        article_ids = list(article_ids)
        if self._unloaded and any(aid not in self._articles for aid in article_ids):
            self._load_all()  # an id does not tell its feed
        changed: list[str] = []
        feeds: set[str] = set()
        unread = self._unread
        step = -1 if value else 1
        with self._lock:
            for aid in article_ids:
                article = self._articles.get(aid)
                if article is None or (aid in flag) == value:
                    continue
                if value:
                    flag.add(aid)
                else:
                    flag.discard(aid)
                if counts:
                    unread[article.feed_id] += step
                changed.append(aid)
                feeds.add(article.feed_id)
            if feeds:
                self._mark_flags_dirty(feeds)
        return changed

    # ------------------------------------------------------------------ bodies

    def body(self, article_id: str) -> str:
        """The article's HTML body ("" when it has none or its file is unreadable)."""
        article = self._known(article_id)
        if article is None:
            return ""
        return self._feed_bodies(article.feed_id).get(article_id, "")

    def _feed_bodies(self, feed_id: str, *, strict: bool = False) -> dict[str, str]:
        with self._lock:
            cached = self._unsaved.get(feed_id) or self._bodies.get(feed_id)
            if cached is not None and not isinstance(cached, EncodedBodies):
                if feed_id in self._bodies:
                    self._bodies.move_to_end(feed_id)
                return cached
        if isinstance(cached, EncodedBodies):
            with contextlib.suppress(FileNotFoundError):  # else written meanwhile: read below
                return decode_bodies(cached)  # not written yet (rare): not worth caching
        bodies = bodies_from_doc(self._read_shard("bodies", feed_id, strict=strict))
        with self._lock:
            # A merge may have cached newer bodies while the file was read: keep those.
            bodies = self._bodies.setdefault(feed_id, bodies)
            self._bodies.move_to_end(feed_id)
            self._trim_body_cache()
        return bodies

    def _trim_body_cache(self) -> None:
        while len(self._bodies) > BODY_CACHE_FEEDS:
            self._bodies.popitem(last=False)

    def bodies_of_feed(self, feed_id: str) -> dict[str, str]:
        """Every HTML body of one feed (article id -> HTML), read in one go: for readers
        that go through many articles of a feed, such as body search."""
        return dict(self._feed_bodies(feed_id))

    def bodies_mention(self, feed_id: str, tokens: Collection[str]) -> dict[str, bool] | None:
        """Which of the ASCII `tokens` occur anywhere in the feed's bodies file (compared
        lower-case, as raw bytes, without parsing it): a cheap pre-filter for body search.
        None when that cannot be told from the file (bodies newer than it in memory, or
        the file unreadable): the caller must then read the bodies."""
        with self._lock:
            if feed_id in self._unsaved:
                return None
        try:
            raw = (self.directory / "bodies" / f"{feed_id}.json").read_bytes().lower()
        except FileNotFoundError:
            return dict.fromkeys(tokens, False)
        except OSError:
            return None
        return {token: token.lower().encode("ascii") in raw for token in tokens}

    # ------------------------------------------------------------------ full text

    def full_text(self, article_id: str) -> dict[str, Any] | None:
        """The cached full-text record of an article, or None when never fetched.

        A record is ``{"id", "html", "url", "error", "fetched"}``: `html` is the sanitised
        extracted HTML ("" after a failure), `url` the page it came from (the base for its
        links), `error` the plain-words failure ("" on success), `fetched` Unix seconds.
        """
        article = self._known(article_id)
        if article is None:
            return None
        return self._feed_full_texts(article.feed_id).get(article_id)

    def has_full_text(self, article_id: str) -> bool:
        """True when a full-text fetch of the article was recorded (success or failure)."""
        return self.full_text(article_id) is not None

    def _feed_full_texts(self, feed_id: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            cached = self._full_texts.get(feed_id)
            if cached is not None:
                return cached
        path = self.directory / "fulltext" / f"{feed_id}.json"
        try:
            data = load_json_file(path) or {}
        except (ValueError, orjson.JSONDecodeError):
            # Only a cache: set the damaged file aside and fetch again when asked.
            data = {}
            if not self.read_only:
                with contextlib.suppress(OSError):
                    os.replace(path, unique_aside(path, "corrupt"))
        except OSError:
            data = {}
        records: dict[str, dict[str, Any]] = {}
        for doc in data.get("fulltext", {}).values():
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                continue
            records[doc["id"]] = {
                "id": doc["id"],
                "html": doc.get("html") if isinstance(doc.get("html"), str) else "",
                "url": doc.get("url") if isinstance(doc.get("url"), str) else "",
                "error": doc.get("error") if isinstance(doc.get("error"), str) else "",
                "fetched": doc.get("fetched") if isinstance(doc.get("fetched"), float) else 0.0,
            }
        with self._lock:
            # Only a few feeds are read in full text: no LRU, one dict per feed used.
            return self._full_texts.setdefault(feed_id, records)

    def set_full_text(
        self, article_id: str, *, html: str = "", url: str = "", error: str = ""
    ) -> bool:
        """Record a full-text fetch (success: `html`; failure: `error`) and write the feed's
        fulltext file at once. Returns False when the article no longer exists.

        Call it off the UI thread: it writes a file. Records of articles that retention or
        an unsubscribe removed are dropped on every write, so the file never outgrows its
        feed.
        """
        self._check_writable()
        article = self._known(article_id)
        if article is None:
            return False
        feed_id = article.feed_id
        records = self._feed_full_texts(feed_id)
        with self._lock:
            records[article_id] = {
                "id": article_id,
                "html": html,
                "url": url,
                "error": clean_line(error, 500),
                "fetched": time.time(),
            }
            ids = self._by_feed.get(feed_id, set())
            for stale in [aid for aid in records if aid not in ids]:
                del records[stale]
            payload = {"fulltext": {str(n): doc for n, doc in enumerate(records.values(), 1)}}
            version = self._next_version()
        try:
            (self.directory / "fulltext").mkdir(exist_ok=True)
            self._write_shard("fulltext", feed_id, payload, version)
        except OSError as exc:
            raise StoreError(f"Could not save the full text: {exc.strerror or exc}") from None
        return True

    def full_text_feeds(self) -> set[str]:
        """Ids of the feeds whose articles' full text is fetched during refresh."""
        value = self.setting("full_text_feeds", [])
        return {i for i in value if isinstance(i, str)} if isinstance(value, list) else set()

    def set_full_text_feed(self, feed_id: str, enabled: bool) -> None:
        """Turn "always full text" on or off for a feed."""
        feeds = self.full_text_feeds()
        if enabled:
            feeds.add(feed_id)
        else:
            feeds.discard(feed_id)
        self.set_setting("full_text_feeds", sorted(f for f in feeds if f in self._feeds))

    # ------------------------------------------------------------------ reading positions

    def _reading_positions(self) -> dict[str, dict[str, Any]]:
        if self._positions is None:
            raw = self.setting("reading_positions", {})
            self._positions = {
                aid: {"y": int(doc.get("y") or 0), "full": bool(doc.get("full"))}
                for aid, doc in (raw.items() if isinstance(raw, dict) else ())
                if isinstance(aid, str)
                and isinstance(doc, dict)
                and isinstance(doc.get("y", 0), int)
            }
        return self._positions

    def reading_position(self, article_id: str) -> tuple[int, bool]:
        """(scroll offset in lines, shown in full text) where the article was left."""
        doc = self._reading_positions().get(article_id)
        return (doc["y"], doc["full"]) if doc else (0, False)

    def set_reading_position(self, article_id: str, y: int, full: bool) -> None:
        """Remember where the article was left (the newest `MAX_POSITIONS` are kept).

        The top of an article in the feed's text is the default and is not stored.
        """
        positions = self._reading_positions()
        y = max(0, int(y))
        old = positions.pop(article_id, None)
        if y or full:
            positions[article_id] = {"y": y, "full": full}  # re-inserted: newest last
            while len(positions) > MAX_POSITIONS:
                del positions[next(iter(positions))]
        elif old is None:
            return
        if old == positions.get(article_id) and old is not None:
            return
        self.set_setting("reading_positions", dict(positions))

    # ------------------------------------------------------------------ refresh

    def merge_articles(
        self,
        feed_id: str,
        incoming: Iterable[NewArticle],
        fetched_at: datetime,
        encoded_bodies: EncodedBodies | None = None,
    ) -> MergeResult:
        """Add new articles and update changed ones for one feed, then apply retention.

        Identity is (feed, key): the same article fetched again never duplicates, keeps its
        flags, and has its content replaced when it changed. Articles pruned by retention
        are remembered by id so that a feed still listing them does not bring them back.
        Headers and bodies are on disk when this returns (StoreError if they could not be
        written; the writer then keeps retrying).

        `encoded_bodies`: the items' bodies as a parser process encoded them for a feed
        with no articles (their `body_html` is empty). Written as they are when the feed
        still has none and nothing is pruned; otherwise decoded and merged as usual.
        """
        try:
            self._check_writable()
            # One merge at a time: two merges of a feed must not write its files out of
            # order, and the writes are serialised by _write_lock anyway.
            with self._merge_lock:
                return self._merge(feed_id, incoming, fetched_at, encoded_bodies)
        except BaseException:
            # Not merged: its staged file goes, unless pinned for the writer to retry.
            if encoded_bodies is not None and self._unsaved.get(feed_id) is not encoded_bodies:
                _discard(Path(encoded_bodies.staged))
            raise

    def first_bodies_dir(self, feed_id: str) -> Path | None:
        """Where a parser may stage the bodies file of this feed's first fetch
        (`records.encode_new_bodies`, then `merge_articles`); None when the feed has
        articles already (or pruned ones), or the library is read-only."""
        if self.read_only:
            return None
        self._load_feeds((feed_id,))
        with self._lock:
            if self._by_feed.get(feed_id) or self._gone.get(feed_id) or feed_id in self._unsaved:
                return None
        return self.directory / "bodies"

    def _merge(
        self,
        feed_id: str,
        incoming: Iterable[NewArticle],
        fetched_at: datetime,
        encoded: EncodedBodies | None = None,
    ) -> MergeResult:
        # This feed's own headers and flags are all a merge needs (identity, flags kept,
        # tombstones, retention); the other feeds stay unread on a lazy open.
        self._load_feeds((feed_id,))
        try:
            # strict: an unreadable (not damaged) bodies file must not be replaced by one
            # that holds only this fetch's articles.
            bodies = dict(self._feed_bodies(feed_id, strict=True))
        except OSError as exc:
            raise StoreError(f"Could not read saved articles: {exc.strerror or exc}") from None
        new = updated = 0
        with self._lock:
            if feed_id not in self._feeds:
                raise StoreError("that feed is no longer subscribed")
            ids = self._by_feed.setdefault(feed_id, set())
            gone = self._gone.setdefault(feed_id, {})
            if encoded is not None:
                incoming = list(incoming)
            if encoded is not None and (
                ids
                or gone
                or bodies
                or feed_id in self._unsaved
                or len(encoded.ids) > min(self.keep_read, self.max_per_feed)  # would prune
                or any(item.words is None for item in incoming)  # to be counted from bodies
            ):
                # Not a plain first fetch any more: merge the bodies as text after all.
                try:
                    html_of = decode_bodies(encoded)
                except (OSError, ValueError) as exc:
                    raise StoreError(f"Could not read the parsed articles: {exc}") from None
                _discard(Path(encoded.staged))
                incoming = [
                    replace(item, body_html=html_of.get(article_id(feed_id, item.key), ""))
                    for item in incoming
                ]
                encoded = None
            seen: set[str] = set()
            for item in incoming:
                aid = article_id(feed_id, item.key)
                if aid in seen or aid in gone:
                    continue
                seen.add(aid)
                old = self._articles.get(aid)
                same_body = old is not None and bodies.get(aid, "") == item.body_html
                article = Article(
                    id=aid,
                    feed_id=feed_id,
                    title=item.title,
                    link=item.link,
                    author=item.author,
                    # Keep the original date so an edited article does not jump to the top
                    # (and a feed that moves its dates does not look changed every time).
                    published=old.published if old else item.published,
                    fetched=old.fetched if old else fetched_at,
                    # Counting words is a tenth of a merge: an unchanged body keeps its count.
                    words=old.words if same_body and old else _words_of(item),
                )
                if old is None:
                    new += 1
                    self._unread[feed_id] = self._unread.get(feed_id, 0) + 1
                elif same_body and old == article:
                    continue
                else:
                    updated += 1
                self._articles[aid] = article
                self._keys[aid] = item.key
                ids.add(aid)
                if encoded is None:
                    bodies[aid] = item.body_html
            pruned = self._apply_retention(feed_id, bodies)
            if not (new or updated or pruned or feed_id in self._unsaved):
                return MergeResult()
            self._sorted = None
            replaced = self._unsaved.get(feed_id)
            if isinstance(replaced, EncodedBodies):
                # A first fetch's file still waiting for a retry: its bodies are in
                # `bodies` now (read above), and the new pin supersedes it.
                _discard(Path(replaced.staged))
            if encoded is not None:
                # Pinned as the encoded file; read back (decoded) only if asked for before
                # it is written. The cache may hold this feed's (empty) bodies from before:
                # they must go, the file is read again when asked for.
                self._unsaved[feed_id] = encoded
                self._bodies.pop(feed_id, None)
            else:
                self._unsaved[feed_id] = bodies  # pinned until written (also for the writer)
                self._bodies[feed_id] = bodies
                self._bodies.move_to_end(feed_id)
                self._trim_body_cache()
            flags = self._flags_payload(feed_id) if pruned else None
            if flags is not None:
                self._dirty_flags.discard(feed_id)
        try:
            if flags is not None:
                # Tombstones before headers: after a crash in between, loading drops the
                # pruned articles that are still in the headers file.
                self._write_shard("flags", feed_id, flags[1], flags[0])
            self._save_feed_shards(feed_id)
        except OSError as exc:
            with self._lock:
                if flags is not None:
                    self._mark_flags_dirty([feed_id])
            self._wake.set()
            raise StoreError(f"Could not save new articles: {exc.strerror or exc}") from None
        return MergeResult(new=new, updated=updated, pruned=pruned)

    def _apply_retention(self, feed_id: str, bodies: dict[str, str]) -> int:
        """Prune a feed: at most `keep_read` read+unstarred articles, and at most
        `max_per_feed` articles in all (starred ones count but are never pruned; when they
        alone exceed the cap, every unstarred one goes). Oldest go first."""
        ids = self._by_feed[feed_id]
        if len(ids) <= min(self.keep_read, self.max_per_feed):
            return 0
        starred = self._starred
        read = self._read
        budget = max(0, self.max_per_feed - len(ids & starred))
        newest_first = sorted(
            (self._articles[i] for i in ids if i not in starred), key=sort_key, reverse=True
        )
        doomed: list[str] = []
        read_kept = 0
        kept = 0
        for article in newest_first:
            aid = article.id
            is_read = aid in read
            if kept >= budget or (is_read and read_kept >= self.keep_read):
                doomed.append(aid)
                continue
            kept += 1
            read_kept += is_read
        gone = self._gone.setdefault(feed_id, {})
        # Oldest first into the tombstones, so trimming drops the oldest.
        for aid in reversed(doomed):
            ids.discard(aid)
            self._articles.pop(aid, None)
            self._keys.pop(aid, None)
            if aid in read:
                read.discard(aid)
            else:
                self._unread[feed_id] -= 1
            bodies.pop(aid, None)
            gone[aid] = None
        # Tombstones only matter while the feed still lists the article; keep them bounded.
        excess = len(gone) - 4 * self.max_per_feed
        if excess > 0:
            for aid in list(itertools.islice(gone, excess)):
                del gone[aid]
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
        retry_after: float | None = None,
    ) -> Feed | None:
        """Record the outcome of a fetch (success, 304 or failure) on the feed.

        `retry_after` (seconds, from a 429/503 Retry-After) keeps the feed from being
        fetched again before then; any success clears it.

        On success the error is cleared, the failure counter reset and new validators
        (etag, last_modified) kept; `url` is a permanent redirect's target, taken unless
        another subscription already has that url. Returns None for an unknown feed.
        """
        self._check_writable()
        now = when or datetime.now(UTC)
        with self._lock:
            feed = self._feeds.get(feed_id)
            if feed is None:
                return None
            changes: dict[str, Any] = {"last_checked": now}
            if ok:
                changes.update(last_success=now, last_error=None, failures=0, retry_until=None)
                if etag is not None:
                    changes["etag"] = etag
                if last_modified is not None:
                    changes["last_modified"] = last_modified
                if title and not feed.title:
                    changes["title"] = title
                if site_url and not feed.site_url:
                    changes["site_url"] = site_url
                if url and url != feed.url and self.find_feed_by_url(url) in (None, feed):
                    changes["url"] = url
            else:
                changes.update(last_error=clean_line(error or "unknown error", 500))
                changes["failures"] = feed.failures + 1
                if retry_after:
                    changes["retry_until"] = now + timedelta(seconds=retry_after)
            return self.update_feed(feed_id, **changes)

    # ------------------------------------------------------------------ misc

    def iter_feed_articles(self, feed_id: str) -> Iterator[Article]:
        self._load_feeds((feed_id,))
        with self._lock:
            ids = list(self._by_feed.get(feed_id, ()))
        for aid in ids:
            article = self._articles.get(aid)
            if article is not None:
                yield article


def _cannot_use(path: Path, exc: OSError) -> str:
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


def _words_of(item: NewArticle) -> int:
    return item.words if item.words is not None else word_count(item.body_html)


def _discard(staged: Path) -> None:
    """Delete a staged file nobody will publish (a leftover is also removed at next open)."""
    with contextlib.suppress(OSError):
        staged.unlink()


class _StagedFileGone(FileNotFoundError):
    """A staged bodies file that was never renamed into place is missing."""
