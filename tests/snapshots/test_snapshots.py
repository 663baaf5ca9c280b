"""Snapshot tests of the main views at fixed sizes, on the demo library at a fixed time.

After a deliberate UI change: `pytest tests/snapshots/test_snapshots.py --snapshot-update`, then
look at the new SVGs in tests/snapshots/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import NOW
from tui_reader.app import TuiReader
from tui_reader.demo_library import populate
from tui_reader.models import NewArticle
from tui_reader.store import Store


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


def _folders_store(path: Path) -> Store:
    """Long feed names with big counts, and folders nested two deep."""
    store = Store.open(path)
    feeds = (
        ("The Extraordinarily Long Feed Name Weekly", "News", 50),
        ("Ko Notes", "News", 3),
        ("Tech Daily", "Tech", 4),
        ("Python Weekly Digest of Everything", "Tech/Python", 12),
        ("Async Notes", "Tech/Python/Async", 2),
        ("Rust Notes", "Tech/Rust", 1),
    )
    for index, (title, category, count) in enumerate(feeds):
        feed, _ = store.add_feed(f"https://f{index}.example.com/feed", title, category)
        store.merge_articles(
            feed.id,
            [
                NewArticle(
                    f"{index}-{i}",
                    f"{title.split()[0]} story {i}: what happened and why it matters",
                    f"https://f{index}.example.com/{i}",
                    "",
                    NOW - timedelta(days=i * 45),
                    "<p>x</p>",
                )
                for i in range(count)
            ],
            NOW,
        )
    return store


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_sidebar_long_names_and_nested_folders(
    snap_compare: Any, tmp_path: Path, fixed_clock: datetime, size: tuple[int, int]
) -> None:
    # Open News (a long name with 50), then Tech and its Python folder.
    store = _folders_store(tmp_path / "folders")
    keys = ["j", "j", "j", "j", "l", "j", "j", "j", "l", "j", "l"]
    try:
        assert snap_compare(TuiReader(store), terminal_size=size, press=keys)
    finally:
        store.close()


def test_narrow_after_a_saved_width_change(snap_compare: Any, demo_store: Store) -> None:
    # Widths chosen at 120x40 (a wide sidebar, a wide list), then the reader opens at
    # 80x24: every pane still fits, the list keeps its dates, the reading pane its text.
    demo_store.set_setting("layout", {"sidebar": 40, "list": 75})
    assert snap_compare(
        TuiReader(demo_store), terminal_size=(80, 24), press=["enter", "j", "enter"]
    )


TABLES_BODY = (
    "<p>Launches this month:</p>"
    "<table><thead><tr><th>Date</th><th>Vehicle</th><th>Payload</th><th>Orbit</th></tr>"
    "</thead><tbody>"
    "<tr><td>2026-11-02</td><td>Falcon 9 Block 5</td><td>Starlink Group 12-7</td>"
    "<td>LEO</td></tr>"
    "<tr><td>2026-11-09</td><td>Electron</td><td>Earth observation pair</td>"
    "<td>SSO</td></tr></tbody></table>"
    "<p>A small table still fits:</p>"
    "<table><tr><th>Site</th><th>Count</th></tr><tr><td>KSC</td><td>3</td></tr>"
    "<tr><td>Mahia</td><td>1</td></tr></table>"
)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_table_in_an_article(
    snap_compare: Any, tmp_path: Path, fixed_clock: datetime, size: tuple[int, int]
) -> None:
    store = Store.open(tmp_path / "tables")
    feed, _ = store.add_feed("https://launch.example.com/feed", "Launch Log", "Space")
    store.merge_articles(
        feed.id,
        [
            NewArticle(
                "t", "November launches", "https://launch.example.com/t", "", NOW, TABLES_BODY
            )
        ],
        NOW,
    )
    try:
        assert snap_compare(TuiReader(store), terminal_size=size, press=["enter", "enter"])
    finally:
        store.close()
