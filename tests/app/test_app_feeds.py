"""Pilot tests for subscriptions inside the reader: refresh, add, rename, move, unsubscribe."""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tests.pilot_helpers import MessageLog, settle
from tests.unit.test_refresh import Served, generate, serve, stop
from tui_reader.app import TuiReader
from tui_reader.demo_library import populate
from tui_reader.feeds import parse_pool
from tui_reader.feeds import refresh as refresh_module
from tui_reader.feeds.refresh import RefreshSummary, refresh_feeds
from tui_reader.messages import RefreshFinished
from tui_reader.screens.add_feed import AddFeedScreen
from tui_reader.screens.dialogs import ConfirmScreen, PromptScreen
from tui_reader.screens.feed_health import FeedHealthScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


@pytest.fixture
def served_corpus(tmp_path: Path) -> Served:
    root = tmp_path / "corpus"
    generate(root, 60, 20)
    served = serve(root, "--latency-ms", "40")
    yield served  # type: ignore[misc]
    stop(served)


def subscribed_to(served: Served, library: Path) -> Store:
    """A library subscribed to every feed of a served corpus (nothing fetched yet)."""
    store = Store.open(library)
    for url in (served.root / "urls").read_text().split():
        if url.startswith("http"):
            store.add_feed(url, "", "Bench")
    return store


async def test_refresh_keeps_navigation_responsive(served_corpus: Served, tmp_path: Path) -> None:
    store = subscribed_to(served_corpus, tmp_path / "lib")
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            # The UI's event loop must keep turning while feeds arrive: a timer that should
            # tick every 20 ms records the longest gap between its ticks.
            ticks: list[float] = []
            timer = app.set_interval(0.02, lambda: ticks.append(time.monotonic()))
            screen.action_refresh_all()
            assert screen.refreshing
            await settle(pilot, lambda: not screen.refreshing)
            timer.stop()
            gaps = [b - a for a, b in itertools.pairwise(ticks)]
            assert len(ticks) > 10
            # A freeze (saving or parsing on the UI loop) shows as gaps of seconds; 1.5 s
            # leaves room for a loaded machine, where 0.5 s was seen without any freeze.
            assert max(gaps) < 1.5, f"the UI stalled for {max(gaps):.2f} s during refresh"
            assert len(store) == 60 * 20
            label = str(screen.sidebar.node_for("all:").label)
            assert label == f"All {60 * 20}"
            await settle(
                pilot,
                lambda: any("Refresh finished" in (n.title or "") for n in log.notifications),
            )
            assert len(screen.article_list.articles) == 60 * 20
    finally:
        store.close()


