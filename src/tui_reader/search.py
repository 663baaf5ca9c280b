"""Running a query over the library: the glue between `query` and the store."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from functools import lru_cache

from .models import Article
from .query import MatchContext, Query, filter_articles
from .store import Store

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def html_to_search_text(body: str) -> str:
    """Lower-cased plain text of an HTML body, for substring search."""
    text = _TAG.sub(" ", body)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).lower()


def match_context(store: Store, *, include_bodies: bool) -> MatchContext:
    feeds = {f.id: f for f in store.feeds()}

    def feed_title(feed_id: str) -> str:
        feed = feeds.get(feed_id)
        return feed.display_title if feed else ""

    def category(feed_id: str) -> str:
        feed = feeds.get(feed_id)
        return feed.category if feed else ""

    body_text = None
    if include_bodies:

        @lru_cache(maxsize=4096)
        def body_text(article_id: str) -> str:
            return html_to_search_text(store.body(article_id))

    return MatchContext(
        is_read=store.is_read,
        is_starred=store.is_starred,
        feed_title=feed_title,
        category=category,
        body_text=body_text,
    )


def search(
    store: Store, query: Query, articles: Iterable[Article], *, include_bodies: bool = True
) -> list[Article]:
    """The articles of `articles` that match `query`, in their order."""
    return filter_articles(query, articles, match_context(store, include_bodies=include_bodies))
