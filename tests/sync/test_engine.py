"""The sync engine against a real Miniflux 2.2.6, through both of its APIs (REST and
Google Reader). The server's truth is read with the REST API and the API key (`admin`),
so a Google Reader test cannot pass by agreeing with itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui_reader.models import Article
from tui_reader.store import Store
from tui_reader.sync.engine import SyncEngine, SyncReport
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer, Item, unique
from .test_clients import KINDS, connect, rest_id

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "library")
    try:
        yield opened
    finally:
        opened.close()


def bind(store: Store, kind: str, server: MinifluxServer) -> None:
    user = server.username if kind == "greader" else ""
    store.sync.bind(kind, server.url, user, "")


def sync(store: Store, kind: str, server: MinifluxServer) -> SyncReport:
    client = connect(kind, server)
    try:
        report = SyncEngine(store, client).run()
    finally:
        client.close()
    assert report.error is None, report.error
    return report


def server_feed(admin: MinifluxClient, feeds: FeedServer, count: int = 3, category: str = ""):
    """A feed with `count` items subscribed on the server (by someone else: the admin)."""
    name = unique("feed")
    items = [
        Item(guid=f"{name}-{i}", title=f"Item {i}", published=BASE - timedelta(days=i))
        for i in range(count)
    ]
    url = feeds.publish(name, f"Feed {name}", items)
    return admin.subscribe(url, category=category or unique("Cat"))


def local_articles(store: Store) -> dict[str, Article]:
    """Title -> article."""
    return {a.title: a for a in store.articles()}


def remote_id(store: Store, article: Article) -> str:
    """The REST id of a local article, from the mapping the engine saved."""
    return rest_id(store.sync.load_mapping()["articles"][article.id])


def truth(admin: MinifluxClient, store: Store, article: Article) -> tuple[bool, bool]:
    """(read, starred) of the article on the server."""
    entry = next(admin.entries([remote_id(store, article)]))
    return entry.read, entry.starred


# --------------------------------------------------------------------------- pull


def test_server_subscription_appears_locally_with_its_category(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    remote = server_feed(admin, feed_server, count=3)
    bind(store, kind, miniflux_server)
    report = sync(store, kind, miniflux_server)

    [feed] = store.feeds()
    assert (feed.url, feed.title, feed.category) == (remote.url, remote.title, remote.category)
    articles = local_articles(store)
    assert set(articles) == {"Item 0", "Item 1", "Item 2"}
    assert articles["Item 0"].published == BASE
    assert "Body." in store.body(articles["Item 0"].id)
    assert report.new == 3 and report.feeds_added == 1
    assert not any(store.is_read(a.id) for a in articles.values())

    # A second sync with nothing new adds nothing and pushes nothing.
    again = sync(store, kind, miniflux_server)
    assert (again.new, again.pushed, again.pulled, again.feeds_added) == (0, 0, 0, 0)
    assert len(store) == 3

    # Renamed and moved on the server: the server wins; unsubscribed there: gone here.
    admin.rename_feed(remote.id, "Renamed")
    admin.move_feed(remote.id, "Elsewhere")
    sync(store, kind, miniflux_server)
    [feed] = store.feeds()
    assert (feed.title, feed.category) == ("Renamed", "Elsewhere")
    admin.unsubscribe(remote.id)
    assert sync(store, kind, miniflux_server).feeds_removed == 1
    assert store.feeds() == []


def test_server_flags_reach_the_library(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    server_feed(admin, feed_server, count=3)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    articles = local_articles(store)
    first, second = articles["Item 0"], articles["Item 1"]

    admin.set_read([remote_id(store, first)], True)
    admin.set_starred([remote_id(store, second)], True)
    report = sync(store, kind, miniflux_server)

    assert store.is_read(first.id) and not store.is_starred(first.id)
    assert store.is_starred(second.id) and not store.is_read(second.id)
    assert report.pulled == 2
    assert store.sync.waiting() == 0  # the server's changes are not echoed back


# --------------------------------------------------------------------------- push


def test_local_flags_reach_the_server_and_a_double_push_changes_nothing(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    server_feed(admin, feed_server, count=3)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    articles = local_articles(store)
    first, second = articles["Item 0"], articles["Item 1"]

    store.set_read([first.id])
    store.set_starred([second.id])
    assert store.sync.waiting() == 2

    # The server acknowledges, but the acknowledgement is lost (a crash right after the
    # push): the records stay and are pushed again. Miniflux 2.2.6's Google Reader API
    # toggles, so a blind second push would undo the first.
    monkeypatch.setattr(store.sync, "ack", lambda seqs: None)
    sync(store, kind, miniflux_server)
    assert truth(admin, store, first) == (True, False)
    assert truth(admin, store, second) == (False, True)
    assert store.sync.waiting() == 2
    monkeypatch.undo()

    report = sync(store, kind, miniflux_server)
    assert report.pushed == 2 and store.sync.waiting() == 0
    assert truth(admin, store, first) == (True, False)
    assert truth(admin, store, second) == (False, True)
    assert truth(admin, store, articles["Item 2"]) == (False, False)
    assert store.is_read(first.id) and store.is_starred(second.id)

    # Back again: unread and unstarred.
    store.set_read([first.id], False)
    store.set_starred([second.id], False)
    sync(store, kind, miniflux_server)
    assert truth(admin, store, first) == (False, False)
    assert truth(admin, store, second) == (False, False)


def test_both_sides_changed_offline_follow_the_stated_rule(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    """A local change not yet pushed wins for that article and flag; for everything
    else the server wins."""
    server_feed(admin, feed_server, count=4)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    a, b, c, d = (local_articles(store)[f"Item {i}"] for i in range(4))

    # Offline, locally: A read, B starred, C read then unread again (the latest counts).
    store.set_read([a.id])
    store.set_starred([b.id])
    store.set_read([c.id])
    store.set_read([c.id], False)
    # Meanwhile on the server: A starred, B read, C read, D read.
    admin.set_starred([remote_id(store, a)], True)
    admin.set_read([remote_id(store, b), remote_id(store, c), remote_id(store, d)], True)

    sync(store, kind, miniflux_server)
    expected = {a: (True, True), b: (True, True), c: (False, False), d: (True, False)}
    for article, state in expected.items():
        assert (store.is_read(article.id), store.is_starred(article.id)) == state, article.title
        assert truth(admin, store, article) == state, article.title
    assert store.sync.waiting() == 0


def test_subscription_changes_made_locally_act_on_the_server(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    remote = server_feed(admin, feed_server, count=1)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    [feed] = store.feeds()
    store.update_feed(feed.id, title="Mine", category="Reading")
    url = feed_server.publish(unique("new"), "A new one", [Item("n-1", "New item", BASE)])
    added, _ = store.add_feed(url, category="Fresh")
    sync(store, kind, miniflux_server)

    by_url = {f.url: f for f in admin.feeds()}
    assert (by_url[remote.url].title, by_url[remote.url].category) == ("Mine", "Reading")
    assert by_url[url].category == "Fresh"
    assert "New item" in local_articles(store)  # pulled through the server

    store.remove_feed(added.id)
    sync(store, kind, miniflux_server)
    assert url not in {f.url for f in admin.feeds()}
    assert [f.title for f in store.feeds()] == ["Mine"]


def test_mark_all_uses_the_servers_own_call(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    """Mark-all is sent as a mark-all up to a time, so articles the library never
    downloaded are included and newer ones are not."""
    remote = server_feed(admin, feed_server, count=3)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    [feed] = store.feeds()
    # Items 0 and 1 are at or before the cut; item 2 is older still. Item 0 is newest.
    cut = int((BASE - timedelta(hours=12)).timestamp())
    store.sync.queue("mark_all", feed=feed.id, category=None, before=cut)
    sync(store, kind, miniflux_server)
    states = {e.title: e.read for e in admin.entries_since(None) if e.feed_id == remote.id}
    assert states == {"Item 0": False, "Item 1": True, "Item 2": True}
    articles = local_articles(store)
    assert not store.is_read(articles["Item 0"].id) and store.is_read(articles["Item 1"].id)


def test_a_change_to_an_entry_gone_from_the_server_does_not_block_the_outbox(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    gone = server_feed(admin, feed_server, count=2)
    server_feed(admin, feed_server, count=1)
    bind(store, kind, miniflux_server)
    sync(store, kind, miniflux_server)
    [gone_feed] = [f for f in store.feeds() if f.url == gone.url]
    gone_article = next(a for a in store.articles() if a.feed_id == gone_feed.id)
    kept = next(a for a in store.articles() if a.feed_id != gone_feed.id)
    store.set_starred([gone_article.id])
    store.set_read([kept.id])
    admin.unsubscribe(gone.id)  # on another device, meanwhile

    report = sync(store, kind, miniflux_server)
    assert store.sync.waiting() == 0
    assert report.feeds_removed == 1
    assert truth(admin, store, kept) == (True, False)
