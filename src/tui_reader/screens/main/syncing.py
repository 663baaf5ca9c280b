"""Sync with the bound server account from inside the reader (issue 17): `SyncController`.

On a library bound to an account (`store.sync.bound`), `r`/`R`, `refresh_on_start` and the
periodic refresh run a sync instead of fetching feeds (`FeedsController` asks `sync_now`);
the library's command feeds, which no sync brings (`sync/local_feeds.py`), are refreshed
after it in the same worker, and its toast and notification include them.
A local change (a flag, a mark-all, a subscription edit) is queued in the store's outbox
at once; the store tells this controller, which pushes it `PUSH_DELAY` seconds later
(changes made meanwhile go in the same push), or `RETRY_DELAY` after a failed attempt.

Everything that talks to the server runs in one thread worker at a time (group `sync`):
the secret lookup, the connection, the engine. Nothing is sent before the first paint
(the first push or sync starts from a timer or `call_after_refresh`), and every failure
becomes the account's state (the sidebar's line, `H`), never an exception on screen.
Quitting cancels the worker: a watcher thread then cancels the client's request in
flight, so the app closes within about a second.

The sidebar's line is its border subtitle (only on a bound library), redrawn every
`STATE_INTERVAL` seconds ("synced 2 min ago" ages) and after every change.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.worker import get_current_worker

from ...config import Config
from ...messages import SyncUpdate
from ...store import Store
from ...sync.status import state_line
from ...ui_text import plain, plain_str
from ...views import ALL, View, in_folder

if TYPE_CHECKING:
    from collections.abc import Callable

    from ...feeds.refresh import RefreshSummary
    from ...models import Article, Feed
    from ...sync.base import SyncClient
    from ...sync.engine import SyncReport
    from .host import MainHost

    # Refreshes the given feeds in the calling (worker) thread until the event is set.
    LocalRefresh = Callable[[list[Feed], threading.Event], RefreshSummary]

PUSH_DELAY = 2.0  # seconds after the last local change before it is pushed
RETRY_DELAY = 30.0  # ... when the last attempt failed (offline: do not hammer)
MAX_WAIT = 10.0  # a steady stream of changes is still pushed this often
STATE_INTERVAL = 30.0  # the sidebar's line is redrawn this often
SYNCED_CLASS = "-synced"  # the sidebar of a bound library: a bottom border for the line


class SyncController:
    """Syncs and pushes in the background; shows the account's state."""

    def __init__(
        self,
        host: MainHost,
        store: Store,
        config: Config | None = None,
        *,
        refresh_local: LocalRefresh | None = None,
    ) -> None:
        self.host = host
        self.store = store
        self.config = config or Config()
        # Refreshes the command feeds after a sync, in the sync's worker thread
        # (`FeedsController.fetch_feeds`): no sync brings them (sync/local_feeds.py).
        self.refresh_local = refresh_local
        self._started = datetime.now(UTC)  # when the running sync started: its new articles
        # The binding cannot change while the reader runs: it holds the library's lock.
        self.bound = store.sync.bound
        self.running: str | None = None  # "sync" or "push" while a worker runs
        self._next: str | None = None  # what to run when the running one ends
        self._secret: str | None = None  # found once per session (the command may be slow)
        self._push_timer: object | None = None
        self._want_full = False  # the waiting timer is to run a full sync
        self._waiting_since: float | None = None  # monotonic time the timer was first set
        self._failed_at: float | None = None  # monotonic time of the last failed attempt
        if self.bound:
            store.sync.listeners.append(self._queued_elsewhere)

    # ---------------------------------------------------------------- the screen

    def start(self) -> None:
        """On mount: the state line, its timer, and a push of what was left waiting."""
        if not self.bound:
            return
        self.host.sidebar.add_class(SYNCED_CLASS)
        self.show_state()
        self.host.sidebar.call_after_refresh(self.show_state)  # laid out: its width known
        self.host.set_interval(STATE_INTERVAL, self.show_state)
        if self.store.sync.waiting():
            self.push_soon()

    def show_state(self) -> None:
        account = self.store.sync.account()
        if account is None:
            return
        sidebar = self.host.sidebar
        line = state_line(
            account,
            self.store.sync.waiting(),
            running=self.running == "sync",
            width=sidebar.outer_size.width - 4 if sidebar.outer_size.width else 1000,
        )
        sidebar.border_subtitle = plain(line, 200)

    def _queued_elsewhere(self) -> None:
        # Called by the store with its state lock held, maybe from another thread.
        self.host.post_message(SyncUpdate("queued"))

    def handle(self, event: SyncUpdate) -> None:
        """Every `SyncUpdate` the screen receives."""
        if event.kind == "queued":
            self.show_state()
            self.push_soon()
        elif event.report is None:
            if event.progress and self.running == "sync":
                self.host.sub_title = plain_str(f"Syncing: {event.progress}…")
        else:
            self._finished(event.kind, event.report, event.local)

    # ---------------------------------------------------------------- starting

    def sync_now(self) -> None:
        """A full sync (r, R, refresh_on_start, the periodic refresh)."""
        if not self.bound or self.running == "sync" or self._next == "sync":
            return
        self.host.refreshing = True  # r / R leave the footer, as during a refresh
        self.host.sub_title = "Syncing…"
        if self.running:
            self._next = "sync"  # after the push in flight
            return
        self._run("sync")

    def push_soon(self, *, full: bool = False) -> None:
        """Push (or, `full`, sync: a new subscription brings its articles) a little later;
        every call restarts the wait, so a burst of changes is one push."""
        if not self.bound:
            return
        now = time.monotonic()
        if self._waiting_since is None:
            self._waiting_since = now
        delay = min(PUSH_DELAY, max(0.0, self._waiting_since + MAX_WAIT - now))
        if self._failed_at is not None:
            delay = max(delay, RETRY_DELAY - (now - self._failed_at))
        self._want_full = self._want_full or full
        if self._push_timer is not None:
            self._push_timer.stop()  # type: ignore[attr-defined]
        self._push_timer = self.host.set_timer(delay, self._push_now)

    def _push_now(self) -> None:
        self._push_timer = None
        self._waiting_since = None
        if self._want_full:
            self._want_full = False
            self.sync_now()
            return
        if not self.store.sync.waiting():
            return
        if self.running:
            self._next = self._next or "push"
            return
        self._run("push")

    def _run(self, kind: str) -> None:
        self.running = kind
        if kind == "sync":
            self._started = datetime.now(UTC)
        self.show_state()
        self.host.run_worker(
            lambda: self._work(kind),
            thread=True,
            exit_on_error=False,
            group="sync",
            exclusive=True,
        )

    # ---------------------------------------------------------------- the worker

    def _work(self, kind: str) -> None:
        """In a thread: connect and run the engine; the report comes back as a message,
        whatever happens (else r would stay off for the rest of the session)."""
        from ...sync.engine import SyncReport

        cancelled = get_current_worker().cancelled_event
        try:
            report = self._sync(kind, cancelled)
        except Exception as exc:  # the disk, or a bug: shown in one line, never fatal
            report = SyncReport(error=f"the sync stopped: {exc}", waiting=self.store.sync.waiting())
        if report.cancelled:  # the app is closing, nothing to tell
            return
        local = None
        if kind == "sync":  # even after a failed sync: the commands need no server
            try:
                local = self._refresh_local(cancelled)
            except Exception as exc:  # as a refresh's failure: one line, never fatal
                report.errors.append(f"the command feeds' refresh failed: {exc}")
            if local is not None and local.cancelled:
                return
        self.host.post_message(SyncUpdate(kind, report, local=local))

    def _refresh_local(self, cancelled: threading.Event) -> RefreshSummary | None:
        """The command feeds' refresh after a sync (None: the library has none)."""
        from ...sync.local_feeds import command_feeds

        feeds = command_feeds(self.store)
        if not feeds or self.refresh_local is None:
            return None
        return self.refresh_local(feeds, cancelled)

    def _sync(self, kind: str, cancelled: threading.Event) -> SyncReport:
        from ...sync.account import connect, find_secret
        from ...sync.base import SyncError
        from ...sync.engine import SyncEngine, SyncReport

        store = self.store
        host = self.host
        account = store.sync.account() or {}
        try:
            if self._secret is None:
                self._secret = find_secret(account, store.sync.stored_secret(), quiet=True)
            client = connect(
                str(account.get("kind")),
                str(account.get("url")),
                str(account.get("user") or ""),
                self._secret,
            )
        except SyncError as exc:  # no secret, or an account the clients cannot use
            store.sync.record(last_error=str(exc), offline=False)
            return SyncReport(error=str(exc), waiting=store.sync.waiting())
        done = threading.Event()
        threading.Thread(
            target=_cancel_when, args=(cancelled, done, client), daemon=True, name="sync-cancel"
        ).start()

        def progress(what: str) -> None:
            host.post_message(SyncUpdate(kind, progress=what))

        try:
            engine = SyncEngine(store, client, on_progress=progress)
            return engine.run() if kind == "sync" else engine.push()
        finally:
            done.set()
            client.close()

    # ---------------------------------------------------------------- the end

    def _finished(self, kind: str, report: SyncReport, local: RefreshSummary | None = None) -> None:
        self.running = None
        self._failed_at = time.monotonic() if report.error else None
        if report.error and not report.offline:
            self._secret = None  # refused: a changed secret (command) is read again next time
        if kind == "sync":
            self.host.refreshing = False
            view = self.host.view
            if view.kind == "feed" and self.store.feed(view.key) is None:
                self.host.view = ALL  # unsubscribed on the server meanwhile
            self.host.reload_feeds()
            self.host.reload_list_keeping_cursor()
            self._notify(report, local)
            if not report.error or local is not None:  # as a refresh's (notify, notify_command)
                from ...notify import from_sync
                from ...sync.engine import SyncReport
                from .announce import announce_new_articles

                done = report if not report.error else SyncReport()
                news = from_sync(self.store, done, self._started, local)
                announce_new_articles(self.host, self.config, news)
        elif report.pushed:
            self.host.recount(title=False)
        follow, self._next = self._next, None
        if follow == "sync":
            self._run("sync")
        elif follow == "push":
            self.push_soon()  # changes made while this one was on its way
        self.show_state()

    def _notify(self, report: SyncReport, local: RefreshSummary | None = None) -> None:
        from ...sync.local_feeds import describe

        after = f" {describe(local)}" if local is not None else ""
        if report.error:
            self.host.notify(
                plain_str(report.summary() + after, 1000, multiline=True),
                title="Sync",
                severity="warning",
                markup=False,
            )
            return
        message = report.summary()
        if report.errors:
            message += " Skipped: " + "; ".join(report.errors[:3])
            if len(report.errors) > 3:
                message += f" and {len(report.errors) - 3} more (H shows them)."
        failed = report.errors or (local is not None and local.failed)
        self.host.notify(
            plain_str(message + after, 1000, multiline=True),
            title="Sync finished",
            severity="warning" if failed else "information",
            markup=False,
            timeout=8,
        )


