"""Merging a refresh's articles into the library, and retention.

`Merger` owns the *merge lock*: one merge at a time, so two merges of a feed never write
its files out of order. It changes the `Index` (under its state lock), reads the feed's
saved bodies through the `Loader`, and has the `Writer` put the feed's flags (only when
retention pruned something), bodies and headers on disk before a merge returns. Lock
order: the merge lock, then the state lock, then the writer's file lock.

Identity is (feed, key): the same article fetched again never duplicates, keeps its
flags, and has its content replaced when it changed. Articles pruned by retention
(`Index.apply_retention`) are remembered by id so that a feed still listing them does
not bring them back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..htmltext import word_count
from ..models import NO_MEDIA, Article, ArticleMedia, EncodedBodies, NewArticle
from .index import Index
from .loader import Loader
from .records import (
    FeedBodies,
    MergeResult,
    StoreError,
    article_id,
    decode_bodies,
    media_of,
    own_authors,
)
from .writer import Writer, discard


class Merger:
    """Merges fetched articles into one feed, then applies retention."""

    def __init__(self, index: Index, loader: Loader, writer: Writer) -> None:
        self.index = index
        self.loader = loader
        self.writer = writer
        self.lock = threading.Lock()

    def merge(
        self,
        feed_id: str,
        incoming: Iterable[NewArticle],
        fetched_at: datetime,
        encoded: EncodedBodies | None,
        *,
        keep_read: int,
        max_per_feed: int,
    ) -> MergeResult:
        """See `Store.merge_articles`."""
        with self.lock:
            return self._merge(feed_id, incoming, fetched_at, encoded, keep_read, max_per_feed)

    def _merge(
        self,
        feed_id: str,
        incoming: Iterable[NewArticle],
        fetched_at: datetime,
        encoded: EncodedBodies | None,
        keep_read: int,
        max_per_feed: int,
    ) -> MergeResult:
        index, writer = self.index, self.writer
        # This feed's own headers and flags are all a merge needs (identity, flags kept,
        # tombstones, retention); the other feeds stay unread on a lazy open.
        self.loader.load_feeds((feed_id,))
        try:
            # strict: an unreadable (not damaged) bodies file must not be replaced by one
            # that holds only this fetch's articles.
            saved = self.loader.feed_bodies(feed_id, strict=True)
            bodies = FeedBodies(saved)
            bodies.media = dict(media_of(saved))
        except OSError as exc:
            raise StoreError(f"Could not read saved articles: {exc.strerror or exc}") from None
        new = updated = 0
        with index.lock:
            if feed_id not in index.feeds:
                raise StoreError("that feed is no longer subscribed")
            ids = index.by_feed.setdefault(feed_id, set())
            gone = index.gone.setdefault(feed_id, {})
            if encoded is not None:
                incoming = list(incoming)
            if encoded is not None and (
                ids
                or gone
                or bodies
                or feed_id in index.unsaved
                or len(encoded.ids) > min(keep_read, max_per_feed)  # would prune
                or any(item.words is None for item in incoming)  # to be counted from bodies
            ):
                # Not a plain first fetch any more: merge the bodies as text after all.
                try:
                    html_of = decode_bodies(encoded)
                except (OSError, ValueError) as exc:
                    raise StoreError(f"Could not read the parsed articles: {exc}") from None
                discard(Path(encoded.staged))
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
                old = index.articles.get(aid)
                same_body = old is not None and bodies.get(aid, "") == item.body_html
                media = (
                    ArticleMedia(item.enclosures, item.image)
                    if item.enclosures or item.image
                    else NO_MEDIA
                )
                had = bodies.media.get(aid)
                same_media = media is NO_MEDIA if had is None else had == media
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
                    authors=own_authors(item.author, item.authors),
                    enclosure_count=len(media.enclosures),
                )
                if old is None:
                    new += 1
                    index.unread[feed_id] = index.unread.get(feed_id, 0) + 1
                elif same_body and same_media and old == article:
                    continue
                else:
                    updated += 1
                index.articles[aid] = article
                index.keys[aid] = item.key
                if index.dups is not None:
                    index.dups.replace(old, article, item.key)
                ids.add(aid)
                if encoded is None:
                    bodies[aid] = item.body_html
                    bodies.set_media(aid, media)
            pruned = index.apply_retention(feed_id, bodies, keep_read, max_per_feed)
            if not (new or updated or pruned or feed_id in index.unsaved):
                return MergeResult()
            index.sorted = None
            index.hidden.mark_stale(feed_id)  # the ignore rules look at it again
            replaced = index.unsaved.get(feed_id)
            if isinstance(replaced, EncodedBodies):
                # A first fetch's file still waiting for a retry: its bodies are in
                # `bodies` now (read above), and the new pin supersedes it.
                discard(Path(replaced.staged))
            if encoded is not None:
                # Pinned as the encoded file; read back (decoded) only if asked for before
                # it is written. The cache may hold this feed's (empty) bodies from before:
                # they must go, the file is read again when asked for.
                index.unsaved[feed_id] = encoded
                index.bodies.pop(feed_id, None)
            else:
                index.unsaved[feed_id] = bodies  # pinned until written (also for the writer)
                index.bodies[feed_id] = bodies
                index.bodies.move_to_end(feed_id)
                index.trim_body_cache()
            flags = writer.flags_payload(feed_id) if pruned else None
            if flags is not None:
                writer.dirty_flags.discard(feed_id)
        try:
            if flags is not None:
                # Tombstones before headers: after a crash in between, loading drops the
                # pruned articles that are still in the headers file.
                writer.write_shard("flags", feed_id, flags[1], flags[0])
            writer.save_feed_shards(feed_id)
        except OSError as exc:
            with index.lock:
                if flags is not None:
                    writer.mark_flags_dirty([feed_id])
            writer.wake.set()
            raise StoreError(f"Could not save new articles: {exc.strerror or exc}") from None
        return MergeResult(new=new, updated=updated, pruned=pruned)


def _words_of(item: NewArticle) -> int:
    return item.words if item.words is not None else word_count(item.body_html)
