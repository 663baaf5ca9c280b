"""The killfile's rules follow the config file while the reader runs.

The config is read once at start, but a user who adds an `[[ignore]]` rule expects what
it hides to go at once. So the reader looks at the config file's size and time every
`CHECK_SECONDS` (one `stat`, nothing else); when it changed, it reads the file's
`[[ignore]]` tables again and, if the rules are not the same, gives the store the new
ones (which evaluates each feed again at the next count) and redraws the counts, the
sidebar and the list. Other settings still apply at the next start.

A file that is not valid TOML (saved in the middle of an edit) keeps the rules in force
and says why; the rules' own problems are told as at start.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from ...config import Config
from ...store import Store
from ...ui_text import plain_str

if TYPE_CHECKING:
    from ...killfile import IgnoreRule
    from .host import MainHost

CHECK_SECONDS = 2.0

_Stamp = tuple[int, int, int] | None


class IgnoreRulesWatch:
    """Reloads the ignore rules when the config file changes (`check`, on a timer)."""

    def __init__(self, host: MainHost, store: Store, config: Config) -> None:
        self.host = host
        self.store = store
        # A Config made in code (tests, no file) has the default source: nothing to watch.
        self.path = Path(config.source) if config.source != Config().source else None
        self._stamp = self._stat()
        self._rules = _identity(config.ignore)

    def start(self) -> None:
        if self.path is not None:
            self.host.app.set_interval(CHECK_SECONDS, self.check)

    def _stat(self) -> _Stamp:
        if self.path is None:
            return None
        try:
            info = os.stat(self.path)
        except OSError:
            return None  # removed (or not there yet): no rules
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def check(self) -> None:
        stamp = self._stat()
        if stamp == self._stamp or self.path is None:
            return
        self._stamp = stamp
        source = str(self.path)
        if stamp is None:
            rules: tuple[IgnoreRule, ...] = ()
            problems: list[str] = []
        else:
            try:
                data = tomllib.loads(self.path.read_bytes().decode("utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                why = f"{source} could not be read again ({exc}); the ignore rules in force stay."
                self._tell(why, "warning")
                return
            rules, problems = _read(data.get("ignore"), source)
        for problem in problems:
            self._tell(problem, "warning")
        if _identity(rules) == self._rules:
            return
        self._rules = _identity(rules)
        if rules:
            from ...killfile import Killfile

            self.store.hidden.set_rules(Killfile(rules))
        else:
            self.store.hidden.set_rules(None)
        self.host.reload_feeds()  # counts, sidebar and saved searches
        self.host.reload_list_keeping_cursor()
        count = len(rules)
        self._tell(
            f"Ignore rules reloaded from {source}: {count} rule{'s' if count != 1 else ''} "
            "in force.",
            "information",
        )

    def _tell(self, message: str, severity: str) -> None:
        self.host.notify(
            plain_str(message, multiline=True),
            title="Config",
            severity=severity,
            timeout=10,
            markup=False,
        )


def _read(value: object, source: str) -> tuple[tuple[IgnoreRule, ...], list[str]]:
    if value is None:
        return (), []
    from ...killfile import read_ignore

    return read_ignore(value, source)


def _identity(rules: tuple[IgnoreRule, ...]) -> tuple[tuple[str, str, str], ...]:
    """What makes two rule sets the same (not their parsed dates: `@7d` moves)."""
    return tuple((r.query.raw, r.mode, r.name) for r in rules)
