"""The library in memory: feeds, article headers, flags and counts, and the queries on them.

`Index` owns every in-memory record of the library and the *state lock* (`Index.lock`,
an RLock) that guards them: the feeds and their url index, the articles and their keys,
the read and starred sets, the unread counts, the tombstones of pruned articles, the
newest-first order (cached until the next change), which feeds are not loaded yet (lazy
open), the LRU of bodies read from disk and the bodies pinned until they are written.

No file is read or written here: `loader.py` fills the index, `writer.py` writes what it
holds, `library.py` (the `Store` facade) and `merge.py` change it. Every method that
changes or reads more than one field expects the caller to hold `lock`, unless it says it
takes the lock itself.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..models import Article, EncodedBodies, Feed
from .hidden import HiddenArticles
from .records import header_doc, media_of, sort_key

if TYPE_CHECKING:
    from .duplicates import Duplicates

# Bodies of this many feeds are kept in memory (least recently used go first).
BODY_CACHE_FEEDS = 8


class Index:
    """Every in-memory record of the library, guarded by `lock`."""

    def __init__(self) -> None:
        # Lock order in the store: the merge lock, then this one, then the writer's file
        # lock. Nobody takes this one while holding the file lock, so disk writes never
        # wait for the UI and vice versa.
        self.lock = threading.RLock()
        self.feeds: dict[str, Feed] = {}
        self.feed_docs: dict[str, str] = {}  # feed id -> TinyDB doc id in the feeds table
        self.url_keys: dict[str, str] = {}  # feed_url_key(url) -> feed id
        self.articles: dict[str, Article] = {}
        self.keys: dict[str, str] = {}  # article id -> feed-local key
        self.by_feed: dict[str, set[str]] = {}
        self.read: set[str] = set()
        self.starred: set[str] = set()
        self.unread: dict[str, int] = {}  # feed id -> unread count, kept up to date
        # feed id -> ids pruned by retention, oldest first (a dict is an ordered set).
        self.gone: dict[str, dict[str, None]] = {}
        self.sorted: list[Article] | None = None
        self.bodies: OrderedDict[str, dict[str, str]] = OrderedDict()
        # Feeds whose headers/bodies could not be written by a merge: the writer retries
        # them, with the bodies pinned here so an LRU eviction cannot lose them. A first
        # fetch's bodies may be pinned as the file a parser process encoded.
        self.unsaved: dict[str, dict[str, str] | EncodedBodies] = {}
        # Feeds whose headers and flags are not in memory yet (`open(lazy=True)`): read
        # the first time something needs them. Empty after an eager open.
        self.unloaded: set[str] = set()
        # What the ignore rules hide (`[[ignore]]`): left out of queries and counts.
        self.hidden = HiddenArticles(self)
        # Copies of one story across feeds (`Store.track_duplicates`); None: not tracked.
        self.dups: Duplicates | None = None

    # ------------------------------------------------------------------ loading

    def add_loaded(
        self,
        feed_id: str,
        articles: dict[str, Article],
        keys: dict[str, str],
        gone: dict[str, None],
        read: Iterable[str],
        starred: Iterable[str],
    ) -> None:
        """Put one feed's records, read from its files, into memory (once; takes the lock)."""
        ids = set(articles)
        read_here = {i for i in read if i in ids}
        with self.lock:
            if feed_id not in self.unloaded:
                return  # loaded by another thread meanwhile, or unsubscribed
            self.unloaded.discard(feed_id)
            self.articles.update(articles)
            self.keys.update(keys)
            if self.dups is not None:
                for aid, article in articles.items():
                    self.dups.add(article, keys[aid])
            self.by_feed[feed_id] = ids
            self.gone[feed_id] = gone
            self.read.update(read_here)
            self.starred.update(i for i in starred if i in ids)
            self.unread[feed_id] = len(ids) - len(read_here)
            self.sorted = None

    def forget_feed(self, feed_id: str) -> dict[str, str] | EncodedBodies | None:
        """Drop everything of an unsubscribed feed but its `feeds` entry; returns the
        bodies that were pinned for it (call with the lock held)."""
        for aid in self.by_feed.pop(feed_id, set()):
            self.forget_copy(aid)
            self.articles.pop(aid, None)
            self.keys.pop(aid, None)
            self.read.discard(aid)
            self.starred.discard(aid)
        self.gone.pop(feed_id, None)
        self.unread.pop(feed_id, None)
        self.unloaded.discard(feed_id)  # never read its files back in
        self.bodies.pop(feed_id, None)
        self.sorted = None
        return self.unsaved.pop(feed_id, None)

    def forget_copy(self, article_id: str) -> None:
        """Before an article leaves the index: out of the duplicate groups too."""
        if self.dups is not None and article_id in self.articles:
            self.dups.remove(self.articles[article_id], self.keys.get(article_id, ""))

    # ------------------------------------------------------------------ documents

    def flags_doc(self, feed_id: str) -> dict[str, Any]:
        """The flags file of a loaded feed (call with the lock held)."""
        ids = self.by_feed.get(feed_id, set())
        return {
            "flags": {
                "1": {
                    "read": sorted(ids & self.read),
                    "starred": sorted(ids & self.starred),
                    "gone": list(self.gone.get(feed_id, ())),  # oldest first
                }
            }
        }

    def feed_ids_sorted(self, feed_id: str) -> list[str]:
        """The feed's article ids in file order (call with the lock held)."""
        return sorted(self.by_feed.get(feed_id, ()))

    def headers_doc(self, ids: Iterable[str]) -> dict[str, Any]:
        """The headers file of these articles, numbered from 1 (call with the lock held)."""
        return {
            "articles": {
                str(n): header_doc(self.articles[aid], self.keys[aid])
                for n, aid in enumerate(ids, start=1)
            }
        }

    # ------------------------------------------------------------------ bodies cache

    def cache_bodies(self, feed_id: str, bodies: dict[str, str]) -> dict[str, str]:
        """Keep a feed's bodies as most recently used; a newer entry wins (takes the lock)."""
        with self.lock:
            bodies = self.bodies.setdefault(feed_id, bodies)
            self.bodies.move_to_end(feed_id)
            self.trim_body_cache()
        return bodies

    def trim_body_cache(self) -> None:
        while len(self.bodies) > BODY_CACHE_FEEDS:
            self.bodies.popitem(last=False)

    # ------------------------------------------------------------------ queries

    def all_sorted(self) -> list[Article]:
        if self.sorted is None:
            self.sorted = sorted(self.articles.values(), key=sort_key, reverse=True)
        return self.sorted

    def query(
        self,
        feed_ids: Collection[str] | None,
        *,
        unread_only: bool,
        starred_only: bool,
        since: datetime | None,
        include_hidden: bool = False,
    ) -> list[Article]:
        """Articles of loaded feeds, newest first, filtered (takes the lock). Articles the
        ignore rules hide are left out unless `include_hidden`."""
        with self.lock:
            result: Iterable[Article]
            if feed_ids is not None and self.sorted is None:
                # A few feeds while the full order is stale (during a refresh): sorting
                # just their articles beats re-sorting all 100k.
                wanted_ids = [i for f in set(feed_ids) for i in self.by_feed.get(f, ())]
                result = sorted((self.articles[i] for i in wanted_ids), key=sort_key, reverse=True)
            elif since is not None and self.sorted is None:
                # The same for a recent slice (Today's count, asked for again and again
                # while a refresh keeps the full order stale): pick, then sort the few.
                recent = (a for a in self.articles.values() if a.published >= since)
                result = sorted(recent, key=sort_key, reverse=True)
            else:
                result = self.all_sorted()
                if feed_ids is not None:
                    wanted = set(feed_ids)
                    result = (a for a in result if a.feed_id in wanted)
            if since is not None:
                # Newest first: the articles since a moment are a prefix of the list.
                result = itertools.takewhile(lambda a: a.published >= since, result)
            if unread_only:
                read = self.read
                result = (a for a in result if a.id not in read)
            if starred_only:
                starred = self.starred
                result = (a for a in result if a.id in starred)
            hidden = None if include_hidden else self.hidden.ids()
            if hidden:
                result = (a for a in result if a.id not in hidden)
            return list(result)

    def set_flag(
        self, flag: set[str], article_ids: Iterable[str], value: bool, *, counts: bool
    ) -> tuple[list[str], set[str]]:
        """Set `flag` (`self.read` or `self.starred`) on articles; returns the ids that
        changed and their feeds (call with the lock held)."""
        changed: list[str] = []
        feeds: set[str] = set()
        unread = self.unread
        step = -1 if value else 1
        for aid in article_ids:
            article = self.articles.get(aid)
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
        self.hidden.flags_changed(feeds)
        return changed, feeds

    # ------------------------------------------------------------------ retention

    def apply_retention(
        self, feed_id: str, bodies: dict[str, str], keep_read: int, max_per_feed: int
    ) -> int:
        """Prune a feed: at most `keep_read` read+unstarred articles, and at most
        `max_per_feed` articles in all (starred ones count but are never pruned; when they
        alone exceed the cap, every unstarred one goes). Oldest go first. Returns how many
        went (call with the lock held)."""
        ids = self.by_feed[feed_id]
        if len(ids) <= min(keep_read, max_per_feed):
            return 0
        starred = self.starred
        read = self.read
        budget = max(0, max_per_feed - len(ids & starred))
        newest_first = sorted(
            (self.articles[i] for i in ids if i not in starred), key=sort_key, reverse=True
        )
        doomed: list[str] = []
        read_kept = 0
        kept = 0
        for article in newest_first:
            aid = article.id
            is_read = aid in read
            if kept >= budget or (is_read and read_kept >= keep_read):
                doomed.append(aid)
                continue
            kept += 1
            read_kept += is_read
        gone = self.gone.setdefault(feed_id, {})
        media = media_of(bodies)
        # Oldest first into the tombstones, so trimming drops the oldest.
        for aid in reversed(doomed):
            ids.discard(aid)
            self.forget_copy(aid)
            self.articles.pop(aid, None)
            self.keys.pop(aid, None)
            if aid in read:
                read.discard(aid)
            else:
                self.unread[feed_id] -= 1
            bodies.pop(aid, None)
            media.pop(aid, None)
            gone[aid] = None
        # Tombstones only matter while the feed still lists the article; keep them bounded.
        excess = len(gone) - 4 * max_per_feed
        if excess > 0:
            for aid in list(itertools.islice(gone, excess)):
                del gone[aid]
        return len(doomed)
