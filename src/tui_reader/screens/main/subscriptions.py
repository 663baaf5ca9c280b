"""Subscriptions from inside the reader: refresh, add, rename, move, unsubscribe,
health: `FeedsController`.

A refresh runs `feeds.refresh.refresh_feeds` in a thread worker with its own event loop
and the worker's cancel event (quitting the app cancels the worker, which ends the
refresh within a tenth of a second). Each feed done comes back as `FeedRefreshed`, the
end as `RefreshFinished`; the screen hands both to this controller.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from ...config import Config
from ...messages import FeedRefreshed, RefreshFinished
from ...models import Feed
from ...store import Store, StoreError
from ...text import is_command_url
from ...ui_text import plain_str
from ...views import View, in_folder
from .announce import announce_new_articles
from .syncing import SyncController

if TYPE_CHECKING:
    from ...feeds.auth_login import Logins
    from ...feeds.refresh import RefreshSummary
    from ...importing import ImportOutcome
    from ..add_feed import AddFeedRequest
    from .host import MainHost

# While a refresh runs, the visible list is reloaded at most this often (seconds).
LIST_RELOAD_INTERVAL = 0.5
# ... and the progress and the sidebar's counts shown at most this often: every change
# repaints, and once per feed a 1,000-feed refresh in the reader spent most of its time
# repainting (26 s, against 4.6 s for `tui-reader refresh`).
PROGRESS_INTERVAL = 0.25


class FeedsController:
    """Refresh and feed management."""

    def __init__(self, host: MainHost, store: Store, config: Config | None = None) -> None:
        self.host = host
        self.store = store
        self.config = config or Config()
        self._logins: Logins | None = None
        # When the running refresh started: articles stored since are its new ones.
        self._refresh_started = datetime.now(UTC)
        self._last_list_reload = 0.0
        self._last_list_reload_cost = 0.0  # seconds the last reload during a refresh took
        self._last_progress_shown = 0.0  # a refresh's progress is shown at most 4 times a second
        self._counts_stale = False  # feeds refreshed since the sidebar's counts were last shown
        # A library bound to a server account syncs instead of fetching feeds (issue 17);
        # its command feeds, which no sync brings, are refreshed after each sync.
        self.sync = SyncController(host, store, self.config, refresh_local=self.fetch_feeds)

    def logins(self) -> Logins | None:
        """The config's `[auth."..."]` logins, one for the session: a password command
        runs once, not at every refresh (the secrets stay in this process's memory).
        None when the config has none."""
        config = self.config
        if not (config.auth or config.allow_insecure_auth):
            return None
        if self._logins is None:
            from ...feeds.auth_login import Logins

            self._logins = Logins.from_config(config)
        return self._logins

    # ---------------------------------------------------------------- refresh

    def can_refresh(self) -> bool:
        """r / R are offered: nothing runs, and there are feeds (or a server to ask)."""
        return not self.host.refreshing and (self.sync.bound or bool(self.store.feeds()))

    def refresh_all(self) -> None:
        if self.sync.bound:
            self.sync.sync_now()
            return
        self.start_refresh(self.store.feeds(), "all feeds")

    def refresh_selected(self) -> None:
        if self.sync.bound:  # the server syncs the whole account at once
            self.sync.sync_now()
            return
        node = self.host.sidebar.cursor_node
        view = node.data if node is not None and node.data is not None else self.host.view
        if view.kind == "feed":
            feed = self.store.feed(view.key)
            self.start_refresh([feed] if feed else [], feed.display_title if feed else "")
        elif view.kind == "category":
            # A folder's subfolders too, as the sidebar counts and lists them.
            feeds = [f for f in self.store.feeds() if in_folder(f.category, view.key)]
            self.start_refresh(feeds, view.key)
        else:
            self.start_refresh(self.store.feeds(), "all feeds")

    def start_refresh(self, feeds: list[Feed], what: str) -> None:
        if self.host.refreshing or not feeds:
            return
        made_up = self.store.setting("demo_feeds", [])  # demo_library.DEMO_FEEDS_SETTING
        if isinstance(made_up, list) and made_up:
            feeds = [feed for feed in feeds if feed.id not in made_up]
            if not feeds:
                self.host.notify(
                    "The demo's feeds are made up (example.com addresses), so there is "
                    "nothing to fetch. Press a to add a real feed: the demo is a scratch "
                    "copy, deleted when you quit.",
                    title="Demo library",
                    timeout=8,
                    markup=False,
                )
                return
        self.host.refreshing = True  # a var with bindings=True: r and R leave the footer
        self._refresh_started = datetime.now(UTC)
        self.host.sub_title = plain_str(f"Refreshing {what}: 0/{len(feeds)}")
        self.run_refresh(feeds)

    def run_refresh(self, feeds: list[Feed]) -> None:
        """Refresh `feeds` in a thread worker (tests replace this to watch what starts)."""
        self.host.run_worker(
            partial(self._refresh, feeds),
            thread=True,
            exit_on_error=False,
            group="refresh",
            exclusive=True,
        )

    def _refresh(self, feeds: list[Feed]) -> None:
        host = self.host
        try:
            summary = self.fetch_feeds(feeds, get_current_worker().cancelled_event)
        except Exception as exc:  # one error handler for the whole run: shown, never fatal
            host.post_message(RefreshFinished(None, f"Refresh failed: {exc}"))
            return
        if not summary.cancelled:  # cancelled: the app is closing, nothing to tell
            host.post_message(RefreshFinished(summary))

    def fetch_feeds(self, feeds: list[Feed], cancel: threading.Event) -> RefreshSummary:
        """Refresh `feeds`, in a worker's thread (a refresh's, or the sync's for the command
        feeds), each feed done posted as `FeedRefreshed`; stops soon after `cancel` is set."""
        host = self.host

        def progress(outcome: object, done: int, total: int) -> None:
            host.post_message(FeedRefreshed(outcome, done, total))  # type: ignore[arg-type]

        # Imported here: the fetcher and the parsers are not needed to show the reader.
        from ...feeds.refresh import refresh_feeds

        # Its own event loop: parsing and saving never run on the UI's loop.
        return asyncio.run(
            refresh_feeds(
                self.store,
                feeds,
                on_progress=progress,
                quiet_parsers=True,
                cancel=cancel,
                logins=self.logins(),
            )
        )

    def progressed(self, event: FeedRefreshed) -> None:
        """One feed of the refresh is done: progress, counts and the list, each at most
        a few times a second."""
        outcome = event.outcome
        now = time.monotonic()
        self._counts_stale = self._counts_stale or outcome.status == "failed" or bool(outcome.new)
        if now - self._last_progress_shown > PROGRESS_INTERVAL or event.done == event.total:
            self._last_progress_shown = now
            self.host.sub_title = plain_str(f"Refreshing: {event.done}/{event.total}")
            if self._counts_stale:
                self._counts_stale = False
                self.host.recount(flags=False, title=False)
        # A big library's list takes a while to rebuild (re-sorted as articles arrive):
        # the reloads are spaced out so that they never take more than a tenth of the time.
        interval = max(LIST_RELOAD_INTERVAL, 10 * self._last_list_reload_cost)
        if outcome.new and now - self._last_list_reload > interval:
            self._last_list_reload = now
            self.host.reload_list_keeping_cursor()
            self._last_list_reload_cost = time.monotonic() - now

    def finished(self, event: RefreshFinished) -> None:
        self.host.refreshing = False
        self.host.reload_feeds()
        self.host.reload_list_keeping_cursor()
        if event.summary is None:
            self.host.notify(
                plain_str(event.error or "Refresh failed.", multiline=True),
                severity="error",
                markup=False,
            )
            return
        self._notify_summary(event.summary)
        if self.config.notify != "none":
            from ...notify import from_refresh

            news = from_refresh(self.store, event.summary, self._refresh_started)
            announce_new_articles(self.host, self.config, news)

    def _notify_summary(self, summary: RefreshSummary) -> None:
        failed = summary.failed
        message = summary.describe() + "."
        if failed:
            names = ", ".join(o.title for o in failed[:3])
            more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
            message += f" Failed: {names}{more} (marked ⚠ in the sidebar)."
        self.host.notify(
            plain_str(message, multiline=True),
            title="Refresh finished",
            severity="warning" if failed else "information",
            markup=False,
            timeout=8,
        )

    # ---------------------------------------------------------------- add feed

    def add_feed(self) -> None:
        # Dialogs are imported when first opened: the first screen does not need them.
        from ..add_feed import AddFeedScreen

        view = self.host.view
        default = view.key if view.kind == "category" else ""
        self.host.app.push_screen(AddFeedScreen(self.store.categories(), default, self._subscribe))

    async def _subscribe(self, request: AddFeedRequest) -> str | None:
        """Subscribe (run by the dialog, which stays open): None when done, else the error
        for the dialog to show under the address."""
        from ...feeds.subscribe import SubscribeError, subscribe_async

        allowed = False
        if is_command_url(request.url):  # exec:/filter:: only once the user said yes
            from ..command_confirm import confirm_command_feed

            refused = await confirm_command_feed(self.host.app, request.url)
            if refused is not None:
                return refused
            allowed = True
        try:
            outcome = await subscribe_async(
                self.store,
                request.url,
                category=request.category,
                logins=self.logins(),
                merge=not self.sync.bound,
                allow_commands=allowed,
            )
        except SubscribeError as exc:
            return str(exc)
        if self.sync.bound and outcome.created:
            self.sync.push_soon(full=True)  # the server subscribes, then sends its articles
        self.host.reload_feeds()
        self.host.reload_list_keeping_cursor()
        self.host.notify(
            plain_str(" ".join(outcome.messages), multiline=True),
            title="Add feed",
            markup=False,
            timeout=6,
        )
        return None

    # ---------------------------------------------------------------- import

    def import_feeds(self) -> None:
        from ..import_dialog import ImportScreen

        self.host.app.push_screen(ImportScreen(self.store), self._imported)

    def _imported(self, outcome: ImportOutcome | None) -> None:
        if outcome is None:
            return
        self.host.reload_feeds()
        self.host.load_view(select_id=None)
        details = outcome.details()
        lines = [outcome.summary(), *details[:3]]
        if len(details) > 3:
            lines.append(f"… and {len(details) - 3} more (tui-reader import shows them all).")
        if outcome.added:
            lines.append("Press r to fetch their articles.")
        self.host.notify(
            plain_str("\n".join(lines), multiline=True),
            title="Import",
            severity="warning" if outcome.rejected else "information",
            markup=False,
            timeout=10,
        )

    # ---------------------------------------------------------------- manage feeds

    def rename_feed(self) -> None:
        feed = self.host.selected_feed()
        if feed is None:
            return

        from ..dialogs import PromptScreen

        def chosen(title: str | None) -> None:
            if title:
                self._change_feed(feed, title=title)

        self.host.app.push_screen(
            PromptScreen("Rename feed", f"New name for {feed.display_title}:", feed.title),
            chosen,
        )

    def move_feed(self) -> None:
        feed = self.host.selected_feed()
        if feed is None:
            return

        from ..dialogs import PromptScreen

        def chosen(category: str | None) -> None:
            if category:
                self._change_feed(feed, category=category)

        self.host.app.push_screen(
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
            self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
            return
        self.host.reload_feeds()
        self.host.sidebar.move_to(View("feed", updated.id, label=updated.display_title))
        self.host.reload_list_keeping_cursor()

    def unsubscribe(self) -> None:
        feed = self.host.selected_feed()
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
                self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
                return
            if self.host.view.kind == "feed" and self.host.view.key == feed.id:
                self.host.view = View("category", feed.category, label=feed.category)
            self.host.reload_feeds()
            self.host.reload_list_keeping_cursor()
            self.host.notify(
                plain_str(f"Unsubscribed from {feed.display_title}.", multiline=True), markup=False
            )

        from ..dialogs import ConfirmScreen

        self.host.app.push_screen(ConfirmScreen("Unsubscribe", question, "Unsubscribe"), answered)

    def feed_health(self) -> None:
        from ..feed_health import FeedHealthScreen

        account: list[str] = []
        if self.sync.bound:
            from ...sync.status import account_lines

            account = account_lines(self.store.sync.account() or {}, self.store.sync.waiting())
        insecure = self.config.allow_insecure_auth
        self.host.app.push_screen(
            FeedHealthScreen(
                self.store.feeds(),
                self.store.article_counts_by_feed(),
                insecure_auth_allowed=insecure,
                account=account,
            )
        )
