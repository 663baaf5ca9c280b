"""Messages that workers post to the main screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the refresh machinery (pycurl, lxml) loads only when a refresh runs
    from .feeds.refresh import FeedOutcome, RefreshSummary


class FeedRefreshed(Message):
    """One feed of a running refresh finished (updated, unchanged or failed)."""

    def __init__(self, outcome: FeedOutcome, done: int, total: int) -> None:
        super().__init__()
        self.outcome = outcome
        self.done = done
        self.total = total


class RefreshFinished(Message):
    """A refresh ended; `summary` is None when it could not run at all."""

    def __init__(self, summary: RefreshSummary | None, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class SaveFailed(Message):
    """The store's background writer could not save; the message is for the user."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
