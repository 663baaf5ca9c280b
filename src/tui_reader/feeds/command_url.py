"""The text of a command subscription: `exec:COMMAND` and `filter:COMMAND:URL`.

newsboat's syntax, read the way a newsboat user wrote it in a `urls` file:

* `exec:COMMAND`: the command's standard output is the feed document.
* `filter:COMMAND:URL`: URL is fetched as any feed is, its body goes to the command's
  standard input, and the command's output is the feed document. The URL starts at the
  first `:` followed by `http://` or `https://` (newsboat splits at the first `:`, so
  every newsboat line reads the same here; a `:` inside the command is allowed too).

COMMAND is split into an argument vector with `shlex` (POSIX quoting): there is no shell
unless the user writes one (`sh -c '...'`), so `;`, `|`, `$(...)` are plain characters.
A leading `~` in the program's name is the home folder, as newsboat users expect; nothing
else is expanded. Pure: no process is started here (`command_fetch.py` runs them).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Literal

from ..text import UrlRejected, clean_line, is_command_url, normalize_feed_url

MAX_COMMAND_LENGTH = 4096
# A control character (a line break, NUL, an escape) in a command is never what the user
# meant to run, and it would reach the screen when the command is shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FILTER_URL = re.compile(r":(?=https?://)", re.IGNORECASE)


class CommandRejected(ValueError):
    """The text is not a usable command subscription; `str(exc)` says why, plainly."""


@dataclass(frozen=True, slots=True)
class CommandFeed:
    """A parsed command subscription. `text` is what the library stores as the feed's
    url (the prefix in lower case, a filter's URL normalised)."""

    kind: Literal["exec", "filter"]
    argv: tuple[str, ...]
    url: str  # the address a filter reads; "" for exec
    text: str


def _plain(text: str) -> bool:
    """True if `text` has nothing `clean_line` would change but its blanks: no control,
    bidi, invisible or combining-flood characters that could hide what a command does."""
    probe = text.replace(" ", "x")
    return clean_line(probe) == probe


def shown(raw: str, max_length: int = 300) -> str:
    """A command subscription as it may be printed or shown, one line: as written when
    it is plain (blanks kept, so it reads exactly as it will run), else sanitised."""
    if _plain(raw) and len(raw) <= max_length:
        return raw
    return clean_line(raw, max_length)


def parse_command_url(raw: str) -> CommandFeed:
    """Parse `raw` (see the module docstring); `CommandRejected` says what is wrong."""
    text = raw.strip()
    if not is_command_url(text):
        raise CommandRejected("not an exec: or filter: subscription")
    if len(text) > MAX_COMMAND_LENGTH:
        raise CommandRejected(f"the command is longer than {MAX_COMMAND_LENGTH} characters")
    if _CONTROL.search(text):
        raise CommandRejected("the command contains a line break or another control character")
    if not _plain(text):
        # Shown to the user before it may run: what they read must be what runs.
        raise CommandRejected("the command contains invisible or direction-changing characters")
    prefix, _, body = text.partition(":")
    if prefix.lower() == "exec":
        return CommandFeed("exec", _argv(body), "", f"exec:{body}")
    match = _FILTER_URL.search(body)
    if match is None:
        raise CommandRejected(
            "a filter needs a command and the feed's address: filter:COMMAND:https://..."
        )
    command, address = body[: match.start()], body[match.end() :]
    try:
        url = normalize_feed_url(address)
    except UrlRejected as exc:
        raise CommandRejected(f"the filter's address is refused: {exc}") from None
    return CommandFeed("filter", _argv(command), url, f"filter:{command}:{url}")


def _argv(command: str) -> tuple[str, ...]:
    try:
        words = shlex.split(command, comments=False, posix=True)
    except ValueError as exc:  # an unclosed quote, a trailing backslash
        raise CommandRejected(f"the command cannot be read ({exc})") from None
    if not words or not words[0]:
        raise CommandRejected("no command is given")
    return tuple(words)
