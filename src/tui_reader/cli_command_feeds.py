"""`--allow-commands` for `tui-reader add` and `import`: the user's say-so for feeds that
run commands (`exec:`, `filter:`; feeds/command_url.py).

A command subscription never comes from someone else: `add` and an OPML import refuse
them unless the flag is given at that moment; a newsboat `urls` import (the user's own
file, from their own newsboat) lists the commands it found and asks on a terminal (y/N),
or needs the flag when nobody is there to answer. Everything printed here is sanitised
text on stderr, so that `import`'s summary on stdout stays as it was.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .opml import ImportPlan

# `add_flag` runs for every command, the reader's start included: what the import needs
# is imported by `allow_import_commands` itself.

FLAG = "--allow-commands"
HELP = (
    "allow exec: and filter: subscriptions (feeds made by running a command on this "
    "computer); without it they are refused"
)
# Exit status of `import` when entries that run commands were left out.
EXIT_COMMANDS_REFUSED = 1


def add_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(FLAG, dest="allow_commands", action="store_true", help=HELP)


def _say(out: TextIO, line: str) -> None:
    # Written as it is (never through Rich markup); each command is clean_line'd already.
    out.write(line + "\n")
    out.flush()


def allow_import_commands(
    plan: ImportPlan,
    allowed: bool,
    *,
    interactive: bool | None = None,
    ask: Callable[[str], str] = input,
    out: TextIO | None = None,
) -> bool:
    """Whether the commands of `plan` may be subscribed to, after listing them.

    `interactive` (default: standard input and error are terminals) lets a newsboat
    import ask; an OPML file never asks (a shared or edited OPML file is the way someone
    else's command would arrive).
    """
    if not plan.commands:
        return allowed
    from .feeds.command_url import shown
    from .text import clean_line

    out = out or sys.stderr
    count = len(plan.commands)
    _say(out, f"{clean_line(count)} subscription(s) in this file run commands on this computer:")
    for command in plan.commands:
        _say(out, f"  {command.where}: {shown(command.subscription.url, 1000)}")
    if allowed:
        _say(out, f"They are subscribed to ({FLAG}); each runs at every refresh.")
        return True
    if interactive is None:
        interactive = sys.stdin.isatty() and sys.stderr.isatty()
    if plan.source == "newsboat" and interactive:
        try:
            answer = ask("Subscribe to them? Each runs at every refresh. [y/N] ")
        except EOFError:  # Ctrl+D: no answer is no (Ctrl+C stops the import)
            answer = ""
        if answer.strip().lower() in ("y", "yes"):
            return True
        _say(out, "They are not imported.")
        return False
    what = "An OPML file's commands are" if plan.source == "opml" else "They are"
    _say(out, f"{what} not imported: run the import again with {FLAG} if you trust them.")
    return False
