"""Subscriptions from inside the reader: refresh, add, rename, move, unsubscribe, health.

A mixin of `MainScreen`, kept apart so that the screen file stays about reading. Message
handlers use `on_<message>` names (found through the MRO); the bindings live on
`MainScreen.BINDINGS`.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from textual import work
from textual.worker import get_current_worker

from ..messages import FeedRefreshed, RefreshFinished, SaveFailed
from ..models import Feed
from ..store import StoreError
from ..views import View

if TYPE_CHECKING:
    from ..feeds.refresh import RefreshSummary
    from .add_feed import AddFeedRequest
    from .main import MainScreen

    _Base = MainScreen
else:
    _Base = object

# While a refresh runs, the visible list is reloaded at most this often (seconds).
LIST_RELOAD_INTERVAL = 0.5
# ... and the progress and the sidebar's counts shown at most this often: every change
# repaints, and once per feed a 1,000-feed refresh in the reader spent most of its time
# repainting (26 s, against 4.6 s for `tui-reader refresh`).
PROGRESS_INTERVAL = 0.25


class SubscriptionActions(_Base):
    """Refresh and feed management for `MainScreen` (its state is set in its __init__)."""

    # ---------------------------------------------------------------- refresh

    def action_refresh_all(self) -> None:
        self.start_refresh(self.store.feeds(), "all feeds")

    def action_refresh_selected(self) -> None:
        node = self.sidebar.cursor_node
        view = node.data if node is not None and node.data is not None else self.view
        if view.kind == "feed":
            feed = self.store.feed(view.key)
            self.start_refresh([feed] if feed else [], feed.display_title if feed else "")
        elif view.kind == "category":
            self.start_refresh(self.store.feeds_in(view.key), view.key)
        else:
            self.start_refresh(self.store.feeds(), "all feeds")

    def start_refresh(self, feeds: list[Feed], what: str) -> None:
        if self._refreshing or not feeds:
            return
        made_up = self.store.setting("demo_feeds", [])  # demo_library.DEMO_FEEDS_SETTING
        if isinstance(made_up, list) and made_up:
            feeds = [feed for feed in feeds if feed.id not in made_up]
            if not feeds:
                self.notify(
                    "The demo's feeds are made up (example.com addresses), so there is "
                    "nothing to fetch. Press a to add a real feed: the demo is a scratch "
                    "copy, deleted when you quit.",
                    title="Demo library",
                    timeout=8,
                    markup=False,
                )
                return
        self._refreshing = True
        self.refresh_bindings()
        self.sub_title = f"Refreshing {what}: 0/{len(feeds)}"
        self._run_refresh(feeds)

    @work(thread=True, exit_on_error=False, group="refresh", exclusive=True)
    def _run_refresh(self, feeds: list[Feed]) -> None:
        # A thread with its own event loop: parsing and saving never run on the UI's loop.
        def progress(outcome: object, done: int, total: int) -> None:
            self.post_message(FeedRefreshed(outcome, done, total))  # type: ignore[arg-type]

        # Imported here: the fetcher and the parsers are not needed to show the reader.
        from ..feeds.refresh import refresh_feeds

        try:
            summary = asyncio.run(
                refresh_feeds(
                    self.store,
                    feeds,
                    on_progress=progress,
                    quiet_parsers=True,
                    cancel=get_current_worker().cancelled_event,
                )
            )
        except Exception as exc:  # one error handler for the whole run: shown, never fatal
            self.post_message(RefreshFinished(None, f"Refresh failed: {exc}"))
            return
        self.post_message(RefreshFinished(summary))

    def on_feed_refreshed(self, event: FeedRefreshed) -> None:
        outcome = event.outcome
        if self._search_index is not None and outcome.status != "unchanged":
            self._search_index.forget_feed(outcome.feed_id)
        now = time.monotonic()
        self._counts_stale = self._counts_stale or outcome.status == "failed" or bool(outcome.new)
        if now - self._last_progress_shown > PROGRESS_INTERVAL or event.done == event.total:
            self._last_progress_shown = now
            self.sub_title = f"Refreshing: {event.done}/{event.total}"
            if self._counts_stale:
                self._counts_stale = False
                self._unread_by_feed = self.store.unread_counts_by_feed()
                self.sidebar.update_counts(self._all_counts())
        # A big library's list takes a while to rebuild (re-sorted as articles arrive):
        # the reloads are spaced out so that they never take more than a tenth of the time.
        interval = max(LIST_RELOAD_INTERVAL, 10 * self._last_list_reload_cost)
        if outcome.new and now - self._last_list_reload > interval:
            self._last_list_reload = now
            self._reload_list_keeping_cursor()
            self._last_list_reload_cost = time.monotonic() - now

    def _reload_list_keeping_cursor(self) -> None:
        current = self.article_list.highlighted
        keep = self.reader.current.article_id if self.reader.current else None
        self._load_view(select_id=current.id if current else None, keep=keep)

    def on_refresh_finished(self, event: RefreshFinished) -> None:
        self._refreshing = False
        self.reload_feeds()
        self._reload_list_keeping_cursor()
        self.refresh_bindings()
        if event.summary is None:
            self.notify(event.error or "Refresh failed.", severity="error", markup=False)
            return
        self._notify_summary(event.summary)

    def _notify_summary(self, summary: RefreshSummary) -> None:
        failed = summary.failed
        message = summary.describe() + "."
        if failed:
            names = ", ".join(o.title for o in failed[:3])
            more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            message += f" Failed: {names}{more} (marked ⚠ in the sidebar)."
        self.notify(
            message,
            title="Refresh finished",
            severity="warning" if failed else "information",
            markup=False,
            timeout=8,
        )

    def on_save_failed(self, event: SaveFailed) -> None:
        self.notify(event.error, title="Not saved", severity="error", markup=False, timeout=10)

    # ---------------------------------------------------------------- add feed

    def action_add_feed(self) -> None:
        # Dialogs are imported when first opened: the first screen does not need them.
        from .add_feed import AddFeedScreen

        default = self.view.key if self.view.kind == "category" else ""
        self.app.push_screen(AddFeedScreen(self.store.categories(), default), self._add_feed_chosen)

    def _add_feed_chosen(self, request: AddFeedRequest | None) -> None:
        if request is not None:
            self.notify(f"Subscribing to {request.url}…", markup=False, timeout=3)
            self._subscribe(request)

    @work(exit_on_error=False, group="subscribe")
    async def _subscribe(self, request: AddFeedRequest) -> None:
        from ..feeds.subscribe import SubscribeError, subscribe_async

        try:
            outcome = await subscribe_async(self.store, request.url, category=request.category)
        except SubscribeError as exc:
            self.notify(str(exc), title="Not subscribed", severity="error", markup=False)
            return
        self.reload_feeds()
        self._reload_list_keeping_cursor()
        self.notify(" ".join(outcome.messages), title="Add feed", markup=False, timeout=6)

    # ---------------------------------------------------------------- manage feeds

    def selected_feed(self) -> Feed | None:
        """The feed under the sidebar cursor, if the cursor is on a feed row."""
        node = self.sidebar.cursor_node
        if node is None or node.data is None or node.data.kind != "feed":
            return None
        return self.store.feed(node.data.key)

    def action_rename_feed(self) -> None:
        feed = self.selected_feed()
        if feed is None:
            return

        from .dialogs import PromptScreen

        def chosen(title: str | None) -> None:
            if title:
                self._change_feed(feed, title=title)

        self.app.push_screen(
            PromptScreen("Rename feed", f"New name for {feed.display_title}:", feed.title),
            chosen,
        )

    def action_move_feed(self) -> None:
        feed = self.selected_feed()
        if feed is None:
            return

        from .dialogs import PromptScreen

        def chosen(category: str | None) -> None:
            if category:
                self._change_feed(feed, category=category)

        self.app.push_screen(
            PromptScreen(
                "Move feed",
                f"Category for {feed.display_title} (a new name makes a new category):",
                feed.category,
                self.store.categories(),
            ),
            chosen,
        )

    def _change_feed(self, feed: Feed, **changes: str) -> None:
        try:
            updated = self.store.update_feed(feed.id, **changes)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.reload_feeds()
        self.sidebar.move_to(View("feed", updated.id, label=updated.display_title))
        self._reload_list_keeping_cursor()

    def action_unsubscribe(self) -> None:
        feed = self.selected_feed()
        if feed is None:
            return
        count = self.store.article_counts_by_feed().get(feed.id, 0)
        starred = sum(
            1 for a in self.store.iter_feed_articles(feed.id) if self.store.is_starred(a.id)
        )
        question = (
            f"Unsubscribe from {feed.display_title}? Its {count} articles"
            + (f", {starred} of them starred," if starred else "")
            + " will be removed from the library."
        )

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.remove_feed(feed.id)
            except StoreError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            if self.view.kind == "feed" and self.view.key == feed.id:
                self.view = View("category", feed.category, label=feed.category)
            self.reload_feeds()
            self._reload_list_keeping_cursor()
            self.notify(f"Unsubscribed from {feed.display_title}.", markup=False)

        from .dialogs import ConfirmScreen

        self.app.push_screen(ConfirmScreen("Unsubscribe", question, "Unsubscribe"), answered)

    def action_feed_health(self) -> None:
        from .feed_health import FeedHealthScreen

        self.app.push_screen(
            FeedHealthScreen(self.store.feeds(), self.store.article_counts_by_feed())
        )
