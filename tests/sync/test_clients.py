"""The sync clients against a real Miniflux 2.2.6: the same tests for its REST API and its
Google Reader API. The server's truth is read through the REST API with the API key
(`admin`), so a greader test cannot pass by agreeing with itself."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui_reader.sync.base import (
    AuthError,
    RemoteEntry,
    ServerUnavailable,
    SyncClient,
    SyncError,
)
from tui_reader.sync.greader import LONG_ID, GReaderClient, long_id
from tui_reader.sync.http import HttpClient
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer, Item, unique

KINDS = ["miniflux", "greader"]
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def connect(kind: str, server: MinifluxServer, password: str | None = None) -> SyncClient:
    if kind == "miniflux":
        if password is None:
            return MinifluxClient(server.url, token=server.api_key)
        return MinifluxClient(server.url, user=server.username, password=password)
    return GReaderClient(server.url, user=server.username, password=password or server.password)


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, admin: MinifluxClient) -> Iterator[SyncClient]:
    made = connect(request.param, request.getfixturevalue("miniflux_server"))
    try:
        yield made
    finally:
        made.close()


def rest_id(entry_id: str) -> str:
    """A client's entry id as the REST API's decimal id."""
    return str(int(entry_id[len(LONG_ID) :], 16)) if entry_id.startswith(LONG_ID) else entry_id


def server_entry(admin: MinifluxClient, entry_id: str) -> RemoteEntry:
    return next(admin.entries([rest_id(entry_id)]))


def subscribe_feed(
    client: SyncClient, feeds: FeedServer, count: int = 3, category: str = ""
) -> tuple[str, list[RemoteEntry]]:
    """A new feed with `count` items (one a day, newest first) subscribed through
    `client`; returns its id and its entries as `client` sees them."""
    name = unique("feed")
    items = [
        Item(guid=f"{name}-{i}", title=f"Item {i}", published=BASE - timedelta(days=i))
        for i in range(count)
    ]
    url = feeds.publish(name, f"Feed {name}", items)
    feed = client.subscribe(url, category=category)
    mine = [e for e in client.entries_since(None) if e.feed_id == feed.id]
    assert len(mine) == count
    return feed.id, mine


# --------------------------------------------------------------------------- reading


def test_subscribe_lists_feed_with_its_category(client: SyncClient, feed_server: FeedServer):
    category = unique("Tech")
    url = feed_server.publish(unique("f"), "Feed \x1b[31mred\x1b[0m title", [])
    feed = client.subscribe(url, category=category)

    assert feed.url == url
    assert feed.category == category
    assert "\x1b" not in feed.title and "red" in feed.title  # untrusted text sanitised
    assert any(f.id == feed.id and f.category == category for f in client.feeds())
    assert category in [c.title for c in client.categories()]


def test_rename_move_unsubscribe(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    feed = client.subscribe(feed_server.publish(unique("f"), "Old name", []), category="One")
    client.rename_feed(feed.id, "New name")
    target = unique("Two")
    client.move_feed(feed.id, target)
    [seen] = [f for f in client.feeds() if f.id == feed.id]
    assert (seen.title, seen.category) == ("New name", target)
    [truth] = [f for f in admin.feeds() if f.url == feed.url]
    assert (truth.title, truth.category) == ("New name", target)

    client.unsubscribe(feed.id)
    assert not [f for f in admin.feeds() if f.url == feed.url]


def test_pull_entries_with_their_fields(client: SyncClient, feed_server: FeedServer):
    _, entries = subscribe_feed(client, feed_server, count=3)
    by_title = {e.title: e for e in entries}
    assert set(by_title) == {"Item 0", "Item 1", "Item 2"}
    newest = by_title["Item 0"]
    assert newest.published == BASE
    assert newest.url.startswith(feed_server.base)
    assert "Body." in newest.content_html
    assert not newest.read and not newest.starred
    assert {e.id for e in entries} <= client.unread_ids()
    assert client.server_time is not None  # the cursor for the next sync, server's clock
    assert abs(client.server_time - datetime.now(UTC)) < timedelta(minutes=1)
    # Fetching by id gives the same entries (the engine fetches contents in batches).
    assert {e.id for e in client.entries([e.id for e in entries])} == {e.id for e in entries}
    if isinstance(client, GReaderClient):
        assert all(e.id.startswith(LONG_ID) and len(e.id) == len(LONG_ID) + 16 for e in entries)


def test_entries_since_skips_older(client: SyncClient, feed_server: FeedServer):
    _, entries = subscribe_feed(client, feed_server, count=2)
    later = int(datetime.now(UTC).timestamp()) + 3600
    ids = {e.id for e in entries}
    assert not ids & {e.id for e in client.entries_since(later)}


# --------------------------------------------------------------------------- flags


def test_read_and_star_reach_the_server(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    _, entries = subscribe_feed(client, feed_server, count=3)
    first, second = entries[0].id, entries[1].id
    client.set_read([first, second], True)
    client.set_starred([first], True)
    assert server_entry(admin, first).read and server_entry(admin, second).read
    assert server_entry(admin, first).starred
    assert not server_entry(admin, entries[2].id).read

    client.set_read([second], False)
    client.set_starred([first], False)
    assert not server_entry(admin, second).read
    assert not server_entry(admin, first).starred


def test_changes_on_the_server_are_seen(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    _, entries = subscribe_feed(client, feed_server, count=2)
    target = entries[0]
    admin.set_read([rest_id(target.id)], True)
    admin.set_starred([rest_id(target.id)], True)

    assert target.id not in client.unread_ids()
    assert target.id in client.starred_ids()
    [fresh] = list(client.entries([target.id]))
    assert fresh.read and fresh.starred


def test_double_push_changes_nothing(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    """Miniflux 2.2.6's edit-tag and bookmark calls toggle: a repeated push (a retry
    after a lost acknowledgement) must leave the state as asked, not flip it back."""
    _, entries = subscribe_feed(client, feed_server, count=2)
    ids = [e.id for e in entries]
    for _ in range(2):
        client.set_read(ids, True)
        client.set_starred(ids, True)
    for entry_id in ids:
        truth = server_entry(admin, entry_id)
        assert truth.read and truth.starred
    assert client.set_starred(ids, True) == 0  # nothing differs: nothing sent
    for _ in range(2):
        client.set_read(ids, False)
        client.set_starred(ids, False)
    for entry_id in ids:
        truth = server_entry(admin, entry_id)
        assert not truth.read and not truth.starred


def test_mark_all_read_stops_at_the_given_time(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    feed_id, entries = subscribe_feed(client, feed_server, count=4)
    cutoff = int((BASE - timedelta(days=2)).timestamp())  # items 2 and 3 are that old
    client.mark_all_read(feed_id=feed_id, before=cutoff)
    read = {e.title for e in entries if server_entry(admin, e.id).read}
    assert read == {"Item 2", "Item 3"}


def test_mark_all_read_in_a_category(
    client: SyncClient, feed_server: FeedServer, admin: MinifluxClient
):
    category = unique("Cat")
    _, inside = subscribe_feed(client, feed_server, count=2, category=category)
    _, outside = subscribe_feed(client, feed_server, count=2, category=unique("Other"))
    [cat] = [c for c in client.categories() if c.title == category]
    client.mark_all_read(category_id=cat.id, before=int(BASE.timestamp()))
    assert all(server_entry(admin, e.id).read for e in inside)
    assert not any(server_entry(admin, e.id).read for e in outside)


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_password_is_one_clear_line(kind: str, miniflux_server: MinifluxServer):
    secret = "Wrong-Secret-5b1f"
    attempts = [connect(kind, miniflux_server, password=secret)]
    if kind == "miniflux":
        attempts.append(MinifluxClient(miniflux_server.url, token=secret))
    for made in attempts:
        with pytest.raises(AuthError) as caught:
            made.verify()
        message = str(caught.value)
        assert "\n" not in message
        assert "wrong" in message and "127.0.0.1" in message
        assert secret not in message and secret not in repr(made)
        assert caught.value.__cause__ is None  # nothing chained that could hold it
        made.close()


@pytest.mark.parametrize("kind", KINDS)
def test_server_down_is_server_unavailable(kind: str):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    made: SyncClient = (
        MinifluxClient(url, token="t0k3n-secret")
        if kind == "miniflux"
        else GReaderClient(url, user="u", password="t0k3n-secret")
    )
    with pytest.raises(ServerUnavailable) as caught:
        made.feeds()
    message = str(caught.value)
    assert "\n" not in message and f"127.0.0.1:{port}" in message
    assert "t0k3n-secret" not in message
    assert isinstance(caught.value, SyncError)
    made.close()


class _Failing(BaseHTTPRequestHandler):
    def _fail(self) -> None:
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = _fail

    def log_message(self, format: str, *args: object) -> None:
        pass


def _offline_client(kind: str, url: str, timeout: float = 60.0) -> SyncClient:
    http = HttpClient(timeout=timeout)
    if kind == "miniflux":
        return MinifluxClient(url, token="t0k3n-secret", http=http)
    return GReaderClient(url, user="u", password="t0k3n-secret", http=http)


@pytest.mark.parametrize("kind", KINDS)
def test_server_errors_and_silence_are_server_unavailable(kind: str):
    failing = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=failing.serve_forever, daemon=True)
    thread.start()
    silent = socket.socket()  # accepts connections (the kernel does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        made = _offline_client(kind, f"http://127.0.0.1:{failing.server_address[1]}")
        with pytest.raises(ServerUnavailable, match="answered 500"):
            made.feeds()
        made.close()
        made = _offline_client(kind, f"http://127.0.0.1:{silent.getsockname()[1]}", 0.3)
        with pytest.raises(ServerUnavailable, match="did not answer in time"):
            made.feeds()
        made.close()
    finally:
        failing.shutdown()
        failing.server_close()
        silent.close()


def test_long_id_forms():
    assert long_id("5000") == LONG_ID + "0000000000001388"  # decimal in, never read as hex
    assert long_id("-1") == LONG_ID + "ffffffffffffffff"
    assert long_id(LONG_ID + "00000000000000AB") == LONG_ID + "00000000000000ab"


def test_rest_changes_since_include_flag_changes(admin: MinifluxClient, feed_server: FeedServer):
    """Miniflux's REST API lists entries whose flags changed after a time: one call per
    sync finds what other devices did, instead of the whole unread and starred lists."""
    _, entries = subscribe_feed(admin, feed_server, count=3)
    time.sleep(1.1)  # the Date header has whole seconds: let the entries' second pass
    admin.verify()
    assert admin.server_time is not None
    cursor = int(admin.server_time.timestamp())
    admin.set_read([entries[0].id], True)
    admin.set_starred([entries[1].id], True)
    changed = {e.id: e for e in admin.entries_since(cursor)}
    assert set(changed) == {entries[0].id, entries[1].id}
    assert changed[entries[0].id].read and changed[entries[1].id].starred
