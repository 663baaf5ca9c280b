"""Snapshots of issue 15's behaviour items: a failing feed's view, the confirm dialog with
its own keys, and the footer at 80 columns on a feed row (? and q kept).

After a deliberate UI change: `pytest tests/snapshots/test_snapshots_behaviour.py --snapshot-update`,
then look at the new SVGs in tests/snapshots/__snapshots__/test_snapshots_behaviour/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import NOW
from tui_reader.app import TuiReader
from tui_reader.demo_library import populate
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.views import View


@pytest.fixture
def demo_store(tmp_path: Path, fixed_clock: datetime) -> Iterator[Store]:
    store = Store.open(tmp_path / "demo")
    populate(store, NOW)
    try:
        yield store
    finally:
        store.close()


def _go_to_feed(feed_id: str, title: str, *, focus_sidebar: bool) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen)
        view = View("feed", feed_id, label=title)
        if focus_sidebar:
            screen.sidebar.focus()
            screen.sidebar.move_to(view)
        else:
            screen.go_to(view)
        await pilot.pause(0.3)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_failing_feed_view(snap_compare: Any, demo_store: Store, size: tuple[int, int]) -> None:
    feed, _ = demo_store.add_feed("https://gone.example.com/feed.xml", "Gone Gazette", "News")
    demo_store.record_fetch(feed.id, ok=True, when=NOW - timedelta(days=9))
    for days in (3, 2, 1):
        demo_store.record_fetch(
            feed.id, ok=False, when=NOW - timedelta(days=days), error="HTTP 410 Gone"
        )
    run_before = _go_to_feed(feed.id, feed.title, focus_sidebar=False)
    assert snap_compare(TuiReader(demo_store), terminal_size=size, run_before=run_before)


def test_confirm_dialog_shows_its_own_keys(snap_compare: Any, demo_store: Store) -> None:
    feed = demo_store.feeds()[0]
    select = _go_to_feed(feed.id, feed.title, focus_sidebar=True)

    async def run_before(pilot: Pilot[None]) -> None:
        await select(pilot)
        await pilot.press("d")
        await pilot.pause(0.3)

    assert snap_compare(TuiReader(demo_store), terminal_size=(80, 24), run_before=run_before)


def test_footer_at_80_columns_on_a_feed(snap_compare: Any, demo_store: Store) -> None:
    feed = demo_store.feeds()[0]
    run_before = _go_to_feed(feed.id, feed.title, focus_sidebar=True)
    assert snap_compare(TuiReader(demo_store), terminal_size=(80, 24), run_before=run_before)
