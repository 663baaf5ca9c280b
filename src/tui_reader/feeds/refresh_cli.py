"""`tui-reader refresh`: a progress bar on a terminal, plain lines when piped, a summary.

Ctrl+C stops a refresh cleanly: the refresh's tasks are cancelled, the parser processes
(which ignore it, see parse_pool) are shut down, what was fetched is saved, and the
command says how many feeds that was (`RefreshInterrupted`). Further presses are ignored
until the library is closed, so that they cannot cut the saving short.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Feed
from ..store import Store
from ..text import clean_line
from ..wording import plural
from .parse_pool import FeedParser
from .refresh import FeedOutcome, RefreshSummary, early_parser, refresh_feeds

if TYPE_CHECKING:
    from rich.console import Console

    from .auth_login import Logins


class RefreshInterrupted(KeyboardInterrupt):
    """Ctrl+C stopped the refresh; `saved` feeds were done (and saved) by then."""

    def __init__(self, saved: int) -> None:
        super().__init__(saved)
        self.saved = saved

    def message(self) -> str:
        return f"interrupted; {plural(self.saved, 'feed')} saved"


@dataclass(slots=True)
class _Tally:
    saved: int = 0
    interrupted: bool = False

    def count(self, outcome: FeedOutcome) -> None:
        if outcome.status != "waiting":  # a waiting feed was not fetched: nothing saved
            self.saved += 1


@contextlib.contextmanager
def sigint_restored() -> Iterator[None]:
    """On leaving, Ctrl+C does again what it did on entering. Wrap the whole command
    (the store's closing included) in it: after an interrupt, `run_refresh` leaves
    Ctrl+C ignored so that what was fetched is saved whole."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_refresh(
    store: Store, feeds: Sequence[Feed], *, logins: Logins | None = None
) -> RefreshSummary:
    """Refresh `feeds`, reporting on stdout. `store` may have its writer thread unstarted
    (`Store.open(start_writer=False)`): parser processes are forked first, then it starts.

    Raises `RefreshInterrupted` on Ctrl+C, once the refresh has stopped.
    """
    tally = _Tally()
    parser: FeedParser | None = None
    try:
        parser = early_parser(feeds)
        return _run(store, feeds, parser, tally, logins)
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError) and not tally.interrupted:
            raise
        _ignore_interrupts()
        raise RefreshInterrupted(tally.saved) from None
    finally:
        if parser is not None:
            parser.close()  # refresh_feeds closes it too; this covers a failure before it


def _ignore_interrupts() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


async def _stoppable(work: Coroutine[Any, Any, RefreshSummary], tally: _Tally) -> RefreshSummary:
    """Await `work`; the first Ctrl+C cancels it, so that every task ends through its
    `finally` (files synced, parser pool shut down) instead of wherever it was."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def stop() -> None:
        tally.interrupted = True
        loop.remove_signal_handler(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        task.cancel()

    previous = signal.getsignal(signal.SIGINT)
    try:
        loop.add_signal_handler(signal.SIGINT, stop)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread; Windows
        return await work
    try:
        return await work
    finally:
        if not tally.interrupted:
            loop.remove_signal_handler(signal.SIGINT)
            signal.signal(signal.SIGINT, previous)


def _run(
    store: Store, feeds: Sequence[Feed], parser: FeedParser, tally: _Tally, logins: Logins | None
) -> RefreshSummary:
    store.start_writer()
    if _surely_piped():
        # No rich at all: importing it costs ~20-40 ms of a refresh that may take 0.2 s.
        summary = _with_plain_lines(store, feeds, parser, tally, logins)
        store.flush()
        for line in summary_lines(summary, store, logins):
            sys.stdout.write(line + "\n")
        return summary
    from rich.console import Console
    from rich.text import Text

    # markup/emoji off: feed titles and error texts are printed exactly as written.
    console = Console(emoji=False, markup=False, highlight=False)
    if console.is_terminal:
        summary = _with_progress_bar(console, store, feeds, parser, tally, logins)
    else:
        summary = _with_plain_lines(store, feeds, parser, tally, logins)
    store.flush()
    for line in summary_lines(summary, store, logins):
        console.print(Text(line))
    return summary


def _surely_piped() -> bool:
    """True when stdout is not a terminal and no variable tells rich to treat it as one
    (TTY_COMPATIBLE, FORCE_COLOR): then rich is not needed to decide."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except ValueError:  # a closed stream
        return False


def _with_progress_bar(
    console: Console,
    store: Store,
    feeds: Sequence[Feed],
    parser: FeedParser,
    tally: _Tally,
    logins: Logins | None,
) -> RefreshSummary:
    # Imported here: only a terminal shows the bar (rich.progress costs ~10 ms to import).
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("Refreshing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}", markup=False),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("refresh", total=len(feeds), last="")

        def on_progress(outcome: FeedOutcome, done: int, total: int) -> None:
            tally.count(outcome)
            progress.update(task, completed=done, last=outcome.title[:40])

        work = refresh_feeds(store, feeds, on_progress=on_progress, parser=parser, logins=logins)
        return asyncio.run(_stoppable(work, tally))


def _with_plain_lines(
    store: Store, feeds: Sequence[Feed], parser: FeedParser, tally: _Tally, logins: Logins | None
) -> RefreshSummary:
    def on_progress(outcome: FeedOutcome, done: int, total: int) -> None:
        tally.count(outcome)
        detail = f"{outcome.new} new" if outcome.status != "failed" else (outcome.error or "")
        sys.stdout.write(f"[{done}/{total}] {outcome.status}: {outcome.title} ({detail})\n")

    work = refresh_feeds(store, feeds, on_progress=on_progress, parser=parser, logins=logins)
    return asyncio.run(_stoppable(work, tally))


def summary_lines(
    summary: RefreshSummary, store: Store | None = None, logins: Logins | None = None
) -> list[str]:
    """The summary, one plain (sanitised) line each: the totals, then every failure.
    With `store`, a feed that needs a login is followed by the config lines to add."""
    lines = [f"Refreshed {plural(len(summary.outcomes), 'feed')}: {summary.describe()}."]
    hinted: set[str] = set()
    for failure in sorted(summary.failed, key=lambda o: o.title.lower()):
        lines.append(f"  failed: {clean_line(failure.title)}: {clean_line(failure.error)}")
        feed = store.feed(failure.feed_id) if store is not None else None
        # auth_login.LOGIN_NEEDED, without loading the login code for every refresh
        if feed is not None and (failure.error or "").startswith("needs a login"):
            from .auth_login import config_lines

            insecure = logins is not None and logins.allow_insecure
            hint = config_lines(feed.url, failure.error or "", insecure_allowed=insecure)
            if hint and hint[0] not in hinted:  # once per host
                hinted.add(hint[0])
                lines.append("    add to the config file:")
                lines.extend(f"      {clean_line(line)}" for line in hint)
    return lines
