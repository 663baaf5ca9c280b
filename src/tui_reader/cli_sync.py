"""`tui-reader refresh` on a library bound to a server account: one sync and its summary
(issue 17). Used by `cli.cmd_refresh` and `account add`; imports nothing of `cli`, which
imports it, so the two stay free of an import circle: the caller passes its console and
its error printer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from .store import Store
from .sync.account import connect, find_secret
from .sync.base import SyncClient, SyncError
from .wording import plural

if TYPE_CHECKING:
    from rich.console import Console

EXIT_SYNC_FAILED = 1


def sync_library(store: Store, console: Console, err: Callable[[str], None]) -> int:
    """Sync with the bound account and print one summary line (exit status 1, and the
    reason in one line on stderr, when the sync failed; the outbox is kept)."""
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
        return EXIT_SYNC_FAILED
    try:
        return run_sync(store, client, console, err, upload=False)
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
    from .sync.engine import SyncEngine

    report = SyncEngine(store, client).run(upload=upload)
    if report.error:
        err(report.summary())
        return EXIT_SYNC_FAILED
    for line in report.errors:
        console.print(Text(f"  skipped: {line}"), soft_wrap=True)
    console.print(Text(report.summary()), soft_wrap=True)
    return 0
