"""Articles the user's ignore rules hide: kept in the library, never shown or counted.

The rules themselves (the `[[ignore]]` killfile, `killfile.py`) are outside the store;
the store knows them only as `HideRules`. What it keeps is the answer, per feed: the ids
of that feed's articles that the rules hide. A feed is evaluated again only when it may
have changed: a merge into it (`mark_stale`), a flag change when the rules look at flags
(`flags_changed`), a new title or category (seen by comparing them), a new rule set
(`set_rules`). Evaluating is lazy, at the next query that needs the answer, so a refresh
that merges 100 feeds evaluates each once, when the reader next paints, not per merge.

Everything here is guarded by the index's state lock: call with it held, unless a
method says it takes it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from typing import Protocol

from ..models import Article, Feed

_NOTHING: frozenset[str] = frozenset()


class HideRules(Protocol):
    """What the store asks of the ignore rules (`killfile.Killfile`)."""

    @property
    def uses_flags(self) -> bool:
        """True when a rule looks at read or starred flags (then a flag change matters)."""
        ...

    def hidden_in(
        self,
        feed: Feed,
        articles: Iterable[Article],
        read: Collection[str],
        starred: Collection[str],
    ) -> Iterable[str]:
        """The ids of the feed's `articles` that are hidden."""
        ...


class _Records(Protocol):
    """What this reads of the `Index` that owns it (a protocol: index.py imports this)."""

    lock: threading.RLock
    feeds: dict[str, Feed]
    articles: dict[str, Article]
    by_feed: dict[str, set[str]]
    read: set[str]
    starred: set[str]


class HiddenArticles:
    """The hidden ids, by feed, brought up to date lazily (see the module docstring)."""

    def __init__(self, index: _Records) -> None:
        self.index = index
        self.rules: HideRules | None = None
        self._by_feed: dict[str, frozenset[str]] = {}
        # The (title, category) each feed was evaluated with: a rename or move changes
        # what feed: and cat: match.
        self._seen: dict[str, tuple[str, str]] = {}
        self._stale: set[str] = set()
        self._ids: set[str] = set()

    def set_rules(self, rules: HideRules | None) -> None:
        """Use `rules` from now on (None: hide nothing); every feed is evaluated again at
        the next query (takes the lock)."""
        with self.index.lock:
            self.rules = rules
            self._by_feed.clear()
            self._seen.clear()
            self._stale.clear()
            self._ids = set()

    def mark_stale(self, feed_id: str) -> None:
        """The feed's articles changed (a merge, retention)."""
        if self.rules is not None:
            self._stale.add(feed_id)

    def flags_changed(self, feed_ids: Iterable[str]) -> None:
        """Read or starred flags changed in these feeds."""
        if self.rules is not None and self.rules.uses_flags:
            self._stale.update(feed_ids)

    def ids(self) -> set[str]:
        """Every hidden id of the loaded feeds, up to date. The set is the live one: do
        not change it, and read it only with the lock held."""
        rules = self.rules
        if rules is None:
            return self._ids
        index = self.index
        by_feed = self._by_feed
        for feed_id in by_feed.keys() - index.by_feed.keys():  # unsubscribed
            self._drop(feed_id)
        for feed_id, ids in index.by_feed.items():
            feed = index.feeds.get(feed_id)
            if feed is None:
                continue
            seen = (feed.display_title, feed.category)
            if feed_id not in self._stale and self._seen.get(feed_id) == seen:
                continue
            self._drop(feed_id)
            articles = index.articles
            hidden = frozenset(
                rules.hidden_in(feed, (articles[i] for i in ids), index.read, index.starred)
            )
            if hidden:
                by_feed[feed_id] = hidden
                self._ids |= hidden
            self._seen[feed_id] = seen
        self._stale.clear()
        return self._ids

    def _drop(self, feed_id: str) -> None:
        self._ids -= self._by_feed.pop(feed_id, _NOTHING)
        self._seen.pop(feed_id, None)

    def by_feed(self) -> dict[str, frozenset[str]]:
        """Hidden ids per feed, up to date (only feeds with some)."""
        self.ids()
        return self._by_feed

    def unread_by_feed(self) -> dict[str, int]:
        """Hidden unread articles per feed (only feeds with some): what the counts leave out."""
        read = self.index.read
        return {f: n for f, ids in self.by_feed().items() if (n := len(ids - read))}

    def counts_by_feed(self) -> dict[str, tuple[int, int]]:
        """(hidden articles, hidden unread ones) per feed, only feeds with some (takes
        the lock): what `tui-reader feeds` reports beside the counts the reader shows."""
        with self.index.lock:
            read = self.index.read
            return {f: (len(ids), len(ids - read)) for f, ids in self.by_feed().items()}

    def contains(self, article_id: str) -> bool:
        """Whether the rules hide this article (takes the lock)."""
        with self.index.lock:
            return article_id in self.ids()

    def snapshot(self) -> frozenset[str]:
        """Every hidden id now, a copy (takes the lock): for asking about many articles,
        which `contains` would bring up to date one by one."""
        with self.index.lock:
            return frozenset(self.ids())
