"""The reader on a library bound to a real Miniflux 2.2.6 (issue 17): r syncs, a flag
change reaches the server by itself, an unreachable server is a state and not a crash,
A sends the server's mark-all, and 10,000 entries on the server sync and open.

The server's truth is read with the REST API and the API key (`admin`)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.pilot_helpers import MessageLog, settle
from tests.support.notify_helpers import recorder
from tui_reader.__main__ import main
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.models import NewArticle
from tui_reader.screens.add_feed import AddFeedScreen
from tui_reader.screens.dialogs import ConfirmScreen, PromptScreen
from tui_reader.screens.feed_health import FeedHealthScreen
from tui_reader.screens.main import MainScreen, syncing
from tui_reader.store import Store
from tui_reader.sync.engine import SyncEngine
from tui_reader.sync.miniflux import MinifluxClient
from tui_reader.views import View

from ..support.miniflux_server import MinifluxServer, free_port
from .conftest import FeedServer, Item, unique

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def quick_pushes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader waits 2 s (30 s after a failure) before pushing: shortened here."""
    monkeypatch.setattr(syncing, "PUSH_DELAY", 0.1)
    monkeypatch.setattr(syncing, "RETRY_DELAY", 0.3)


def server_feed(admin: MinifluxClient, feeds: FeedServer, count: int) -> tuple[str, str]:
    """A feed with `count` items (a day apart, newest BASE) subscribed on the server;
    returns (its remote id, its category)."""
    name = unique("ui")
    items = [Item(f"{name}-{i}", f"Item {i}", BASE - timedelta(days=i)) for i in range(count)]
    category = unique("Cat")
    remote = admin.subscribe(feeds.publish(name, f"Feed {name}", items), category=category)
    return remote.id, category


def engine_sync(store: Store, server: MinifluxServer) -> None:
    client = MinifluxClient(server.url, token=server.api_key)
    try:
        assert SyncEngine(store, client).run().error is None
    finally:
        client.close()


def remote_of(store: Store, article_id: str) -> str:
    return store.sync.load_mapping()["articles"][article_id]


def state(screen: MainScreen) -> str:
    return str(screen.sidebar.border_subtitle or "")


async def test_r_syncs_and_shows_what_changed_on_the_server(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, tmp_path: Path
):
    _, category = server_feed(admin, feed_server, 3)
    command, calls = recorder(tmp_path)  # the refresh's notification hook runs for a sync
    app = TuiReader(bound, Config(notify="command", notify_command=command))
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert state(screen) == "not synced yet"
        await pilot.press("r")  # offered on a bound library with no feed yet
        await settle(pilot, lambda: not screen.refreshing)
        assert [a.title for a in screen.article_list.articles] == ["Item 0", "Item 1", "Item 2"]
        assert [f.category for f in bound.feeds()] == [category]
        assert state(screen) == "synced just now"
        assert any(n.title == "Sync finished" for n in log.notifications)
        await settle(pilot, lambda: calls())
        assert calls() == [["3", "1", "Item 0", "Item 1", "Item 2"]]

        # Read and starred on the server (the phone): the next r brings it here.
        first = screen.article_list.articles[0]
        admin.set_read([remote_of(bound, first.id)], True)
        admin.set_starred([remote_of(bound, first.id)], True)
        await pilot.press("r")
        await settle(pilot, lambda: not screen.refreshing)
        assert bound.is_read(first.id) and bound.is_starred(first.id)
        assert screen.unread_total == 2
        await pilot.pause(0.3)
        assert len(calls()) == 1  # nothing new: nothing said


async def test_m_reaches_the_server_by_itself(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, miniflux_server: MinifluxServer
):
    server_feed(admin, feed_server, 3)
    engine_sync(bound, miniflux_server)
    app = TuiReader(bound)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.article_list.focus()
        await pilot.pause()
        article = screen.article_list.highlighted
        assert article is not None
        await pilot.press("m", "s")
        assert bound.is_read(article.id) and bound.is_starred(article.id)
        # No key pressed: the push follows the change by itself.
        await settle(pilot, lambda: bound.sync.waiting() == 0 and not screen.feeds.sync.running)
        remote = remote_of(bound, article.id)
        assert remote not in admin.unread_ids() and remote in admin.starred_ids()
        assert state(screen).startswith("synced")


