"""Opening a URL in the user's browser: argv only, never a shell.

`$BROWSER` is honoured the way Python's `webbrowser` reads it (a `os.pathsep`-separated
list of commands; `%s` marks where the URL goes, else it is appended), but resolved here
on every call so that changing `$BROWSER` takes effect at once. Without `$BROWSER` the
`webbrowser` module chooses. Console browsers (w3m, lynx, ...) need the terminal, so the
caller suspends the app while they run: `BrowserLaunch.console` says so. In a browser tab
(`tui-reader serve`) nothing is started on the server: `BrowserLaunch.in_tab` tells the
caller to hand the checked URL to the user's browser (Textual's `App.open_url`).

No shell is involved here, but a `$BROWSER` wrapper script may use one. The URL policy
(`text.check_url`) percent-encodes what a URL does not need literally, which covers most
shell syntax, but `&` (and `*`, `?`, `!`) must stay as they are: an unquoted `$1` in a
wrapper can still be tricked. README "The browser" tells users to quote it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from .external import start_detached, with_target
from .text import check_url

CONSOLE_BROWSERS = frozenset(
    {"w3m", "lynx", "links", "links2", "elinks", "browsh", "carbonyl", "www-browser", "edbrowse"}
)


class BrowserError(RuntimeError):
    """The URL was refused or no browser could be started; the message is for the user."""


@dataclass(frozen=True, slots=True)
class BrowserLaunch:
    """How to open one URL: an argv, or (argv empty) the webbrowser module's choice, or
    (`in_tab`) a new tab of the browser the reader is served to."""

    url: str
    argv: tuple[str, ...]
    console: bool
    in_tab: bool = False


def _commands_from_env(value: str) -> list[list[str]]:
    commands: list[list[str]] = []
    for entry in value.split(os.pathsep):
        entry = entry.strip()
        if not entry:
            continue
        try:
            words = shlex.split(entry) if "%s" in entry else [entry]
        except ValueError:
            continue
        if words:
            commands.append(words)
    return commands


def plan_launch(raw_url: str, browser: str | None = None, served: bool = False) -> BrowserLaunch:
    """Check `raw_url` against the URL policy and decide how to open it.

    `browser` is the configured command (config file); `$BROWSER` is used when it is None.
    `served`: the reader runs in a browser tab, so the URL goes to that browser.
    """
    verdict = check_url(raw_url)
    if not verdict.ok:
        raise BrowserError(f"Not opened: {verdict.reason}. The address was: {verdict.shown}")
    url = verdict.url
    if served:  # the server's $BROWSER and display are not the user's
        return BrowserLaunch(url=url, argv=(), console=False, in_tab=True)
    spec = browser if browser is not None else os.environ.get("BROWSER", "")
    for words in _commands_from_env(spec):
        program = shutil.which(words[0])
        if program is None:
            continue
        console = Path(program).name in CONSOLE_BROWSERS
        return BrowserLaunch(url=url, argv=with_target(program, words[1:], url), console=console)
    # No usable $BROWSER: let webbrowser choose; on a machine without a display it picks a
    # console browser, which needs the terminal too.
    try:
        controller = webbrowser.get()
        name = getattr(controller, "name", "") or ""
    except webbrowser.Error:
        raise BrowserError(
            f"No web browser was found. Set $BROWSER, or open this address yourself: {url}"
        ) from None
    return BrowserLaunch(url=url, argv=(), console=Path(name).name in CONSOLE_BROWSERS)


def launch(plan: BrowserLaunch) -> None:
    """Start the browser. Console browsers run in the foreground (the caller suspended the
    app); graphical ones are started detached so the reader keeps going."""
    if not plan.argv:
        if not webbrowser.open(plan.url):
            raise BrowserError(f"The browser could not be started. The address: {plan.url}")
        return
    try:
        if plan.console:
            subprocess.run(list(plan.argv), check=False)
        else:
            start_detached(plan.argv)
    except OSError as exc:
        raise BrowserError(f"Could not start {plan.argv[0]}: {exc.strerror}") from None
