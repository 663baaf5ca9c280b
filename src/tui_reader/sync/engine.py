"""The sync engine: one library, one account, one `SyncClient` (issue 17).

A sync is: push the outbox (in the order the changes were made), pull the server's
subscriptions and the entries changed since the last cursor, fetch the entries behind
unknown unread/starred ids, reconcile the read and starred flags with the server's full id
lists, then push once more what the pull made resolvable, and save the id mapping. Where
the server reports flag changes with the changed entries (Miniflux REST: `flag_counts`),
their flags are taken and checked against the server's counts; the full lists (there:
every unread entry with its content) are read only when the counts disagree.

The conflict rule: a local change not yet pushed (a record in the outbox) wins over the
server's state for that article and flag; for everything else the server wins. A record
leaves the outbox only after the server acknowledged it, and the clients send only what
differs from the server's state, so pushing twice (after a crash, say) changes nothing.

Runs in whatever thread calls it (the CLI's main thread, a worker in the reader); it never
touches a screen. Every server failure is a `SyncError` with one line for the user, kept
as the account's `last_error`; the outbox stays as it was.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..models import NewArticle
from ..store import Store
from ..store.records import article_id
from .base import (
    Cancelled,
    FlagCounts,
    ProtocolError,
    RemoteEntry,
    RemoteFeed,
    ServerUnavailable,
    SyncClient,
    SyncError,
)

# Entries may be committed on the server while we read (a feed refresh's transaction
# stamps them with its start time): start the next pull this much before the server's
# clock said this one started. Seconds are enough: those transactions are short, and an
# unread or starred entry missed anyway is caught by the count check (REST) or the id
# lists (Google Reader). A whole minute made every sync within a minute of the server's
# fetch download all of it again (benchmarks: 10k entries, 4.3 s for "nothing new").
CURSOR_MARGIN = 15
FETCH_BATCH = 250  # unknown ids fetched per `entries` call
# The per-item errors of the last sync kept in the account (`skipped`) for `H`.
MAX_SKIPPED = 50


@dataclass
class SyncReport:
    pushed: int = 0  # outbox records the server acknowledged
    pulled: int = 0  # flags changed locally to match the server
    new: int = 0  # articles added
    new_feeds: list[str] = field(default_factory=list)  # local ids of the feeds that got some
    feeds_added: int = 0
    feeds_removed: int = 0
    uploaded: int = 0  # feeds subscribed on the server by `upload`
    errors: list[str] = field(default_factory=list)  # what was skipped, one line each
    error: str | None = None  # why the sync stopped (server down, wrong password...)
    waiting: int = 0  # outbox records left
    offline: bool = False  # `error` is the server being out of reach, not a refusal
    cancelled: bool = False  # stopped by `client.cancel()` (the app closing): no error

    @property
    def new_articles(self) -> int:
        """As `RefreshSummary.new_articles`: what a refresh's listeners read."""
        return self.new

    def summary(self) -> str:
        """One line for the CLI (and later the reader)."""
        from ..wording import plural

        parts = [
            f"pushed {plural(self.pushed, 'change')}",
            f"pulled {plural(self.pulled, 'change')}",
            f"{plural(self.new, 'new article')}",
        ]
        if self.uploaded:
            parts.insert(0, f"uploaded {plural(self.uploaded, 'feed')}")
        if self.feeds_added or self.feeds_removed:
            parts.append(f"feeds +{self.feeds_added} -{self.feeds_removed}")
        if self.errors:
            parts.append(plural(len(self.errors), "error"))
        if self.error:
            if self.cancelled:
                return "Sync stopped."
            return f"Sync failed: {self.error} ({plural(self.waiting, 'change')} waiting)"
        return "Synced: " + ", ".join(parts) + "."


