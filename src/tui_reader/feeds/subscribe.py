"""Subscribing to an address: a feed, or a web page whose <link rel="alternate"> names one.

The feed is fetched and parsed before it is saved, so a new subscription is never empty
and a typo never becomes a broken subscription.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from ..models import Feed
from ..store import Store
from ..text import UrlRejected, check_url, normalize_feed_url
from ..wording import plural
from .fetch import Fetcher, FetchLimits, FetchResult
from .parse import FeedParseError, discover_feed_links, looks_like_feed, parse_feed


class SubscribeError(Exception):
    """The address could not be subscribed to; the message is for the user."""


@dataclass(frozen=True, slots=True)
class SubscribeOutcome:
    feed: Feed
    created: bool
    new_articles: int
    messages: tuple[str, ...]


async def subscribe_async(
    store: Store, raw_url: str, *, category: str = "", limits: FetchLimits | None = None
) -> SubscribeOutcome:
    try:
        url = normalize_feed_url(raw_url)
    except UrlRejected as exc:
        raise SubscribeError(f"Cannot subscribe to {check_url(raw_url).shown!r}: {exc}.") from None
    existing = store.find_feed_by_url(url)
    if existing is not None:
        return SubscribeOutcome(
            existing, False, 0, (f"Already subscribed to {existing.display_title} ({url}).",)
        )
    messages: list[str] = []
    async with Fetcher(limits or FetchLimits()) as fetcher:
        result = await fetcher.fetch(url)
        _raise_on_error(result, url)
        if not looks_like_feed(result.body):
            candidates = discover_feed_links(result.body, result.final_url or url)
            if not candidates:
                raise SubscribeError(
                    f"{url} is neither a feed nor a page that links to one "
                    '(no <link rel="alternate"> to RSS, Atom or JSON Feed).'
                )
            url = normalize_feed_url(candidates[0])
            others = (
                f" (it lists {len(candidates)} feeds; took the first)"
                if len(candidates) > 1
                else ""
            )
            messages.append(f"Found the feed {url} on that page{others}.")
            existing = store.find_feed_by_url(url)
            if existing is not None:
                messages.append(f"Already subscribed to {existing.display_title}.")
                return SubscribeOutcome(existing, False, 0, tuple(messages))
            result = await fetcher.fetch(url)
            _raise_on_error(result, url)
    now = datetime.now(UTC)
    try:
        parsed = await asyncio.to_thread(
            parse_feed,
            result.body,
            url=result.final_url or url,
            fetched_at=now,
            content_type=result.content_type,
        )
    except FeedParseError as exc:
        raise SubscribeError(f"{url} could not be read as a feed: {exc}.") from None
    feed, created = store.add_feed(
        result.permanent_url or url, parsed.title, category, parsed.site_url
    )
    merged = await asyncio.to_thread(store.merge_articles, feed.id, parsed.articles, now)
    feed = (
        store.record_fetch(
            feed.id, ok=True, etag=result.etag, last_modified=result.last_modified, when=now
        )
        or feed
    )
    messages.append(
        f"Subscribed to {feed.display_title} in {feed.category}: {plural(merged.new, 'article')}."
    )
    messages.extend(f"Note: {w}" for w in parsed.warnings)
    return SubscribeOutcome(feed, created, merged.new, tuple(messages))


def _raise_on_error(result: FetchResult, url: str) -> None:
    if result.status == "error":
        raise SubscribeError(f"Could not fetch {check_url(url).shown}: {result.error}.")
    if result.status != "ok" or not result.body:
        raise SubscribeError(f"{check_url(url).shown} sent nothing to read.")


def subscribe(store: Store, raw_url: str, *, category: str = "") -> SubscribeOutcome:
    """Blocking version for the command line."""
    return asyncio.run(subscribe_async(store, raw_url, category=category))
