"""`tui-reader refresh`: a progress bar on a terminal, plain lines when piped, a summary."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..models import Feed
from ..store import Store
from ..text import clean_line
from .parse_pool import FeedParser
from .refresh import FeedOutcome, RefreshSummary, early_parser, refresh_feeds

if TYPE_CHECKING:
    from rich.console import Console


def run_refresh(store: Store, feeds: Sequence[Feed]) -> RefreshSummary:
    """Refresh `feeds`, reporting on stdout. `store` may have its writer thread unstarted
    (`Store.open(start_writer=False)`): parser processes are forked first, then it starts.
    """
    parser = early_parser(feeds)
    try:
        return _run(store, feeds, parser)
    finally:
        parser.close()  # refresh_feeds closes it too; this covers a failure before it


def _run(store: Store, feeds: Sequence[Feed], parser: FeedParser) -> RefreshSummary:
    store.start_writer()
    if _surely_piped():
        # No rich at all: importing it costs ~20-40 ms of a refresh that may take 0.2 s.
        summary = _with_plain_lines(store, feeds, parser)
        store.flush()
        for line in summary_lines(summary):
            sys.stdout.write(line + "\n")
        return summary
    from rich.console import Console
    from rich.text import Text

    # markup/emoji off: feed titles and error texts are printed exactly as written.
    console = Console(emoji=False, markup=False, highlight=False)
    if console.is_terminal:
        summary = _with_progress_bar(console, store, feeds, parser)
    else:
        summary = _with_plain_lines(store, feeds, parser)
    store.flush()
    for line in summary_lines(summary):
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
    console: Console, store: Store, feeds: Sequence[Feed], parser: FeedParser
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
            progress.update(task, completed=done, last=outcome.title[:40])

        return asyncio.run(refresh_feeds(store, feeds, on_progress=on_progress, parser=parser))


def _with_plain_lines(store: Store, feeds: Sequence[Feed], parser: FeedParser) -> RefreshSummary:
    def on_progress(outcome: FeedOutcome, done: int, total: int) -> None:
        detail = f"{outcome.new} new" if outcome.status != "failed" else (outcome.error or "")
        sys.stdout.write(f"[{done}/{total}] {outcome.status}: {outcome.title} ({detail})\n")

    return asyncio.run(refresh_feeds(store, feeds, on_progress=on_progress, parser=parser))


def summary_lines(summary: RefreshSummary) -> list[str]:
    """The summary, one plain (sanitised) line each: the totals, then every failure."""
    lines = [f"Refreshed {len(summary.outcomes)} feeds: {summary.describe()}."]
    for failure in sorted(summary.failed, key=lambda o: o.title.lower()):
        lines.append(f"  failed: {clean_line(failure.title)}: {clean_line(failure.error)}")
    return lines
