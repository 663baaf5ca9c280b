"""`tui-reader refresh`: a progress bar on a terminal, plain lines when piped, a summary."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..models import Feed
from ..store import Store
from .refresh import FeedOutcome, RefreshSummary, refresh_feeds


def run_refresh(store: Store, feeds: Sequence[Feed]) -> RefreshSummary:
    # markup/emoji off: feed titles and error texts are printed exactly as written.
    console = Console(emoji=False, markup=False, highlight=False)
    if console.is_terminal:
        summary = _with_progress_bar(console, store, feeds)
    else:
        summary = _with_plain_lines(store, feeds)
    store.flush()
    print_summary(console, summary)
    return summary


def _with_progress_bar(console: Console, store: Store, feeds: Sequence[Feed]) -> RefreshSummary:
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

        return asyncio.run(refresh_feeds(store, feeds, on_progress=on_progress))


def _with_plain_lines(store: Store, feeds: Sequence[Feed]) -> RefreshSummary:
    def on_progress(outcome: FeedOutcome, done: int, total: int) -> None:
        detail = f"{outcome.new} new" if outcome.status != "failed" else (outcome.error or "")
        sys.stdout.write(f"[{done}/{total}] {outcome.status}: {outcome.title} ({detail})\n")

    return asyncio.run(refresh_feeds(store, feeds, on_progress=on_progress))


def print_summary(console: Console, summary: RefreshSummary) -> None:
    console.print(Text(f"Refreshed {len(summary.outcomes)} feeds: {summary.describe()}."))
    for failure in sorted(summary.failed, key=lambda o: o.title.lower()):
        console.print(Text(f"  failed: {failure.title}: {failure.error}"))
