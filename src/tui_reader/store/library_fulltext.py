"""The library facade's full-text and reading-position part, split from `library.py`
to keep that file small. `Store` inherits these methods; they use only the attributes
declared below, which `Store.__init__` sets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .fulltext_cache import FullTextCache, ReadingPositions
from .index import Index
from .loader import Loader


class FullTextMethods:
    """Cached full texts of articles, "always full text" feeds, reading positions."""

    index: Index
    loader: Loader
    full_texts: FullTextCache
    positions: ReadingPositions
    _check_writable: Callable[[], None]
    setting: Callable[..., Any]
    set_setting: Callable[[str, Any], None]

    def full_text(self, article_id: str) -> dict[str, Any] | None:
        """The cached full-text record of an article, or None when never fetched.

        A record is ``{"id", "html", "url", "error", "fetched"}``: `html` is the sanitised
        extracted HTML ("" after a failure), `url` the page it came from (the base for its
        links), `error` the plain-words failure ("" on success), `fetched` Unix seconds.
        """
        article = self.loader.known(article_id)
        if article is None:
            return None
        return self.full_texts.get(article.feed_id, article_id)

    def has_full_text(self, article_id: str) -> bool:
        """True when a full-text fetch of the article was recorded (success or failure)."""
        return self.full_text(article_id) is not None

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
        article = self.loader.known(article_id)
        if article is None:
            return False
        self.full_texts.record(article.feed_id, article_id, html=html, url=url, error=error)
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
        self.set_setting("full_text_feeds", sorted(f for f in feeds if f in self.index.feeds))

    def reading_position(self, article_id: str) -> tuple[int, bool]:
        """(scroll offset in lines, shown in full text) where the article was left."""
        return self.positions.get(article_id)

    def set_reading_position(self, article_id: str, y: int, full: bool) -> None:
        """Remember where the article was left (the newest `MAX_POSITIONS` are kept).

        The top of an article in the feed's text is the default and is not stored.
        """
        self.positions.set(article_id, y, full)
