"""Messages that workers post to the main screen, as dataclasses.

Textual's `Message.__post_init__` initialises the message after the dataclass's own
`__init__`, so fields are all a message needs. `eq=False` keeps identity equality (two
messages with the same fields are still two events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from .models import Article

if TYPE_CHECKING:  # the refresh machinery (pycurl, lxml) loads only when a refresh runs
    from .feeds.fulltext import FullText
    from .feeds.refresh import FeedOutcome, RefreshSummary
    from .query import Query
    from .sync.engine import SyncReport


@dataclass(eq=False)
class FeedRefreshed(Message):
    """One feed of a running refresh finished (updated, unchanged or failed)."""

    outcome: FeedOutcome
    done: int
    total: int


@dataclass(eq=False)
class RefreshFinished(Message):
    """A refresh ended; `summary` is None when it could not run at all."""

    summary: RefreshSummary | None
    error: str | None = None


@dataclass(eq=False)
class SaveFailed(Message):
    """The store's background writer could not save; the message is for the user."""

    error: str


@dataclass(eq=False)
class SearchResults(Message):
    """A search ended: the articles matching `text` (`error` is plain words if it did not
    parse). Answers to older keystrokes can arrive after newer ones: checked on arrival."""

    text: str
    query: Query | None
    articles: list[Article]
    error: str


@dataclass(eq=False)
class FullTextFetched(Message):
    """A full-text fetch ended; `result.error` is plain words when it failed."""

    article_id: str
    result: FullText
    save_error: str = ""


@dataclass(eq=False)
class SavedSearchesCounted(Message):
    """Which articles each saved search (by query) matches, counted off the UI thread."""

    members: dict[str, set[str]]


@dataclass(eq=False)
class SyncUpdate(Message):
    """News of the sync with the bound account (issue 17): `report` when a sync ("sync")
    or a push ("push") ended, else `progress` words while one runs, or neither when a
    local change was queued ("queued"). `local`: the refresh of the command feeds that
    followed a sync (`sync/local_feeds.py`), if the library has any."""

    kind: str
    report: SyncReport | None = None
    progress: str = ""
    local: RefreshSummary | None = None