async def test_an_unreachable_server_is_a_state_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("TUI_READER_SECRET", "token")
    store = Store.open(tmp_path / "lib")
    try:
        store.sync.bind("miniflux", f"http://127.0.0.1:{free_port()}", "", "")
        feed, _ = store.add_feed("http://127.0.0.1:9/feed.xml")
        store.merge_articles(
            feed.id,
            [NewArticle(f"k{i}", f"Kept {i}", "", "", BASE - timedelta(hours=i)) for i in range(3)],
            BASE,
        )
        ids = [a.id for a in store.articles()]
        store.sync.save_mapping(  # as a sync left it
            {
                "cursor": None,
                "feeds": {feed.id: "7"},
                "articles": {a: f"7{i}" for i, a in enumerate(ids)},
            }
        )
        store.sync.ack(r["seq"] for r in store.sync.pending())  # the subscribe record
        store.set_read([store.articles()[2].id])  # waiting from an earlier session
        app = TuiReader(store)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            assert len(screen.article_list.articles) == 3  # opened from the library
            await settle(pilot, lambda: state(screen) == "offline: 1 waiting")
            await settle(pilot, lambda: not screen.feeds.sync.running)
            tried = store.sync.account()["last_attempt"]  # type: ignore[index]
            screen.article_list.focus()
            await pilot.press("m")
            assert state(screen) == "offline: 2 waiting"  # at once, before a try
            await settle(  # and pushed by itself, which fails the same way
                pilot,
                lambda: (
                    store.sync.account()["last_attempt"] != tried  # type: ignore[index]
                    and not screen.feeds.sync.running
                ),
            )
            assert state(screen) == "offline: 2 waiting"
            await pilot.press("r")  # a sync fails the same way, and says so once
            await settle(pilot, lambda: not screen.refreshing)
            assert state(screen) == "offline: 2 waiting"
            await pilot.press("H")
            assert isinstance(app.screen, FeedHealthScreen)
            shown = str(app.screen.query_one("#health-account", Static).render())
            assert "2 changes waiting" in shown and "cannot connect to 127.0.0.1" in shown
        assert [r["kind"] for r in store.sync.pending()] == ["flag", "flag"]
        assert store.is_read(store.articles()[0].id)
    finally:
        store.close()


async def test_a_sends_the_servers_mark_all_for_the_feed(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, miniflux_server: MinifluxServer
):
    remote_feed, _ = server_feed(admin, feed_server, 4)
    engine_sync(bound, miniflux_server)
    # Two older entries the reader never downloaded, and one newer than anything shown.
    miniflux_server.psql(
        "INSERT INTO entries (user_id, feed_id, hash, published_at, title, url, content,"
        " status, changed_at, author) SELECT f.user_id, f.id, 'old-' || g,"
        f" timestamptz '{BASE.isoformat()}' - (g + 10) * interval '1 day', 'Old ' || g,"
        " 'http://127.0.0.1:9/old/' || g, '', 'unread', now(), ''"
        f" FROM feeds f, generate_series(1, 2) g WHERE f.id = {int(remote_feed)};"
        "INSERT INTO entries (user_id, feed_id, hash, published_at, title, url, content,"
        " status, changed_at, author) SELECT f.user_id, f.id, 'newer',"
        f" timestamptz '{BASE.isoformat()}' + interval '1 hour', 'Newer',"
        " 'http://127.0.0.1:9/newer', '', 'unread', now(), ''"
        f" FROM feeds f WHERE f.id = {int(remote_feed)}"
    )
    feed = bound.feeds()[0]
    app = TuiReader(bound)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.go_to(View("feed", feed.id, label=feed.display_title))
        await pilot.pause()
        syncing.PUSH_DELAY = 60.0  # (put back by the fixture) to see what is queued
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        kinds = [r["kind"] for r in bound.sync.pending()]
        assert kinds == ["flag"] * 4 + ["mark_all"]
        syncing.PUSH_DELAY = 0.1
        screen.feeds.sync.push_soon()
        await settle(pilot, lambda: bound.sync.waiting() == 0 and not screen.feeds.sync.running)
    unread = {e.title for e in admin.entries_since(None) if e.feed_id == remote_feed and not e.read}
    assert unread == {"Newer"}  # the old ones were marked too; the unseen newer one not


