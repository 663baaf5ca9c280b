"""Miniflux REST: a sync takes flag changes from the entries `changed_after` reports and
checks them against the server's counts, instead of reading every unread entry (with its
content) again; when the counts disagree it reads the full lists (issue 17, speed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui_reader.store import Store
from tui_reader.sync.base import FlagCounts
from tui_reader.sync.engine import SyncEngine, SyncReport
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer
from .test_engine import local_articles, remote_id, server_feed


class Counting(MinifluxClient):
    """The REST client, counting the calls for the full id lists."""

    full_lists = 0
    counts = "true"  # "lie": disagree with the library; "none": as a server without them

    def unread_ids(self) -> frozenset[str]:
        self.full_lists += 1
        return super().unread_ids()

    def starred_ids(self) -> frozenset[str]:
        self.full_lists += 1
        return super().starred_ids()

    def flag_counts(self) -> FlagCounts | None:
        counts = super().flag_counts()
        assert counts is not None
        if self.counts == "lie":
            return FlagCounts(counts.unread_by_feed, counts.starred + 1)
        return None if self.counts == "none" else counts


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "library")
    try:
        yield opened
    finally:
        opened.close()


def sync(store: Store, server: MinifluxServer, counts: str = "true") -> tuple[SyncReport, int]:
    client = Counting(server.url, token=server.api_key)
    client.counts = counts
    try:
        report = SyncEngine(store, client).run()
    finally:
        client.close()
    assert report.error is None, report.error
    return report, client.full_lists


def test_flag_changes_on_the_server_arrive_without_the_full_lists(
    store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    server_feed(admin, feed_server, count=4)
    store.sync.bind("miniflux", miniflux_server.url, "", "")
    report, full = sync(store, miniflux_server)
    assert (report.new, full) == (4, 0)  # the first pull saw every entry and its flags
    items = local_articles(store)
    a, b, c = items["Item 0"], items["Item 1"], items["Item 2"]

    admin.set_read([remote_id(store, a)], True)
    admin.set_starred([remote_id(store, b)], True)
    report, full = sync(store, miniflux_server)
    assert store.is_read(a.id) and store.is_starred(b.id) and not store.is_read(b.id)
    assert (report.pulled, full) == (2, 0)

    # A swap that leaves every count as it was: A unread again, C read. The cursor is
    # moved past every entry's creation (not 60 s back), so only `changed_at` can
    # report the two (Miniflux 2.2.6 sets it on status, bookmark and mark-all changes).
    time.sleep(1.1)
    mapping = store.sync.load_mapping()
    mapping["cursor"] = int(time.time())
    store.sync.save_mapping(mapping)
    admin.set_read([remote_id(store, a)], False)
    admin.set_read([remote_id(store, c)], True)
    report, full = sync(store, miniflux_server)
    assert not store.is_read(a.id) and store.is_read(c.id)
    assert (report.pulled, full) == (2, 0)

    report, full = sync(store, miniflux_server)  # nothing new: nothing changes
    assert (report.new, report.pulled, full) == (0, 0, 0)


@pytest.mark.parametrize("counts", ["lie", "none"])
def test_counts_that_disagree_or_are_missing_make_the_sync_read_the_full_lists(
    counts: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    server_feed(admin, feed_server, count=3)
    store.sync.bind("miniflux", miniflux_server.url, "", "")
    sync(store, miniflux_server)
    item = local_articles(store)["Item 1"]
    admin.set_starred([remote_id(store, item)], True)

    report, full = sync(store, miniflux_server, counts)
    assert full == 2  # unread and starred lists
    assert store.is_starred(item.id) and report.pulled == 1
