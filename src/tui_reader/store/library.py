"""`Store`, the library's facade: opening and closing, feeds, queries, flags, settings.

The layout on disk and its reasons: docs/storage.md. The store is made of parts, each
with its own state (and lock where it needs one):

* `Index` (index.py): every in-memory record, guarded by the *state lock*;
* `Loader` (loader.py): reads library.json and the shards into the index;
* `Writer` (writer.py): the writer thread, coalescing, versions, the *file lock*;
* `Merger` (merge.py): a refresh's articles into a feed, and retention; the *merge lock*;
* `Subscriptions` (subscriptions.py): subscribe, change, unsubscribe, record fetches;
* `FullTextCache` and `ReadingPositions` (fulltext_cache.py);
* `SyncState` (accounts.py): the server account, the outbox of local changes, id mapping;
* `DownloadRecords` (downloads.py): the downloaded enclosures (`store.downloads`);
* `AtomicStorage` (tinydb_storage.py): library.json as TinyDB sees it;
* `DirectoryLock` (lock.py): the flock that makes this process the only writer.

`Store` itself owns only what ties them together: the TinyDB of library.json (its meta
and settings tables; `Subscriptions` edits its feeds table), the directory lock, the
retention limits and `warnings`.
Lock order: the merge lock, then the state lock, then the cache's or the file lock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from ..models import Article, ArticleMedia, EncodedBodies, Feed, NewArticle
from ..text import feed_url_key
from .accounts import SyncState
from .atomic import remove_stale_temp_files
from .downloads import DownloadRecords
from .duplicates import Duplicates
from .fulltext_cache import FullTextCache, ReadingPositions
from .index import Index
from .library_fulltext import FullTextMethods
from .loader import Loader, cannot_use
from .lock import DirectoryLock, LibraryNotPrivate, check_private
from .merge import Merger
from .records import MergeResult, StoreError, StoreReadOnly, feed_from_doc, media_of
from .subscriptions import FEED_FILE_KINDS, Subscriptions
from .tinydb_storage import AtomicStorage
from .writer import Writer, discard

SCHEMA_VERSION = 1
DEFAULT_KEEP_READ = 1000
# A hard cap per feed, so one runaway feed cannot grow without bound (oldest unstarred go).
DEFAULT_MAX_PER_FEED = 5000


class Store(FullTextMethods):
    """The library. Open with `Store.open(path)`; close with `close()` (flushes)."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = directory
        self.read_only = read_only
        self.warnings: list[str] = []
        self.keep_read = DEFAULT_KEEP_READ
        self.command_timeout = 60.0  # seconds per exec:/filter: command (config)
        self.max_per_feed = DEFAULT_MAX_PER_FEED
        self.index = Index()
        self.loader = Loader(
            directory,
            self.index,
            self.warnings,
            read_only=read_only,
            clear_validators=self._clear_validators,
        )
        self.writer = Writer(directory, self.index, self.loader, on_bodies_lost=self._bodies_lost)
        self.merger = Merger(self.index, self.loader, self.writer)
        self.full_texts = FullTextCache(directory, self.index, self.writer, read_only=read_only)
        self.positions = ReadingPositions(self.setting, self.set_setting)
        self.subscriptions = Subscriptions(
            directory,
            self.index,
            self.writer,
            self.full_texts,
            check_writable=self._check_writable,
        )
        self.sync = SyncState(directory, self.index, self.writer)
        self.downloads = DownloadRecords(self.index)  # downloaded enclosures (issue 18)
        # The ignore rules' hidden articles: `store.hidden.set_rules(...)`, `.contains(id)`.
        self.hidden = self.index.hidden
        self._dir_lock: DirectoryLock | None = None
        self._db: TinyDB | None = None

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
        self.writer.start()

    def _open(self, *, lazy: bool = False, start_writer: bool = True) -> None:
        directory = self.directory
        if self.read_only:
            if not (directory / "library.json").exists():
                raise StoreError(f"There is no library at {directory}.")
        else:
            try:
                for sub in ("", "headers", "flags", "bodies"):
                    (directory / sub).mkdir(parents=True, exist_ok=True)
                check_private(directory)
                self._dir_lock = DirectoryLock(directory)
                self._dir_lock.acquire()
            except LibraryNotPrivate as exc:
                raise StoreError(f"Refusing to use the library: {exc}") from None
            except OSError as exc:
                raise StoreError(cannot_use(directory, exc)) from None
            for sub in ("", *FEED_FILE_KINDS):
                remove_stale_temp_files(directory / sub)
        try:
            self._load_main()
            self.index.unloaded = set(self.index.feeds)
            if lazy:
                self.loader.load_emptied_headers()
            else:
                self.loader.load_all()
        except BaseException:
            self._release_lock()
            raise
        if not self.read_only:
            self.writer.create_thread(start=start_writer)

    def _release_lock(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    def _load_main(self) -> None:
        path = self.directory / "library.json"
        data = self.loader.read_main()
        self._db = TinyDB(
            path, storage=AtomicStorage, read_only=self.read_only, on_dirty=self.writer.main_dirty
        )
        storage = self._db.storage
        assert isinstance(storage, AtomicStorage)
        storage._cache = data  # already read and checked: no second read, no TOCTOU
        self.writer.main = storage
        self.subscriptions.main = storage
        self.sync.attach(storage, data, self.warnings, read_only=self.read_only)
        self.downloads.attach(storage, self.read_only)
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
        index = self.index
        for doc_id, doc in (data or {}).get("feeds", {}).items():
            try:
                feed = feed_from_doc(doc)
            except (KeyError, TypeError, ValueError, AttributeError):
                self.warnings.append("A damaged subscription record was skipped.")
                continue
            index.feeds[feed.id] = feed
            index.feed_docs[feed.id] = doc_id
            index.url_keys.setdefault(feed_url_key(feed.url), feed.id)
        if not self.read_only and data is not None:
            # A good load: keep it as the backup that a later corruption can fall back to.
            # The writer thread saves it (atomically) before anything else, so opening does
            # not wait for its fsyncs.
            with contextlib.suppress(OSError):
                self.writer.pending_backup = path.read_bytes()

    def _clear_validators(self, feed_id: str) -> None:
        """Forget a feed's etag and last-modified: its articles were lost, and the next
        refresh must fetch it whole instead of getting 304 Not Modified forever."""
        with self.index.lock:
            feed = self.index.feeds.get(feed_id)
            if feed is not None:
                self.subscriptions.put(replace(feed, etag=None, last_modified=None))

    def _bodies_lost(self, feed_id: str) -> None:
        """A first fetch's staged bodies file vanished before it was saved (the writer
        writes the feed without them): fetch the feed whole again next time."""
        with self.index.lock:
            feed = self.index.feeds.get(feed_id)
            if feed is not None:
                self.subscriptions.put(replace(feed, etag=None, last_modified=None))
                self.warnings.append(
                    f"The new articles of feed {feed.display_title!r} lost their text before "
                    "it was saved; it will be fetched again by the next refresh."
                )

    # ------------------------------------------------------------------ closing

    def flush(self, timeout: float = 30.0) -> None:
        """Block until every change made so far is on disk (or raise StoreError).

        Raises as soon as a write attempt made after the call fails, instead of waiting
        out the timeout; the change stays pending and the writer keeps retrying.
        """
        if self.read_only:
            return
        self.writer.flush(timeout)

    def close(self) -> None:
        if self.writer.closed:
            return
        try:
            self.flush()
        finally:
            # The writer makes one last attempt and stops, even if that fails: it must
            # never write after the directory lock is released.
            self.writer.stop()
            if self._db is not None:
                self._db.close()
            self._release_lock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_error_listener(self, callback: Callable[[str], None]) -> None:
        """`callback(message)` runs (on the writer thread) when a background save fails."""
        self.writer.error_listeners.append(callback)

    @property
    def last_write_error(self) -> str | None:
        """The failure of the last write attempt, in plain words (None after a success)."""
        return self.writer.last_write_error

    def bulk_writes(self) -> contextlib.AbstractContextManager[None]:
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
        return self.writer.bulk_writes()

    def _check_writable(self) -> None:
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        if self.writer.closed:
            raise StoreError("the library is closed")

    # ------------------------------------------------------------------ feeds

    def feeds(self) -> list[Feed]:
        """All feeds, by category then title (case-insensitive)."""
        with self.index.lock:
            return sorted(
                self.index.feeds.values(),
                key=lambda f: (f.category.lower(), f.display_title.lower()),
            )

    def feed(self, feed_id: str) -> Feed | None:
        return self.index.feeds.get(feed_id)

    def find_feed_by_url(self, url: str) -> Feed | None:
        """The subscription with this url (ignoring http/https, host case, trailing slash)."""
        return self.subscriptions.find_by_url(url)

    def categories(self) -> list[str]:
        with self.index.lock:
            return sorted({f.category for f in self.index.feeds.values()}, key=str.lower)

    def feeds_in(self, category: str) -> list[Feed]:
        return [f for f in self.feeds() if f.category == category]

    def add_feed(
        self,
        url: str,
        title: str = "",
        category: str = "",
        site_url: str = "",
        *,
        trust_command: bool = False,
    ) -> tuple[Feed, bool]:
        """Subscribe; returns (feed, created). An existing subscription is returned as is.
        `trust_command`: see `Subscriptions.add` (the user allowed an exec:/filter: feed)."""
        feed, created = self.subscriptions.add(
            url, title, category, site_url, trust_command=trust_command
        )
        self.sync.feed_added(feed.id, created, url, title, category)  # the server's too
        return feed, created

    def update_feed(self, feed_id: str, **changes: Any) -> Feed:
        """Change a feed's fields (title, category, url, etag, ...) and save it."""
        self.sync.feed_changed(feed_id, changes)  # a bound library: the server's feed too
        return self.subscriptions.update(feed_id, **changes)

    def remove_feed(self, feed_id: str) -> None:
        """Unsubscribe and delete the feed's articles (starred ones too: the user asked)."""
        self.sync.queue_sub("unsubscribe", feed_id)
        self.subscriptions.remove(feed_id)

    def rename_category(self, old: str, new: str) -> int:
        changed = 0
        for feed in self.feeds_in(old):
            self.update_feed(feed.id, category=new)
            changed += 1
        return changed

    # ------------------------------------------------------------------ settings

    def setting(self, name: str, default: Any = None) -> Any:
        assert self._db is not None
        with self.index.lock:
            docs = self._db.table("settings").search(Query().name == name)
        return docs[0].get("value", default) if docs else default

    def set_setting(self, name: str, value: Any) -> None:
        self._check_writable()
        assert self._db is not None
        with self.index.lock:
            self._db.table("settings").upsert({"name": name, "value": value}, Query().name == name)

    # ------------------------------------------------------------------ articles

    def article(self, article_id: str) -> Article | None:
        return self.loader.known(article_id)

    def __len__(self) -> int:
        self.loader.load_all()
        return len(self.index.articles)

    def articles(
        self,
        feed_ids: Collection[str] | None = None,
        *,
        unread_only: bool = False,
        starred_only: bool = False,
        since: datetime | None = None,
        include_hidden: bool = False,
    ) -> list[Article]:
        """Articles, newest first, filtered. `feed_ids=None` means every feed. What the
        ignore rules hide (`hidden`) is left out unless `include_hidden`."""
        if feed_ids is None:
            self.loader.load_all()
        else:
            self.loader.load_feeds(feed_ids)
        return self.index.query(
            feed_ids,
            unread_only=unread_only,
            starred_only=starred_only,
            since=since,
            include_hidden=include_hidden,
        )

    def is_read(self, article_id: str) -> bool:
        if self.index.unloaded:
            self.loader.known(article_id)
        return article_id in self.index.read

    def is_starred(self, article_id: str) -> bool:
        if self.index.unloaded:
            self.loader.known(article_id)
        return article_id in self.index.starred

    def unread_count(self, feed_ids: Iterable[str] | None = None) -> int:
        if feed_ids is None:
            self.loader.load_all()
        else:
            feed_ids = list(feed_ids)
            self.loader.load_feeds(feed_ids)
        index = self.index
        with index.lock:
            hidden = index.hidden.unread_by_feed()  # counts match what is shown
            if feed_ids is None:
                return len(index.articles) - len(index.read) - sum(hidden.values())
            return sum(index.unread.get(f, 0) - hidden.get(f, 0) for f in feed_ids)

    def unread_counts_by_feed(self) -> dict[str, int]:
        """Unread articles per feed (a copy; kept up to date, so this is O(feeds))."""
        self.loader.load_all()
        with self.index.lock:
            counts = dict(self.index.unread)
            for feed_id, hidden in self.index.hidden.unread_by_feed().items():
                counts[feed_id] -= hidden  # counts match what is shown
            return counts

    def article_counts_by_feed(self) -> dict[str, int]:
        self.loader.load_all()
        with self.index.lock:
            return {feed_id: len(ids) for feed_id, ids in self.index.by_feed.items()}

    def starred_count(self) -> int:
        self.loader.load_all()
        with self.index.lock:
            starred = self.index.starred
            return len(starred) - len(starred & self.index.hidden.ids())

    def set_read(self, article_ids: Iterable[str], read: bool = True) -> list[str]:
        """Mark articles read or unread; returns the ids whose flag actually changed."""
        return self._set_flag(self.index.read, article_ids, read, counts=True)

    def set_starred(self, article_ids: Iterable[str], starred: bool = True) -> list[str]:
        """Star or unstar articles; returns the ids whose flag actually changed."""
        return self._set_flag(self.index.starred, article_ids, starred, counts=False)

    def _set_flag(
        self, flag: set[str], article_ids: Iterable[str], value: bool, *, counts: bool
    ) -> list[str]:
        self._check_writable()
        article_ids = list(article_ids)
        index = self.index
        if index.unloaded and any(aid not in index.articles for aid in article_ids):
            self.loader.load_all()  # an id does not tell its feed
        with index.lock:
            changed, feeds = index.set_flag(flag, article_ids, value, counts=counts)
            if changed:  # a bound library queues the change for its server
                self.sync.queue_flags("read" if counts else "starred", changed, value)
            if feeds:
                self.writer.mark_flags_dirty(feeds)
        return changed

    @property
    def duplicates(self) -> Duplicates | None:
        """The copies of one story in several feeds, once tracked and filled (else None)."""
        dups = self.index.dups
        return dups if dups is not None and dups.ready else None

    def track_duplicates(self) -> Duplicates:
        """Group the copies of one story from now on (the reader, `merge_duplicates`).
        Takes ~0.4 s at 100k articles: the reader calls it in a thread after its first
        paint; the groups count (`duplicates`) once this returns."""
        self.loader.load_all()
        index = self.index
        with index.lock:
            dups = index.dups
            if dups is None:
                dups = index.dups = Duplicates(
                    index.lock, index.articles, index.read, index.starred, index.hidden.ids
                )
        if not dups.ready:
            dups.fill(index.keys)
        return dups

    def iter_feed_articles(self, feed_id: str) -> Iterator[Article]:
        self.loader.load_feeds((feed_id,))
        with self.index.lock:
            ids = list(self.index.by_feed.get(feed_id, ()))
        for aid in ids:
            article = self.index.articles.get(aid)
            if article is not None:
                yield article

    # ------------------------------------------------------------------ bodies

    def body(self, article_id: str) -> str:
        """The article's HTML body ("" when it has none or its file is unreadable)."""
        article = self.loader.known(article_id)
        if article is None:
            return ""
        return self.loader.feed_bodies(article.feed_id).get(article_id, "")

    def media_of_feed(self, feed_id: str) -> dict[str, ArticleMedia]:
        """Article id -> files and picture, for the feed's articles that carry any."""
        return dict(media_of(self.loader.feed_bodies(feed_id)))

    def bodies_of_feed(self, feed_id: str) -> dict[str, str]:
        """Every HTML body of one feed (article id -> HTML), read in one go: for readers
        that go through many articles of a feed, such as body search."""
        return dict(self.loader.feed_bodies(feed_id))

    def bodies_mention(self, feed_id: str, tokens: Collection[str]) -> dict[str, bool] | None:
        """Which of the ASCII `tokens` occur anywhere in the feed's bodies file (compared
        lower-case, as raw bytes, without parsing it): a cheap pre-filter for body search.
        None when that cannot be told from the file (bodies newer than it in memory, or
        the file unreadable): the caller must then read the bodies."""
        with self.index.lock:
            if feed_id in self.index.unsaved:
                return None
        try:
            raw = (self.directory / "bodies" / f"{feed_id}.json").read_bytes().lower()
        except FileNotFoundError:
            return dict.fromkeys(tokens, False)
        except OSError:
            return None
        return {token: token.lower().encode("ascii") in raw for token in tokens}

    # ------------------------------------------------------------------ refresh

    def merge_articles(
        self,
        feed_id: str,
        incoming: Iterable[NewArticle],
        fetched_at: datetime,
        encoded_bodies: EncodedBodies | None = None,
    ) -> MergeResult:
        """Add new articles and update changed ones for one feed, then apply retention
        (identity, flags kept, tombstones: see `merge.py`). Headers and bodies are on disk
        when this returns (StoreError if they could not be written; the writer retries).

        `encoded_bodies`: the items' bodies as a parser process encoded them for a feed
        with no articles (their `body_html` is empty). Written as they are when the feed
        still has none and nothing is pruned; otherwise decoded and merged as usual.
        """
        try:
            self._check_writable()
            result = self.merger.merge(
                feed_id,
                incoming,
                fetched_at,
                encoded_bodies,
                keep_read=self.keep_read,
                max_per_feed=self.max_per_feed,
            )
        except BaseException:
            # Not merged: its staged file goes, unless pinned for the writer to retry.
            if encoded_bodies is not None and self.index.unsaved.get(feed_id) is not encoded_bodies:
                discard(Path(encoded_bodies.staged))
            raise
        dups = self.index.dups
        if dups is not None and (read_elsewhere := dups.read_elsewhere()):
            self.set_read(read_elsewhere)  # a story read in another feed arrives read
        return result

    def first_bodies_dir(self, feed_id: str) -> Path | None:
        """Where a parser may stage the bodies file of this feed's first fetch
        (`records.encode_new_bodies`, then `merge_articles`); None when the feed has
        articles already (or pruned ones), or the library is read-only."""
        if self.read_only:
            return None
        self.loader.load_feeds((feed_id,))
        index = self.index
        with index.lock:
            if index.by_feed.get(feed_id) or index.gone.get(feed_id) or feed_id in index.unsaved:
                return None
        return self.directory / "bodies"

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
        """Record the outcome of a fetch (success, 304 or failure) on the feed; see
        `Subscriptions.record_fetch`. Returns None for an unknown feed."""
        return self.subscriptions.record_fetch(
            feed_id,
            ok=ok,
            error=error,
            etag=etag,
            last_modified=last_modified,
            title=title,
            site_url=site_url,
            url=url,
            when=when,
            retry_after=retry_after,
        )