class SyncEngine:
    """Syncs `store` with the account `client` talks to."""

    def __init__(
        self,
        store: Store,
        client: SyncClient,
        *,
        now: Callable[[], float] = time.time,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.now = now
        # A few words at each step ("reading subscriptions"): the reader shows them.
        self.progress: Callable[[str], None] = on_progress or (lambda _what: None)
        self.report = SyncReport()
        self.mapping: dict[str, Any] = {}
        self._local_wins_on_match = False
        self._mapped_ids: set[str] | None = None  # remote ids mapped (built on first use)
        self._links: dict[str, dict[str, str]] = {}  # feed -> link -> unmapped local id

    # ------------------------------------------------------------------ entry points

    def run(self, *, upload: bool = False) -> SyncReport:
        """One sync; with `upload`, first subscribe the server to every local feed and
        let the local read/starred state of the articles both sides have win."""
        sync = self.store.sync
        account = sync.account() or {}
        # An upload that failed half-way (server down) is finished by the next sync.
        upload = upload or bool(account.get("upload_pending"))
        sync.record(last_attempt=self.now())
        self.mapping = sync.load_mapping()
        len(self.store)  # load every feed's articles: flags are reconciled over all
        try:
            if upload:
                self._upload()
            self._push()
            self._pull()
            self._push()  # records whose article the pull just mapped
        except SyncError as exc:
            self._failed(exc)
        else:
            sync.record(
                last_sync=self.now(), last_error=None, offline=False, upload_pending=False,
                skipped=self.report.errors[:MAX_SKIPPED],
            )  # fmt: skip
        finally:
            sync.save_mapping(self.mapping)  # what was learned, even from a failed pull
            self.report.waiting = sync.waiting()
        return self.report

    def push(self) -> SyncReport:
        """Only push the outbox (the reader, soon after a flag change): what the server
        has not mapped yet waits for the next full sync."""
        sync = self.store.sync
        attempt = self.now()
        self.mapping = sync.load_mapping()
        try:
            self._push()
        except SyncError as exc:
            sync.record(last_attempt=attempt)
            self._failed(exc)
        else:
            sync.record(last_attempt=attempt, last_error=None, offline=False)
        finally:
            sync.save_mapping(self.mapping)  # a subscribe maps its new feed
            self.report.waiting = sync.waiting()
        return self.report

    def _failed(self, exc: SyncError) -> None:
        """Why the sync stopped, kept as the account's `last_error` (not when the app
        closing cancelled it: nothing is wrong then)."""
        self.report.error = str(exc)
        if isinstance(exc, Cancelled):
            self.report.cancelled = True
            return
        self.report.offline = isinstance(exc, ServerUnavailable)
        self.store.sync.record(last_error=str(exc), offline=self.report.offline)

    # ------------------------------------------------------------------ push

    def _push(self) -> None:
        self.progress("sending changes")
        batch: dict[tuple[str, bool], list[tuple[int, str]]] = defaultdict(list)
        for record in self.store.sync.pending():
            kind = record.get("kind")
            if kind == "flag":
                resolved = self._remote_article(record)
                if resolved is None:
                    continue  # not on the server yet: a later pull maps it
                if resolved:
                    batch[(record["flag"], bool(record.get("value")))].append(
                        (record["seq"], resolved)
                    )
                else:
                    self.store.sync.ack([record["seq"]])  # a local-only article
                continue
            # Anything else is pushed after the flag changes made before it, so that
            # "mark all read, then keep one unread" stays that way on the server.
            self._send_flags(batch)
            batch.clear()
            if kind == "mark_all":
                try:
                    self._push_mark_all(record)
                except ProtocolError as exc:  # refused now, refused later: reported, dropped
                    self.report.errors.append(str(exc))
            elif kind == "sub":
                self._push_sub(record)
            self.store.sync.ack([record["seq"]])
            self.report.pushed += 1
        self._send_flags(batch)

    def _remote_article(self, record: dict[str, Any]) -> str | None:
        """The remote id of a flag record's article; "" when it never will have one (a
        local-only feed, or gone), None when it may after a pull."""
        local = str(record.get("article"))
        remote = self.mapping["articles"].get(local)
        if remote:
            return remote
        article = self.store.article(local)
        if article is None or article.feed_id not in self.mapping["feeds"]:
            return ""
        return None

    def _send_flags(self, batch: dict[tuple[str, bool], list[tuple[int, str]]]) -> None:
        for (flag, value), items in batch.items():
            send = self.client.set_read if flag == "read" else self.client.set_starred
            try:
                send([remote for _, remote in items], value)
            except ProtocolError:
                # One entry the server refuses (deleted there, say) must not hold the
                # others back for ever: send them one by one, drop what is refused.
                for _, remote in items:
                    try:
                        send([remote], value)
                    except ProtocolError as exc:
                        self.report.errors.append(str(exc))
            self.store.sync.ack(seq for seq, _ in items)
            self.report.pushed += len(items)

    def _push_mark_all(self, record: dict[str, Any]) -> None:
        before = record.get("before")
        before = int(before) if isinstance(before, int | float) else None
        feed = record.get("feed")
        category = record.get("category")
        if feed:
            remote = self.mapping["feeds"].get(feed)
            if remote:
                self.client.mark_all_read(feed_id=remote, before=before)
        elif category:
            for remote_category in self.client.categories():
                if remote_category.title.casefold() == str(category).casefold():
                    self.client.mark_all_read(category_id=remote_category.id, before=before)
        else:
            self.client.mark_all_read(before=before)

    def _push_sub(self, record: dict[str, Any]) -> None:
        op = record.get("op")
        local = str(record.get("feed"))
        feeds: dict[str, str] = self.mapping["feeds"]
        try:
            if op == "subscribe":
                made = self._subscribe(
                    str(record.get("url")), str(record.get("category") or ""),
                    str(record.get("title") or ""),
                )  # fmt: skip
                if made is not None:
                    feeds[local] = made.id
                return
            remote = feeds.get(local)
            if remote is None:
                return  # a local-only feed
            if op == "unsubscribe":
                self.client.unsubscribe(remote)
                del feeds[local]
            elif op == "rename":
                self.client.rename_feed(remote, str(record.get("title") or ""))
            elif op == "move":
                self.client.move_feed(remote, str(record.get("category") or ""))
        except ProtocolError as exc:
            # The server refuses this change (a feed it cannot fetch, one gone): it will
            # not accept it later either, so it is reported and dropped.
            self.report.errors.append(str(exc))

    def _subscribe(self, url: str, category: str, title: str) -> RemoteFeed | None:
        from ..text import is_command_url

        if is_command_url(url):
            return None  # an exec:/filter: feed runs here only; its command is never sent
        try:
            return self.client.subscribe(url, category=category, title=title)
        except ProtocolError as exc:
            from ..text import feed_url_key

            for remote in self.client.feeds():  # already subscribed there?
                if remote.url and feed_url_key(remote.url) == feed_url_key(url):
                    return remote
            self.report.errors.append(f"{url}: {exc}")
            return None

    # ------------------------------------------------------------------ upload

    def _upload(self) -> None:
        """Subscribe the server to every local feed not mapped yet (categories kept)."""
        self._local_wins_on_match = True
        feeds: dict[str, str] = self.mapping["feeds"]
        for feed in self.store.feeds():
            if feed.id in feeds:
                continue
            made = self._subscribe(feed.url, feed.category, feed.title)
            if made is not None:
                feeds[feed.id] = made.id
                self.report.uploaded += 1

    # ------------------------------------------------------------------ pull

    def _pull(self) -> None:
        pending_feeds = {
            str(r.get("feed")) for r in self.store.sync.pending() if r.get("kind") == "sub"
        }
        self.progress("reading subscriptions")
        remote_feeds = self.client.feeds()
        started = self.client.server_time
        local_of = self._pull_feeds(remote_feeds, pending_feeds)
        cursor = self.mapping.get("cursor")
        new: dict[str, list[RemoteEntry]] = defaultdict(list)
        reported: dict[str, tuple[bool, bool]] = {}  # remote id -> (read, starred)
        with self.store.bulk_writes():
            self.progress("reading new articles")
            for entry in self.client.entries_since(cursor):
                reported[entry.id] = (entry.read, entry.starred)
                self._place(entry, local_of, new)
            # Starred on the server (as reported with the entries): kept by drop rules.
            self._merge(new, frozenset(i for i, (_, star) in reported.items() if star))
        new.clear()  # the bodies are stored: let them go
        if self._flags_from_reported(reported):
            if started is not None:
                self.mapping["cursor"] = int(started.timestamp()) - CURSOR_MARGIN
            return
        seen = set(reported)
        with self.store.bulk_writes():
            unread = self.client.unread_ids()
            starred = self.client.starred_ids()
            known = set(self.mapping["articles"].values())
            missing = sorted((unread | starred) - known - seen)
            for start in range(0, len(missing), FETCH_BATCH):
                self.progress(f"fetching articles {start}/{len(missing)}")
                for entry in self.client.entries(missing[start : start + FETCH_BATCH]):
                    self._place(entry, local_of, new)
            self.progress("saving articles")
            self._merge(new, starred)
        self.progress("matching read and starred")
        self._reconcile(unread, starred)
        if started is not None:
            self.mapping["cursor"] = int(started.timestamp()) - CURSOR_MARGIN

    def _pull_feeds(self, remote_feeds: list[RemoteFeed], pending: set[str]) -> dict[str, str]:
        """Local feeds for the server's (added, renamed, moved, removed: the server wins
        unless a local subscription change waits). Returns remote id -> local id."""
        store = self.store
        subs = store.subscriptions
        feeds: dict[str, str] = self.mapping["feeds"]
        local_of = {remote: local for local, remote in feeds.items()}
        present: set[str] = set()
        for remote in remote_feeds:
            local_id = local_of.get(remote.id)
            feed = store.feed(local_id) if local_id else None
            if feed is None and remote.url:
                feed = store.find_feed_by_url(remote.url)
            if feed is None:
                if not remote.url:
                    continue  # its URL failed the policy: nothing we may fetch or show
                feed, _ = subs.add(remote.url, remote.title, remote.category, remote.site_url)
                self.report.feeds_added += 1
            feeds[feed.id] = remote.id
            local_of[remote.id] = feed.id
            present.add(feed.id)
            if feed.id in pending:
                continue
            changes: dict[str, Any] = {}
            if remote.title and remote.title != feed.title:
                changes["title"] = remote.title
            if remote.category and remote.category != feed.category:
                changes["category"] = remote.category
            if changes:
                subs.update(feed.id, **changes)
        for local_id in [f for f in feeds if f not in present and f not in pending]:
            del feeds[local_id]  # unsubscribed on the server
            if store.feed(local_id) is not None:
                self._forget_articles(local_id)
                subs.remove(local_id)
                self.report.feeds_removed += 1
        return {remote: local for local, remote in feeds.items()}

    def _forget_articles(self, feed_id: str) -> None:
        articles: dict[str, str] = self.mapping["articles"]
        for article in self.store.iter_feed_articles(feed_id):
            articles.pop(article.id, None)

    def _place(
        self, entry: RemoteEntry, local_of: dict[str, str], new: dict[str, list[RemoteEntry]]
    ) -> None:
        """An entry from the server: mapped already, matched to a local article of its
        feed by link (a library that had the feed before it was bound), or new."""
        articles: dict[str, str] = self.mapping["articles"]
        feed_id = local_of.get(entry.feed_id)
        if feed_id is None:
            return
        if self._mapped_ids is None:
            self._mapped_ids = set(articles.values())
        if entry.id in self._mapped_ids:
            return
        match = self._by_link(feed_id).pop(entry.url, None) if entry.url else None
        if match is not None:
            articles[match] = entry.id
            self._mapped_ids.add(entry.id)
            if self._local_wins_on_match:
                self._queue_local_flags(match, entry)
            return
        new[feed_id].append(entry)
        self._mapped_ids.add(entry.id)

    def _by_link(self, feed_id: str) -> dict[str, str]:
        """Link -> id of the feed's local articles not mapped to a remote entry."""
        links = self._links.get(feed_id)
        if links is None:
            mapped = self.mapping["articles"]
            links = {
                a.link: a.id
                for a in self.store.iter_feed_articles(feed_id)
                if a.link and a.id not in mapped
            }
            self._links[feed_id] = links
        return links

    def _queue_local_flags(self, local_id: str, entry: RemoteEntry) -> None:
        """`upload`: the local read/starred state of a matched article goes to the server."""
        sync = self.store.sync
        with self.store.index.lock:
            read = local_id in self.store.index.read
            starred = local_id in self.store.index.starred
            if read != entry.read:
                sync.outbox.add_flags("read", [local_id], read)
            if starred != entry.starred:
                sync.outbox.add_flags("starred", [local_id], starred)

    def _merge(self, new: dict[str, list[RemoteEntry]], starred: frozenset[str]) -> None:
        articles: dict[str, str] = self.mapping["articles"]
        fetched = datetime.fromtimestamp(self.now(), UTC)
        for feed_id, entries in new.items():
            items = [
                NewArticle(
                    key=entry.id,
                    title=entry.title,
                    link=entry.url,
                    author=entry.author,
                    published=entry.published or fetched,
                    body_html=entry.content_html,
                    authors=(entry.author,) if entry.author else (),
                )
                for entry in entries
            ]
            feed = self.store.feed(feed_id)
            if feed is not None and self.store.hidden.rules is not None:
                from ..killfile import drop_ignored  # the query language: only with rules

                # The killfile's drop rules, as in a refresh; starred on the server: kept.
                kept = drop_ignored(self.store, feed, [i for i in items if i.key not in starred])
                items = [i for i in items if i.key in starred] + list(kept)
            result = self.store.merge_articles(feed_id, items, fetched)
            # Dropped entries are mapped too: else an unread one is fetched again by
            # every sync as "missing" (reconciling skips ids the library does not have).
            for entry in entries:
                articles[article_id(feed_id, entry.id)] = entry.id
            self.report.new += result.new
            if result.new:
                self.report.new_feeds.append(feed_id)

    def _flags_from_reported(self, reported: dict[str, tuple[bool, bool]]) -> bool:
        """Where the server reports flag changes with the entries (Miniflux's REST API):
        take the flags of the entries it reported, then check the library against the
        server's counts. True when they agree, so the full id lists (on Miniflux, every
        unread entry with its content) need not be read."""
        counts = self.client.flag_counts()
        if counts is None:
            return False
        unread = frozenset(i for i, (read, _) in reported.items() if not read)
        starred = frozenset(i for i, (_, star) in reported.items() if star)
        pairs = [(lo, re) for lo, re in self.mapping["articles"].items() if re in reported]
        self._reconcile(unread, starred, pairs)
        return self._counts_match(counts)

    def _counts_match(self, counts: FlagCounts) -> bool:
        """The library's unread count per remote feed and starred total, over the articles
        it holds from the server, equal the server's."""
        remote_feed = self.mapping["feeds"]
        index = self.store.index
        unread: Counter[str] = Counter()
        starred = 0
        with index.lock:
            for local in self.mapping["articles"]:
                article = index.articles.get(local)
                if article is None:
                    continue
                if local not in index.read:
                    unread[remote_feed.get(article.feed_id, "")] += 1
                if local in index.starred:
                    starred += 1
        return starred == counts.starred and dict(unread) == counts.unread_by_feed

    def _reconcile(
        self,
        unread: frozenset[str],
        starred: frozenset[str],
        pairs: list[tuple[str, str]] | None = None,
    ) -> None:
        """The server's flags on every mapped article (or on `pairs`, local and remote
        ids), except where a local change waits in the outbox (the conflict rule;
        `apply_remote` checks that under the lock)."""
        index = self.store.index
        want: dict[tuple[str, bool], list[str]] = defaultdict(list)
        with index.lock:
            for local, remote in self.mapping["articles"].items() if pairs is None else pairs:
                if local not in index.articles:
                    continue
                is_read = remote not in unread
                if (local in index.read) != is_read:
                    want[("read", is_read)].append(local)
                is_starred = remote in starred
                if (local in index.starred) != is_starred:
                    want[("starred", is_starred)].append(local)
        for (flag, value), ids in want.items():
            self.report.pulled += len(self.store.sync.apply_remote(flag, ids, value))
