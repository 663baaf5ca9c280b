"""Refresh many feeds: fetch (async, bounded) -> parse -> store (one batch a feed).

Every feed is its own task; the `Fetcher`'s global and per-host limits decide how many
run at once, so a slow feed holds one slot, never a static share of the work. Parsing
(`parse_pool.FeedParser`: in processes for a big refresh, else in a thread) and saving
(on this loop when the processes parse, else in that thread; a new feed's bodies file is
written by its parser process) happen behind a small semaphore, so memory holds only the
bodies of the few feeds in that stage, not of every feed fetched. One feed's failure is recorded on
that feed and never stops the others.

Feeds marked "always full text" (`Store.full_text_feeds`) then have the pages of their
newest articles fetched and extracted (`feeds/fulltext.fetch_full_text`), politely: at most
`FULL_TEXT_PER_FEED` pages per feed per refresh, one page at a time per host with
`FULL_TEXT_PAUSE` seconds between them, each page under the same limits as a feed.
A page that fails is recorded as failed (and not retried by later refreshes: `f` in the
reader retries it) and never affects another article.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from ..models import Feed, NewArticle, ParsedFeed
from ..store import Store, StoreError
from ..text import check_url, is_command_url
from ..wording import plural
from .errors import FeedParseError
from .fetch import Fetcher, FetchLimits, FetchResult
from .parse_pool import POOL_MIN_FEEDS, FeedParser

if TYPE_CHECKING:
    from ..killfile import Killfile
    from .auth_login import Logins

Status = Literal["updated", "unchanged", "failed", "waiting"]

# Parsing is CPU-bound and saving is disk-bound: a few at a time keeps both busy on a
# 2-core machine without holding every fetched body in memory.
PARSE_SLOTS = 3
# Fetched bodies held at once (downloading, or waiting for a parse slot), beyond the
# parser processes' own.
MAX_BODIES = 24
# Full-text pages fetched per "always full text" feed per refresh, newest articles first.
FULL_TEXT_PER_FEED = 10
# Seconds between two page fetches from one host during a refresh.
FULL_TEXT_PAUSE = 0.5


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed_id: str
    title: str
    status: Status
    new: int = 0
    error: str | None = None


@dataclass(slots=True)
class RefreshSummary:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    # The caller's cancel event was set: `outcomes` has only the feeds done by then.
    cancelled: bool = False

    @property
    def updated(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "updated")

    @property
    def unchanged(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "unchanged")

    @property
    def failed(self) -> list[FeedOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def waiting(self) -> int:
        """Feeds not fetched because their server asked to wait (Retry-After)."""
        return sum(1 for o in self.outcomes if o.status == "waiting")

    @property
    def new_articles(self) -> int:
        return sum(o.new for o in self.outcomes)

    def describe(self) -> str:
        waiting = f", {self.waiting} waiting (the server asked)" if self.waiting else ""
        return (
            f"{self.updated} updated, {self.unchanged} unchanged, {len(self.failed)} failed"
            f"{waiting}; {plural(self.new_articles, 'new article')}"
        )


ProgressCallback = Callable[[FeedOutcome, int, int], None]


async def refresh_feeds(
    store: Store,
    feeds: Sequence[Feed],
    *,
    limits: FetchLimits | None = None,
    on_progress: ProgressCallback | None = None,
    fetcher: Fetcher | None = None,
    quiet_parsers: bool = False,
    parser: FeedParser | None = None,
    cancel: threading.Event | None = None,
    logins: Logins | None = None,
) -> RefreshSummary:
    """Refresh `feeds`; `on_progress(outcome, done, total)` runs after each feed.
    `quiet_parsers`: parser processes write nothing to stderr (for the reader, which
    draws its screen there). `parser`: one made for these feeds beforehand
    (`early_parser`); it is closed at the end like the refresh's own. Setting `cancel`
    (from another thread: the reader's worker when the app quits) stops the refresh
    within a tenth of a second; what was saved by then stays saved. `logins`: the
    config's `[auth."..."]` rules (`auth_login.Logins`), when no `fetcher` is given."""
    summary = RefreshSummary()
    total = len(feeds)
    if parser is None:
        parser = FeedParser(total, quiet=quiet_parsers)
    # With a pool, every parser process has a document waiting while others are saved.
    parse_slots = asyncio.Semaphore(PARSE_SLOTS + parser.workers)
    # Bodies downloading or waiting to be parsed: fetching is faster than parsing, so
    # without this bound every fetched body of a big refresh would wait in memory.
    bodies = asyncio.Semaphore(MAX_BODIES + parser.workers)

    full_text_feeds = store.full_text_feeds()
    host_locks: dict[str, asyncio.Lock] = {}

    async def one(feed: Feed, active: Fetcher) -> None:
        outcome = await _refresh_one(store, feed, active, parse_slots, parser, bodies)
        summary.outcomes.append(outcome)
        if on_progress is not None:
            # Reported before any full-text pages: the feed's articles are in already.
            on_progress(outcome, len(summary.outcomes), total)
        if feed.id in full_text_feeds and outcome.status != "failed":
            await _fetch_full_texts(store, feed, active, parse_slots, host_locks)

    try:
        with store.bulk_writes():  # article files synced once at the end, not per file
            if fetcher is not None:
                done = await _unless_cancelled(
                    asyncio.gather(*(one(feed, fetcher) for feed in feeds)), cancel
                )
            else:
                async with Fetcher(limits or FetchLimits(), logins=logins) as own:
                    done = await _unless_cancelled(
                        asyncio.gather(*(one(feed, own) for feed in feeds)), cancel
                    )
    finally:
        parser.close()
    summary.cancelled = not done
    return summary


async def _unless_cancelled(work: Awaitable[object], cancel: threading.Event | None) -> bool:
    """Await `work`; if `cancel` is set first, cancel it and return False."""
    if cancel is None:
        await work
        return True
    task = asyncio.ensure_future(work)
    while not task.done():
        if cancel.is_set():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return False
        # A threading.Event cannot wake a loop: looked at ten times a second.
        await asyncio.wait({task}, timeout=0.1)
    task.result()  # a failure inside the refresh is raised here, as without `cancel`
    return True


def early_parser(feeds: Sequence[Feed]) -> FeedParser:
    """A parser for refreshing `feeds`, its processes forked now if many of the feeds
    will surely send whole documents (never fetched: no validators to get a 304 with).

    Call it while no other thread runs (`FeedParser.start_by_fork`), and hand the result
    to `refresh_feeds`.
    """
    parser = FeedParser(len(feeds))
    first_fetches = sum(1 for feed in feeds if not (feed.etag or feed.last_modified))
    if first_fetches >= POOL_MIN_FEEDS:
        parser.start_by_fork()
    return parser


async def _refresh_one(
    store: Store,
    feed: Feed,
    fetcher: Fetcher,
    parse_slots: asyncio.Semaphore,
    parser: FeedParser,
    bodies: asyncio.Semaphore,
) -> FeedOutcome:
    title = feed.display_title
    if feed.retry_until is not None and feed.retry_until > datetime.now(UTC):
        until = feed.retry_until.astimezone().strftime("%Y-%m-%d %H:%M")
        reason = f"the server asked not to be fetched before {until}"
        return FeedOutcome(feed.id, title, "waiting", error=reason)
    if is_command_url(feed.url):  # exec:/filter: (command_fetch.py); imported only then
        from .command_fetch import fetch_command_feed

        result = await fetch_command_feed(feed, fetcher, timeout=store.command_timeout)
    else:
        result = await fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified, admission=bodies
        )
    try:
        return await _deal_with(store, feed, result, parse_slots, parser)
    finally:
        if result.admitted:
            bodies.release()