def test_ten_thousand_entries_sync_and_open(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, miniflux_server: MinifluxServer
):
    """Four feeds of 2,500 entries (under the per-feed cap of 5,000), made in SQL."""
    remotes = [server_feed(admin, feed_server, 1)[0] for _ in range(4)]
    miniflux_server.psql(
        "INSERT INTO entries (user_id, feed_id, hash, published_at, title, url, content,"
        " status, changed_at, author) SELECT f.user_id, f.id, 'big-' || g,"
        f" timestamptz '{BASE.isoformat()}' - g * interval '1 minute', 'Big ' || g,"
        " 'http://127.0.0.1:9/big/' || f.id || '/' || g, '<p>Body ' || g || '</p>',"
        " 'unread', now(), '' FROM feeds f, generate_series(1, 2500) g"
        f" WHERE f.id IN ({', '.join(str(int(r)) for r in remotes)})"
    )
    db = bound.directory
    bound.close()  # `tui-reader refresh` takes the library's lock
    assert main(["--db", str(db), "refresh"]) == 0
    store = Store.open(db)
    try:
        assert len(store) == 4 * 2501

        async def opened() -> None:
            app = TuiReader(store)
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await pilot.pause()
                assert len(screen.article_list.articles) == 4 * 2501
                assert screen.unread_total == 4 * 2501

        asyncio.run(opened())
    finally:
        store.close()


async def test_quitting_during_a_sync_stops_it_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A server that accepts the connection and never answers: quitting cancels the
    request in flight (not an error of the account), instead of waiting a minute."""
    monkeypatch.setenv("TUI_READER_SECRET", "token")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    store = Store.open(tmp_path / "lib")
    try:
        store.sync.bind("miniflux", f"http://127.0.0.1:{listener.getsockname()[1]}", "", "")
        app = TuiReader(store)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await pilot.press("r")
            assert screen.feeds.sync.running == "sync" and state(screen) == "syncing…"
            await pilot.pause(0.3)  # the request is on its way
            quit_at = time.monotonic()
        while any(t.name == "sync-cancel" for t in threading.enumerate()):
            assert time.monotonic() - quit_at < 5, "the sync was not cancelled"
            await asyncio.sleep(0.05)
        assert store.sync.account()["last_error"] is None  # type: ignore[index]
    finally:
        store.close()
        listener.close()


async def test_add_rename_move_and_unsubscribe_act_on_the_server(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, miniflux_server: MinifluxServer
):
    keep, _ = server_feed(admin, feed_server, 2)
    drop, _ = server_feed(admin, feed_server, 2)
    engine_sync(bound, miniflux_server)
    mapping = bound.sync.load_mapping()["feeds"]
    local = {remote: feed for feed, remote in mapping.items()}
    name = unique("added")
    added_url = feed_server.publish(name, "Added feed", [Item(f"{name}-0", "Added 0", BASE)])
    new_category = unique("Moved")

    def server_feeds() -> dict[str, tuple[str, str]]:
        return {f.id: (f.title, f.category) for f in admin.feeds()}

    app = TuiReader(bound)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        sync = screen.feeds.sync
        screen.sidebar.move_to(View("feed", local[keep]))
        screen.sidebar.focus()
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "Renamed here"
        await pilot.press("enter")
        await pilot.press("c")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = new_category
        await pilot.press("enter")
        screen.sidebar.move_to(View("feed", local[drop]))
        await pilot.pause()
        await pilot.press("d", "y")
        assert bound.feed(local[drop]) is None
        await settle(pilot, lambda: bound.sync.waiting() == 0 and not sync.running)
        assert server_feeds()[keep] == ("Renamed here", new_category)
        assert drop not in server_feeds()

        # Add: checked here, subscribed on the server, its articles from the server.
        await pilot.press("a")
        assert isinstance(app.screen, AddFeedScreen)
        app.screen.query_one("#add-url", Input).value = added_url
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot, lambda: bound.sync.waiting() == 0 and not sync.running)
        await settle(pilot, lambda: any(a.title == "Added 0" for a in bound.articles()))
        assert any(f.url == added_url for f in admin.feeds())
        added = next(a for a in bound.articles() if a.title == "Added 0")
        assert bound.sync.load_mapping()["articles"][added.id]  # the server's entry
