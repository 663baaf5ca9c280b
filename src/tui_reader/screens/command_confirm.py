"""Asking before a subscription may run a command (`exec:`, `filter:`), in the Add and
Import dialogs: the reader's form of `--allow-commands`.

The question shows each command exactly as it will be stored and run, as literal text
(`ConfirmScreen` puts it in through `ui_text.plain`, never as markup). Called from a
dialog's worker: it waits for the answer (`push_screen(wait_for_dismiss=True)`).
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App

from ..feeds.command_url import CommandRejected, parse_command_url, shown
from .dialogs import ConfirmScreen

# Commands listed in one question; the rest are counted.
MAX_LISTED = 8
TITLE = "Run a command at every refresh?"
WARNING = (
    "It runs on this computer, as you, each time feeds are refreshed. Allow it only "
    "if you wrote it or trust where it came from."
)


async def allow_commands(app: App[object], commands: Sequence[str]) -> bool:
    """Ask whether `commands` (already-checked command texts) may run; True for yes."""
    listed = [f"  {shown(text, 500)}" for text in commands[:MAX_LISTED]]
    if len(commands) > MAX_LISTED:
        more = len(commands) - MAX_LISTED
        listed.append(f"  … and {more} more (`tui-reader import FILE` lists them all)")
    what = "This subscription runs" if len(commands) == 1 else "These subscriptions run"
    question = f"{what} a command:\n\n" + "\n".join(listed) + f"\n\n{WARNING}"
    screen = ConfirmScreen(TITLE, question, yes_label="Allow and subscribe")
    return bool(await app.push_screen(screen, wait_for_dismiss=True))


async def confirm_command_feed(app: App[object], raw: str) -> str | None:
    """The Add dialog's check of an `exec:`/`filter:` address: None when the user
    allowed it, else the message to show under the address."""
    try:
        text = parse_command_url(raw).text
    except CommandRejected as exc:
        return f"Cannot subscribe to {shown(raw, 200)}: {exc}."
    if await allow_commands(app, [text]):
        return None
    return "Not subscribed: the command was not allowed to run."