async def _deal_with(
    store: Store,
    feed: Feed,
    result: FetchResult,
    parse_slots: asyncio.Semaphore,
    parser: FeedParser,
) -> FeedOutcome:
    title = feed.display_title
    now = datetime.now(UTC)
    if result.status == "not_modified":
        store.record_fetch(feed.id, ok=True, url=result.permanent_url, when=now)
        return FeedOutcome(feed.id, title, "unchanged")
    if result.status == "error":
        error = result.error or "the feed could not be fetched"
        if result.retry_after:
            error += f" (the server asks to wait {int(result.retry_after)} s)"
        store.record_fetch(feed.id, ok=False, error=error, when=now, retry_after=result.retry_after)
        return FeedOutcome(feed.id, title, "failed", error=error)
    async with parse_slots:
        try:
            url = result.final_url or feed.url
            # A feed's first fetch: a parser process can write its bodies file too, unless
            # a drop rule may apply (dropped bodies must never reach the disk).
            rules = _killfile(store)
            may_drop = rules is not None and rules.may_drop(feed)
            stage = (
                store.first_bodies_dir(feed.id) if parser.in_processes and not may_drop else None
            )
            new_feed = (feed.id, str(stage)) if stage is not None else None
            parsed = await parser.parse(result.body, url, now, result.content_type, new_feed)
            if parser.in_processes:
                # Saving a feed is ~0.5 ms of CPU; a hop to a thread and back costs as much
                # and makes it fight this loop for the GIL. Parsing, the big part, is in
                # the pool's processes.
                new, problem = _store(store, feed, result, parsed, now)
            else:
                new, problem = await asyncio.to_thread(_store, store, feed, result, parsed, now)
        except (FeedParseError, StoreError) as exc:
            # No validators saved: the next refresh must fetch the document again.
            store.record_fetch(feed.id, ok=False, error=str(exc), when=now)
            return FeedOutcome(feed.id, title, "failed", error=str(exc))
    refreshed = store.feed(feed.id)
    title = refreshed.display_title if refreshed else title
    if problem:
        return FeedOutcome(feed.id, title, "failed", new=new, error=problem)
    return FeedOutcome(feed.id, title, "updated" if new else "unchanged", new=new)


