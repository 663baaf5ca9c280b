"""Snapshot tests of the main views at fixed sizes, on the demo library at a fixed time.

After a deliberate UI change: `pytest tests/test_snapshots.py --snapshot-update`, then
look at the new SVGs in tests/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tui_reader.app import TuiReader
from tui_reader.demo_library import populate
from tui_reader.models import NewArticle
from tui_reader.store import Store

from .conftest import NOW


@pytest.fixture
def demo_store(tmp_path: Path, fixed_clock: datetime) -> Iterator[Store]:
    store = Store.open(tmp_path / "demo")
    populate(store, NOW)
    try:
        yield store
    finally:
        store.close()


def test_main_view_wide(snap_compare: Any, demo_store: Store) -> None:
    # Show All, open the newest article: all three panes filled.
    assert snap_compare(TuiReader(demo_store), terminal_size=(120, 40), press=["enter", "enter"])


def test_main_view_narrow(snap_compare: Any, demo_store: Store) -> None:
    assert snap_compare(
        TuiReader(demo_store), terminal_size=(80, 24), press=["enter", "j", "enter"]
    )


def test_category_open_with_feeds(snap_compare: Any, demo_store: Store) -> None:
    # Down to the first category, open it, show its first feed.
    keys = ["j", "j", "j", "j", "l", "j", "enter"]
    assert snap_compare(TuiReader(demo_store), terminal_size=(120, 40), press=keys)


def test_help_screen(snap_compare: Any, demo_store: Store) -> None:
    assert snap_compare(TuiReader(demo_store), terminal_size=(120, 40), press=["question_mark"])


def test_empty_library_welcome(snap_compare: Any, tmp_path: Path, fixed_clock: datetime) -> None:
    store = Store.open(tmp_path / "empty")
    try:
        assert snap_compare(TuiReader(store), terminal_size=(120, 40))
    finally:
        store.close()


def test_hostile_titles_render_literally(
    snap_compare: Any, tmp_path: Path, fixed_clock: datetime
) -> None:
    store = Store.open(tmp_path / "hostile")
    feed, _ = store.add_feed("https://x.example.com/feed", "[bold red]Feed[/] ␛[31m", "[b]News")
    titles = [
        "[@click=app.quit]Click me[/]",
        "[bold]not bold[/bold] :smile: list[str]",
        "invoice_␛fdp.exe and a very long title that must be cut to exactly one line " * 3,
    ]
    store.merge_articles(
        feed.id,
        [
            NewArticle(f"k{i}", title, f"https://x.example.com/{i}", "[i]me[/i]", NOW, "<p>x</p>")
            for i, title in enumerate(titles)
        ],
        NOW,
    )
    try:
        assert snap_compare(TuiReader(store), terminal_size=(120, 30), press=["enter", "enter"])
    finally:
        store.close()