async def test_add_feed_dialog_subscribes(served_corpus: Served, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    url = next(u for u in (served_corpus.root / "urls").read_text().split() if u.startswith("http"))
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            await pilot.press("a")
            assert isinstance(app.screen, AddFeedScreen)
            app.screen.query_one("#add-url", Input).value = url
            app.screen.query_one("#add-category", Input).value = "New"
            await pilot.press("enter")
            # The dialog stays open until the feed is checked and subscribed.
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await settle(pilot, lambda: len(store.feeds()) == 1 and len(store) == 20)
            await pilot.pause(0.2)
            assert screen.sidebar.node_for("category:New") is not None
            # A second subscription to the same feed is refused politely.
            await pilot.press("a")
            app.screen.query_one("#add-url", Input).value = url
            await pilot.press("enter")
            await settle(
                pilot, lambda: any("Already subscribed" in n.message for n in log.notifications)
            )
            assert len(store.feeds()) == 1
    finally:
        store.close()


async def test_add_feed_failure_is_reported(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            await pilot.press("a")
            app.screen.query_one("#add-url", Input).value = "javascript:alert(1)"
            await pilot.press("enter")
            # The dialog stays open, the error under the address, the address kept.
            dialog = app.screen
            assert isinstance(dialog, AddFeedScreen)
            error = dialog.query_one("#add-error", Static)
            await settle(pilot, lambda: "Cannot subscribe" in str(error.render()))
            assert isinstance(app.screen, AddFeedScreen)
            assert dialog.query_one("#add-url", Input).value == "javascript:alert(1)"
            assert store.feeds() == []
    finally:
        store.close()


async def go_to_first_feed(pilot: Pilot[None], screen: MainScreen, category: str) -> None:
    node = screen.sidebar.node_for(f"category:{category}")
    while screen.sidebar.cursor_node is not node:
        await pilot.press("j")
    await pilot.press("l", "j")


async def test_rename_move_and_unsubscribe(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await go_to_first_feed(pilot, screen, "Tech")
        feed = screen.selected_feed()
        assert feed is not None and feed.title == "Alpha"

        await pilot.press("e")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "Alpha [renamed]"
        await pilot.press("enter")
        assert store.feed(feed.id).title == "Alpha [renamed]"  # type: ignore[union-attr]

        await pilot.press("c")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "Moved"
        await pilot.press("enter")
        assert store.feed(feed.id).category == "Moved"  # type: ignore[union-attr]
        assert screen.sidebar.node_for("category:Moved") is not None
        assert screen.selected_feed() is not None

        articles_before = len(store)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: nothing happens
        assert store.feed(feed.id) is not None
        await pilot.press("d")
        await pilot.press("y")
        assert store.feed(feed.id) is None
        assert len(store) == articles_before - 6
        await pilot.pause()
        assert screen.sidebar.node_for("category:Moved") is None


async def test_feed_keys_only_work_on_feed_rows(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e", "d", "c")  # on "All": nothing opens
        assert isinstance(app.screen, MainScreen)


async def test_feed_health_lists_failures_first(store: Store) -> None:
    failing = store.feeds()[1]
    store.record_fetch(failing.id, ok=False, error="HTTP 404 Not Found")
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("H")
        assert isinstance(app.screen, FeedHealthScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        first_row = [str(cell) for cell in table.get_row_at(0)]
        assert first_row[0] == failing.title
        assert "HTTP 404 Not Found" in first_row
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        # The failing feed is marked in the sidebar, once its category is open.
        screen = app.screen
        await go_to_first_feed(pilot, screen, failing.category)
        label = str(screen.sidebar.node_for(f"feed:{failing.id}").label)
        assert label.startswith("⚠")


async def test_the_demos_made_up_feeds_are_not_fetched(tmp_path: Path) -> None:
    """`r` in the demo explains instead of reporting twelve unreachable feeds; a real
    feed added to the demo is still refreshed."""
    store = Store.open(tmp_path / "demo")
    populate(store)
    started: list[list[str]] = []
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            screen.feeds.run_refresh = lambda feeds: started.append([f.id for f in feeds])  # type: ignore[method-assign]
            await pilot.press("r")
            await settle(pilot, lambda: any("made up" in n.message for n in log.notifications))
            assert started == [] and not screen.refreshing
            assert all(f.last_error is None for f in store.feeds())
            real, _ = store.add_feed("http://127.0.0.1:9/feed.xml", "Real", "Tech")
            screen.feeds.start_refresh(store.feeds(), "all feeds")
            assert started == [[real.id]]
    finally:
        store.close()


@pytest.mark.skipif(not parse_pool.pool_is_possible(), reason="no process pool here")
async def test_the_readers_refresh_parses_in_processes(
    served_corpus: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inside the reader `sys.stderr` is Textual's capture: the pool must start anyway
    (it once fell back to threads there, silently), and a new feed's bodies, written by
    the parser processes, must show."""
    pools: list[bool] = []
    real_close = parse_pool.FeedParser.close

    def close(parser: parse_pool.FeedParser) -> None:
        pools.append(parser._pool is not None)
        real_close(parser)

    monkeypatch.setattr(parse_pool.FeedParser, "close", close)
    store = subscribed_to(served_corpus, tmp_path / "lib")
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            screen.action_refresh_all()
            await settle(pilot, lambda: not screen.refreshing)
            assert pools == [True]
            assert len(store) == 60 * 20
            assert all(store.body(a.id) for a in store.articles()[:50])
    finally:
        store.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A feed URL whose server accepts the connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections wait in the backlog: never accepted, never answered
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    finally:
        listener.close()


def test_refresh_feeds_stops_when_cancelled(silent_server: str, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    try:
        store.add_feed(silent_server, "Silent", "Tech")
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        started = time.monotonic()
        summary = asyncio.run(refresh_feeds(store, store.feeds(), cancel=cancel))
        assert time.monotonic() - started < 3
        assert summary.cancelled and summary.outcomes == []
    finally:
        store.close()


async def test_quitting_cancels_the_refresh(
    silent_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh's thread ends soon after the app quits (Textual does not wait for it)."""
    ended: list[RefreshSummary] = []

    async def watched(*args: Any, **kwargs: Any) -> RefreshSummary:
        summary = await refresh_feeds(*args, **kwargs)
        ended.append(summary)
        return summary

    monkeypatch.setattr(refresh_module, "refresh_feeds", watched)
    store = Store.open(tmp_path / "lib")
    store.add_feed(silent_server, "Silent", "Tech")
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await pilot.press("r")
            assert screen.refreshing
            await pilot.pause(0.3)
        deadline = time.monotonic() + 5
        while not ended and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ended and ended[0].cancelled
        # A cancelled refresh (the app is closing) reports nothing.
        assert log.of_type(RefreshFinished) == []
    finally:
        store.close()