def _killfile(store: Store) -> Killfile | None:
    """The [[ignore]] rules the store follows; imported (with the query language) only
    for a user who has some: a refresh from cron loads no more than it needs."""
    if store.hidden.rules is None:
        return None
    from ..killfile import of

    return of(store)


def _store(
    store: Store, feed: Feed, result: FetchResult, parsed: ParsedFeed, now: datetime
) -> tuple[int, str | None]:
    """Save a parsed feed; returns (new articles, the problem to report or None)."""
    items: Sequence[NewArticle] = parsed.articles
    if _killfile(store) is not None:
        from ..killfile import drop_ignored

        items = drop_ignored(store, feed, items, parsed.title)
    merged = store.merge_articles(feed.id, items, now, parsed.encoded_bodies)
    if parsed.incomplete:
        # Keep what could be read, but say so, and keep no validators so that the next
        # refresh fetches the document again instead of getting a 304 for a broken copy.
        problem = f"{parsed.incomplete} ({len(parsed.articles)} articles read)"
        store.record_fetch(feed.id, ok=False, error=problem, when=now)
        return merged.new, problem
    store.record_fetch(
        feed.id,
        ok=True,
        etag=result.etag,
        last_modified=result.last_modified,
        title=parsed.title,
        site_url=parsed.site_url,
        url=result.permanent_url,
        when=now,
    )
    return merged.new, None


async def _fetch_full_texts(
    store: Store,
    feed: Feed,
    fetcher: Fetcher,
    parse_slots: asyncio.Semaphore,
    host_locks: dict[str, asyncio.Lock],
) -> None:
    """Fetch and cache the full text of up to `FULL_TEXT_PER_FEED` of the feed's newest
    articles that have none yet. Sequential per host; never raises for one page. The feed
    is the pages' origin: a public feed's links may not lead to local addresses."""
    feed_id = feed.id
    # Imported here: the extraction stack (BeautifulSoup, trafilatura) is only needed when
    # a feed asks for full texts, and costs a refresh 0.1 s of start-up otherwise.
    from .fulltext import fetch_full_text

    articles = store.articles([feed_id])
    pending = [a for a in articles if a.link and not store.has_full_text(a.id)]
    for article in pending[:FULL_TEXT_PER_FEED]:
        host = check_url(article.link).host
        lock = host_locks.setdefault(host, asyncio.Lock())
        async with lock:
            result = await fetch_full_text(fetcher, article.link, origin=feed.url)
            async with parse_slots:
                try:
                    await asyncio.to_thread(
                        store.set_full_text,
                        article.id,
                        html=result.html,
                        url=result.url,
                        error=result.error,
                    )
                except StoreError:
                    return  # the disk is failing: the feed's articles are saved already
            if FULL_TEXT_PAUSE:
                await asyncio.sleep(FULL_TEXT_PAUSE)
