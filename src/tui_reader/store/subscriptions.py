"""The subscriptions: the `feeds` table of library.json and the feeds in the index.

`Subscriptions` owns no state of its own: it changes the feed records of the `Index`
(under the state lock) and the `feeds` table of library.json (`AtomicStorage`, which the
`Writer` saves), and has the writer delete an unsubscribed feed's files. It is given the
store's `check_writable` and the `FullTextCache` (an unsubscribed feed's texts go).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..models import UNCATEGORIZED, EncodedBodies, Feed
from ..text import clean_line, feed_url_key, is_command_url
from .fulltext_cache import FullTextCache
from .index import Index
from .records import feed_to_doc
from .tinydb_storage import AtomicStorage
from .writer import Writer, discard

# Per-feed files, one folder each: removed with their feed, swept of stale temp files.
FEED_FILE_KINDS = ("headers", "flags", "bodies", "fulltext")


class Subscriptions:
    """Subscribe, change, unsubscribe, record fetches."""

    def __init__(
        self,
        directory: Path,
        index: Index,
        writer: Writer,
        full_texts: FullTextCache,
        *,
        check_writable: Callable[[], None],
    ) -> None:
        self.directory = directory
        self.index = index
        self.writer = writer
        self.full_texts = full_texts
        self.check_writable = check_writable
        self.main: AtomicStorage | None = None  # library.json, once it is opened

    def find_by_url(self, url: str) -> Feed | None:
        """The subscription with this url (ignoring http/https, host case, trailing slash)."""
        with self.index.lock:
            feed_id = self.index.url_keys.get(feed_url_key(url))
            return self.index.feeds.get(feed_id) if feed_id is not None else None

    def add(
        self,
        url: str,
        title: str = "",
        category: str = "",
        site_url: str = "",
        *,
        trust_command: bool = False,
    ) -> tuple[Feed, bool]:
        """Subscribe; returns (feed, created). An existing subscription is returned as is.

        `trust_command`: the user allowed this `exec:`/`filter:` subscription to run
        (`--allow-commands`, a confirmation): recorded on the feed, new or existing. Only
        the paths where the user said so pass it; nothing else ever sets the mark.
        """
        self.check_writable()
        index = self.index
        with index.lock:
            existing = self.find_by_url(url)
            if existing is not None:
                if trust_command:
                    existing = self.trust_command(existing.id)
                return existing, False
            base = hashlib.blake2b(feed_url_key(url).encode(), digest_size=4).hexdigest()
            feed_id, n = base, 1
            while feed_id in index.feeds:
                feed_id, n = f"{base}{n}", n + 1
            feed = Feed(
                id=feed_id,
                url=url,
                title=clean_line(title, 300),
                category=clean_line(category, 300) or UNCATEGORIZED,
                site_url=site_url,
                trusted_command=url if trust_command and is_command_url(url) else "",
            )
            # Files of an earlier subscription with the same id (removed, or a crash before
            # library.json was saved) must not lend it old tombstones or flags.
            self.writer.delete_feed_files(feed_id, FEED_FILE_KINDS)
            self.put(feed)
            index.by_feed[feed_id] = set()
            index.gone[feed_id] = {}
            index.unread[feed_id] = 0
            return feed, True

    def trust_command(self, feed_id: str) -> Feed:
        """Record that the user allowed this command subscription, as its url is now."""
        self.check_writable()
        with self.index.lock:
            feed = self.index.feeds[feed_id]
            trusted = feed.url if is_command_url(feed.url) else ""
            if trusted == feed.trusted_command:
                return feed
            updated = replace(feed, trusted_command=trusted)
            self.put(updated)
            return updated

    def update(self, feed_id: str, **changes: Any) -> Feed:
        """Change a feed's fields (title, category, url, etag, ...) and save it."""
        if "trusted_command" in changes:
            # Trust comes from the user's own say-so only: `add`/`trust_command`.
            raise ValueError("a command is trusted only through trust_command")
        self.check_writable()
        with self.index.lock:
            feed = self.index.feeds[feed_id]
            if "title" in changes:
                changes["title"] = clean_line(changes["title"], 300)
            if "category" in changes:
                changes["category"] = clean_line(changes["category"], 300) or UNCATEGORIZED
            updated = replace(feed, **changes)
            if updated != feed:
                self.put(updated)
            return updated

    def put(self, feed: Feed) -> None:
        """Put a feed into memory, the url index and library.json (call with the state
        lock held)."""
        storage = self.main
        assert storage is not None
        index = self.index
        old = index.feeds.get(feed.id)
        if old is not None and index.url_keys.get(feed_url_key(old.url)) == feed.id:
            del index.url_keys[feed_url_key(old.url)]
        doc_id = index.feed_docs.get(feed.id)
        if doc_id is None:
            table = (storage.read() or {}).get("feeds", {})
            doc_id = str(max((int(k) for k in table if k.isdigit()), default=0) + 1)
            index.feed_docs[feed.id] = doc_id
        storage.put("feeds", doc_id, feed_to_doc(feed))
        index.feeds[feed.id] = feed
        index.url_keys.setdefault(feed_url_key(feed.url), feed.id)

    def remove(self, feed_id: str) -> None:
        """Unsubscribe and delete the feed's articles (starred ones too: the user asked)."""
        self.check_writable()
        index, writer = self.index, self.writer
        with index.lock:
            storage = self.main
            assert storage is not None
            feed = index.feeds.pop(feed_id, None)
            if feed is None:
                return
            if index.url_keys.get(feed_url_key(feed.url)) == feed_id:
                del index.url_keys[feed_url_key(feed.url)]
            doc_id = index.feed_docs.pop(feed_id, None)
            if doc_id is not None:
                storage.delete("feeds", doc_id)
            pinned = index.forget_feed(feed_id)
            self.full_texts.forget(feed_id)
            if isinstance(pinned, EncodedBodies):
                discard(Path(pinned.staged))
            writer.dirty_flags.discard(feed_id)
            # library.json goes to disk before the shards go: a crash in between must not
            # leave a subscription whose articles are gone while its etag says "up to date".
            data = storage.snapshot()
            version = writer.next_version()
            try:
                if data is not None:
                    path = self.directory / "library.json"
                    writer.write_file(("main", ""), version, path, data)
            except OSError:
                storage.dirty = True  # the writer retries; the shards stay until it has
                writer.wake.set()
                return
            writer.delete_feed_files(feed_id, FEED_FILE_KINDS)

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
        self.check_writable()
        now = when or datetime.now(UTC)
        with self.index.lock:
            feed = self.index.feeds.get(feed_id)
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
                moved = url and url != feed.url and not is_command_url(feed.url)
                if moved and self.find_by_url(url) in (None, feed):
                    changes["url"] = url
            else:
                changes.update(last_error=clean_line(error or "unknown error", 500))
                changes["failures"] = feed.failures + 1
                if retry_after:
                    changes["retry_until"] = now + timedelta(seconds=retry_after)
            return self.update(feed_id, **changes)
