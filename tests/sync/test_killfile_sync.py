"""The killfile's drop rules apply to what a sync pulls from a real Miniflux, as to a
refresh: dropped entries are never stored, entries starred on the server always are."""

from __future__ import annotations

import tomllib

from tui_reader.config import apply_to_store, config_from_dict
from tui_reader.store import Store
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer
from .test_engine import bind, kind, local_articles, server_feed, store, sync

__all__ = ["kind", "store"]  # fixtures, used by name


def test_a_sync_drops_what_the_rules_drop_but_never_a_starred_entry(
    kind: str, store: Store, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer,
):  # fmt: skip
    remote = server_feed(admin, feed_server, count=4)
    entries = {e.title: e for e in admin.entries_since(None) if e.feed_id == remote.id}
    admin.set_starred([entries["Item 2"].id], True)
    config = config_from_dict(
        tomllib.loads("[[ignore]]\nquery = '\"item 1\"'\nmode = 'drop'\n"
                      "[[ignore]]\nquery = '\"item 2\"'\nmode = 'drop'\n")
    )  # fmt: skip
    assert config.warnings == ()
    apply_to_store(config, store)
    bind(store, kind, miniflux_server)
    report = sync(store, kind, miniflux_server)

    articles = local_articles(store)
    assert set(articles) == {"Item 0", "Item 2", "Item 3"}
    assert store.is_starred(articles["Item 2"].id)
    assert report.new == 3
    assert len(store.articles(include_hidden=True)) == 3
    # A second sync does not bring the dropped one back (nor fetch it as missing).
    assert sync(store, kind, miniflux_server).new == 0
    assert set(local_articles(store)) == {"Item 0", "Item 2", "Item 3"}
