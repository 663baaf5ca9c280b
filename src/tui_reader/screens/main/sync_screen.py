"""`SyncRoutes`, the base class of `MainScreen` that hands the sync's events to its
`SyncController` (issue 17): the mount (the sidebar's sync line, its timer, the push of
changes left waiting) and every `SyncUpdate` a sync worker or the store posts.

A base class rather than lines in screen.py, which is at the project's 600-line guard.
Textual runs the `on_mount` of every class in the screen's MRO, this one after
`MainScreen`'s own, and dispatches `@on` handlers of base classes too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.screen import Screen

from ...messages import SyncUpdate

if TYPE_CHECKING:
    from .subscriptions import FeedsController


class SyncRoutes(Screen[None]):
    """The sync's share of the main screen's event routing."""

    feeds: FeedsController  # set by MainScreen.__init__

    def on_mount(self) -> None:
        self.feeds.sync.start()  # nothing on a library that is not bound

    @on(SyncUpdate)
    def _sync_update(self, event: SyncUpdate) -> None:
        self.feeds.sync.handle(event)
