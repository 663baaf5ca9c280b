"""After a refresh or a sync: tell the user about its new articles the way the config's
`notify` says (`notify.py` describes the modes). `announce_new_articles` is the one hook:
the refresh (`FeedsController.finished`) and the sync call it with a `NewArticles`.

The terminal's notification goes out through Textual's driver, as `App.bell()` writes
its bell: an OSC string or a BEL moves no cursor and draws nothing, so the screen
Textual keeps stays as it is. It is sent only while the terminal says the reader is not
focused (focus reporting, `App.app_focus`); a focused reader shows its toast instead.
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING, Any

from ...ui_text import plain_str

if TYPE_CHECKING:
    from textual.app import App

    from ...config import Config
    from ...notify import NewArticles
    from .host import MainHost


def announce_new_articles(host: MainHost, config: Config, news: NewArticles) -> None:
    """Notify about `news` (a refresh's or a sync's): notify_command in a thread, or the
    terminal's notification / bell while the reader is not focused, or nothing."""
    from ...notify import should_notify, terminal_notice

    if config.notify == "none" or not should_notify(news, config.notify_always):
        return
    if config.notify == "command":
        if config.notify_command.strip():  # `config --check` and `?` say when it is missing
            host.run_worker(
                partial(_run_notify_command, host, config.notify_command, news),
                thread=True,
                exit_on_error=False,
                group="notify",
            )
        return
    app = host.app
    if app.app_focus:
        return  # the reader is in front: its toast says it
    write_to_terminal(app, terminal_notice(config.notify, news, os.environ))


def write_to_terminal(app: App[Any], sequence: str) -> None:
    """Write a notification `sequence` to the terminal the reader draws on (none in a
    headless test or a browser tab, whose page would show nothing of it)."""
    driver = app._driver  # App.bell() writes its BEL the same way
    if sequence and driver is not None and not app.is_headless and not app.is_web:
        driver.write(sequence)


def _run_notify_command(host: MainHost, command: str, news: NewArticles) -> None:
    from ...external import CommandError
    from ...notify import run_notify_command

    try:
        run_notify_command(command, news)
    except CommandError as exc:
        host.app.call_from_thread(
            host.notify,
            plain_str(exc, multiline=True),
            title="Notification",
            severity="warning",
            markup=False,
            timeout=10,
        )
