"""`tui-reader refresh` and notifications: with `notify = "command"` in the config, the
refresh (on a library bound to an account, the sync: `cli_sync.py`) ends by running
`notify_command` as the reader would (`notify.py`), so that a refresh from cron tells its
user about new articles. The bell and the terminal's
notification are the reader's alone: a command's output may be a pipe or a log file.

Imports nothing of `cli` (which imports it): the caller passes its error printer."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from .store import Store

if TYPE_CHECKING:
    from .feeds.refresh import RefreshSummary
    from .notify import NewArticles


def notify_command_for(
    args: argparse.Namespace,
    store: Store,
    summary: RefreshSummary,
    since: datetime,
    err: Callable[[str], None],
) -> list[str] | None:
    """notify_command's argv for the refresh that started at `since`, if the config asks
    for it (run with `run_notify`, once the library is closed: a slow notifier must not
    keep the reader out of it); a bad command line is one line on stderr."""
    from .notify import from_refresh

    return notify_argv(args, lambda: from_refresh(store, summary, since), err)


def notify_argv(
    args: argparse.Namespace,
    news: Callable[[], NewArticles] | None,
    err: Callable[[str], None],
) -> list[str] | None:
    """notify_command's argv for what `news()` says (a refresh's or a sync's new
    articles; called only when the config asks for the command; None: nothing to tell)."""
    if news is None or getattr(args, "no_notify", False):
        return None
    from .config import load_config
    from .paths import config_file

    # The problems in the file were said when the library was opened (cli.open_store).
    config = load_config(config_file(getattr(args, "config", None)))
    if config.notify != "command" or not config.notify_command.strip():
        return None
    from .external import CommandError
    from .notify import command_argv, should_notify

    found = news()
    if not should_notify(found, config.notify_always):
        return None
    try:
        return command_argv(config.notify_command, found)
    except CommandError as exc:
        err(str(exc))
        return None


def run_notify(argv: list[str] | None, err: Callable[[str], None]) -> None:
    """Run notify_command's `argv` (None: nothing to do); a failure is one line on
    stderr and never changes the refresh's exit status."""
    if argv is None:
        return
    from .external import CommandError, run_command

    try:
        run_command(argv, "notify_command")
    except CommandError as exc:
        err(str(exc))
