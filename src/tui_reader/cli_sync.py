"""`tui-reader refresh` on a library bound to a server account: one sync and its summary
(issue 17), then a refresh of the library's command feeds, which no sync brings
(`sync/local_feeds.py`). Used by `cli.cmd_refresh` and `account add`; imports nothing of
`cli`, which imports it, so the two stay free of an import circle: the caller passes its
console and its error printer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.text import Text

from .store import Store
from .sync.account import connect, find_secret
from .sync.base import SyncClient, SyncError
from .wording import plural

if TYPE_CHECKING:
    from rich.console import Console

    from .feeds.auth_login import Logins
    from .notify import NewArticles
    from .sync.engine import SyncReport

EXIT_SYNC_FAILED = 1


def sync_library(
    store: Store,
    console: Console,
    err: Callable[[str], None],
    *,
    logins: Logins | None = None,
) -> tuple[int, Callable[[], NewArticles] | None]:
    """Sync with the bound account and print one summary line (exit status 1, and the
    reason in one line on stderr, when the sync failed; the outbox is kept), then refresh
    the command feeds (even after a failed sync: they need no server) as `refresh` does.

    Returns the exit status and what to tell notify_command (to call before the library
    is closed; None when nothing was fetched: the sync failed and there is no command
    feed). Ctrl+C during the command feeds raises `RefreshInterrupted`."""
    since = datetime.now(UTC)
    report = _sync(store, console, err)
    status = EXIT_SYNC_FAILED if report is None or report.error else 0
    from .sync.local_feeds import command_feeds

    local = None
    feeds = command_feeds(store)
    if feeds:
        from .feeds.refresh_cli import run_refresh

        local = run_refresh(store, feeds, logins=logins)
    if local is None and status:
        return status, None
    from .notify import from_sync
    from .sync.engine import SyncReport

    done = report if report is not None and not report.error else SyncReport()
    return status, lambda: from_sync(store, done, since, local)


def _sync(store: Store, console: Console, err: Callable[[str], None]) -> SyncReport | None:
    """The sync and its summary; None when no connection could be made."""
    account = store.sync.account()
    assert account is not None
    store.start_writer()
    user = str(account.get("user") or "")
    try:
        secret = find_secret(account, store.sync.stored_secret())
        client = connect(str(account["kind"]), str(account["url"]), user, secret)
    except SyncError as exc:
        store.sync.record(last_error=str(exc), offline=False)
        err(f"Sync failed: {exc} ({plural(store.sync.waiting(), 'change')} waiting)")
        return None
    try:
        return _run_engine(store, client, console, err, upload=False)
    finally:
        client.close()


def run_sync(
    store: Store,
    client: SyncClient,
    console: Console,
    err: Callable[[str], None],
    *,
    upload: bool,
) -> int:
    report = _run_engine(store, client, console, err, upload=upload)
    return EXIT_SYNC_FAILED if report.error else 0


def _run_engine(
    store: Store,
    client: SyncClient,
    console: Console,
    err: Callable[[str], None],
    *,
    upload: bool,
) -> SyncReport:
    from .sync.engine import SyncEngine

    report = SyncEngine(store, client).run(upload=upload)
    if report.error:
        err(report.summary())
        return report
    for line in report.errors:
        console.print(Text(f"  skipped: {line}"), soft_wrap=True)
    console.print(Text(report.summary()), soft_wrap=True)
    return report