def _cancel_when(cancelled: threading.Event, done: threading.Event, client: SyncClient) -> None:
    """Cancel `client` when the worker is cancelled (the app closing); ends with the sync."""
    while not done.is_set():
        if cancelled.wait(0.1):
            client.cancel()
            done.wait()
            return


# -------------------------------------------------------------------- mark-all


def queue_mark_all(store: Store, view: View) -> int:
    """`A` on a view of a bound library: besides the articles' own flag records, queue
    the server's mark-all, bounded by the newest local article's time, so that articles
    the reader never downloaded are marked too, and none newer than what was shown.

    * a feed: that feed's mark-all;
    * a category (a folder, with its subfolders): one per feed in it (the server's
      categories are flat, and its category may hold feeds the folder does not);
    * All and Unread: the server's global mark-all, bounded by the newest article of the
      library;
    * Today, Starred, saved searches and search results: no mark-all (the server cannot
      say "today" or "this search"): only the articles shown, one by one.

    Returns how many mark-all records were queued."""
    if not store.sync.bound:
        return 0
    if view.kind == "feed":
        feeds = [view.key]
    elif view.kind == "category":
        feeds = [f.id for f in store.feeds() if in_folder(f.category, view.key)]
    elif view.kind in ("all", "unread"):
        newest = _newest(store.articles())
        if newest is None:
            return 0
        store.sync.queue("mark_all", feed=None, category=None, before=newest)
        return 1
    else:
        return 0
    queued = 0
    for feed_id in feeds:
        newest = _newest(store.articles([feed_id]))
        if newest is not None:
            store.sync.queue("mark_all", feed=feed_id, category=None, before=newest)
            queued += 1
    return queued


def _newest(articles: list[Article]) -> int | None:
    """The newest `published` (unix seconds, rounded up) of `articles`, newest first."""
    if not articles:
        return None
    return max(math.ceil(a.published.timestamp()) for a in articles[:50])
