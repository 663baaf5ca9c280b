"""Playing an enclosure with the configured `player` command: argv only, never a shell.

`player` is a command line (split like a shell would, with `shlex`, but never run by
one): "%s" in it is replaced by what to play, else that is appended. What to play is
the downloaded file when there is one, else the enclosure's address, which must pass
the URL policy (http or https only). The player is started detached, like a graphical
browser (`browser.py`): the reader keeps the terminal.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

from ..external import start_detached, with_target
from ..text import check_url

HOW_TO_SET = (
    'No player is set. Add a line like  player = "mpv --no-video"  to the config file '
    "(README, Podcasts), or download the file with D."
)


class PlayerError(RuntimeError):
    """Nothing was started; the message is for the user."""


def plan_play(player: str, url: str, path: str | None = None) -> tuple[str, ...]:
    """The argv that plays `path` (a downloaded file) or else `url`."""
    if not player.strip():
        raise PlayerError(HOW_TO_SET)
    try:
        words = shlex.split(player)
    except ValueError as exc:
        raise PlayerError(f"The player command cannot be read ({exc}).") from None
    if not words:
        raise PlayerError(HOW_TO_SET)
    program = shutil.which(words[0])
    if program is None:
        raise PlayerError(f"The player {words[0]!r} was not found.")
    if path and Path(path).is_file():
        # An absolute path never starts with "-": the player cannot take it for an option.
        target = str(Path(path).resolve())
    else:
        verdict = check_url(url)
        if not verdict.ok:
            raise PlayerError(f"Not played: {verdict.reason}. The address was: {verdict.shown}")
        target = verdict.url
    return with_target(program, words[1:], target)


def start_player(argv: tuple[str, ...]) -> None:
    """Start the player detached from the terminal (no input, output discarded)."""
    try:
        start_detached(argv)
    except OSError as exc:
        raise PlayerError(f"Could not start {argv[0]}: {exc.strerror}") from None
