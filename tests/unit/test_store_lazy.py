"""`Store.open(lazy=True)`: a feed's headers and flags are read the first time they are
needed, and nothing a lazy open skips is ever lost or overwritten."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NOW, make_articles
from tui_reader.store import Store, article_id
from tui_reader.store import writer as writer_module
from tui_reader.store.loader import Loader


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every (kind, feed id) shard read, in order."""
    seen: list[tuple[str, str]] = []
    original = Loader.read_shard

    def spy(self: Loader, kind: str, feed_id: str, *, strict: bool = False) -> object:
        seen.append((kind, feed_id))
        return original(self, kind, feed_id, strict=strict)

    monkeypatch.setattr(Loader, "read_shard", spy)
    yield seen


def ids_of(path: Path) -> dict[str, str]:
    with Store.open(path, read_only=True, lazy=True) as store:
        return {f.title: f.id for f in store.feeds()}


def snapshot(path: Path) -> dict[str, bytes]:
    """Every shard file's bytes (library.json and its backup left out)."""
    return {
        str(p.relative_to(path)): p.read_bytes()
        for kind in ("headers", "flags", "bodies")
        for p in sorted((path / kind).glob("*.json"))
    }


def test_lazy_open_reads_no_shard(library_path: Path, reads: list[tuple[str, str]]) -> None:
    ids = ids_of(library_path)
    with Store.open(library_path, lazy=True) as store:
        assert reads == []
        assert store.index.unloaded == set(ids.values())
        assert store.index.articles == {} and store.index.read == set()
        assert sorted(f.title for f in store.feeds()) == ["Alpha", "Beta", "Gamma"]
    assert reads == []


def test_a_304_refresh_writes_no_shard_and_keeps_every_flag(
    library_path: Path, reads: list[tuple[str, str]]
) -> None:
    with Store.open(library_path) as store:
        alpha = next(f.id for f in store.feeds() if f.title == "Alpha")
        first, second = (a.id for a in store.articles([alpha])[:2])
        store.set_read([first])
        store.set_starred([second])
    before = snapshot(library_path)
    reads.clear()
    with Store.open(library_path, lazy=True) as store, store.bulk_writes():
        for feed in store.feeds():
            store.record_fetch(feed.id, ok=True, etag='"v2"', when=NOW)
    assert reads == []
    assert snapshot(library_path) == before
    with Store.open(library_path) as store:
        assert store.is_read(first) and store.is_starred(second)
        assert {f.etag for f in store.feeds()} == {'"v2"'}
        assert len(store) == 15


def test_merge_into_an_unloaded_feed_keeps_articles_flags_and_tombstones(
    tmp_path: Path, reads: list[tuple[str, str]]
) -> None:
    path = tmp_path / "lib"
    items = make_articles("a", 6)
    with Store.open(path) as store:
        store.keep_read = 2
        feed, _ = store.add_feed("https://a.example.com/feed", "A")
        other, _ = store.add_feed("https://b.example.com/feed", "B")
        store.merge_articles(feed.id, items, NOW)
        store.merge_articles(other.id, make_articles("b", 3), NOW)
        ids = [article_id(feed.id, i.key) for i in items]  # newest first
        store.set_read(ids)  # all six read
        store.set_starred([ids[5]])  # the oldest: never pruned
        store.merge_articles(feed.id, items, NOW)  # retention: 2 read + the starred stay
        assert {a.id for a in store.articles([feed.id])} == {ids[0], ids[1], ids[5]}
    reads.clear()
    newer = make_articles("new", 1)
    with Store.open(path, lazy=True) as store:
        store.keep_read = 2
        # The feed still lists every old item (three are tombstones) and one new one.
        result = store.merge_articles(feed.id, [*newer, *items], NOW)
        assert result.new == 1
        assert {kind for kind, fid in reads} == {"flags", "headers", "bodies"}
        assert {fid for kind, fid in reads} == {feed.id}  # only its own files
        assert other.id in store.index.unloaded
        new_id = article_id(feed.id, newer[0].key)
        assert {a.id for a in store.articles([feed.id])} == {new_id, ids[0], ids[1], ids[5]}
        assert store.is_read(ids[0]) and store.is_read(ids[1]) and not store.is_read(new_id)
        assert store.is_starred(ids[5])
        assert store.body(ids[0]).startswith("<p>Body of a 0.")
    with Store.open(path) as store:
        assert {a.id for a in store.articles([feed.id])} == {new_id, ids[0], ids[1], ids[5]}
        assert store.is_read(ids[1]) and store.is_starred(ids[5])
        assert store.unread_count([feed.id]) == 1
        assert store.unread_count([other.id]) == 3
        assert set(store.index.gone[feed.id]) == {ids[2], ids[3], ids[4]}


def test_queries_load_what_they_need(library_path: Path) -> None:
    ids = ids_of(library_path)
    with Store.open(library_path) as store:
        beta = store.articles([ids["Beta"]])
        store.set_read([beta[0].id])
    with Store.open(library_path, lazy=True) as store:
        assert len(store.articles([ids["Gamma"]])) == 4
        assert store.index.unloaded == {ids["Alpha"], ids["Beta"]}
        assert store.unread_count([ids["Alpha"]]) == 6
        assert store.index.unloaded == {ids["Beta"]}
        # An article id does not tell its feed: an unknown one loads everything.
        assert store.is_read(beta[0].id)
        assert store.index.unloaded == set()
        assert len(store) == 15 and store.unread_count() == 14


def test_counts_and_flag_changes_on_a_lazy_store(library_path: Path) -> None:
    with Store.open(library_path) as store:
        expected = store.unread_counts_by_feed()
        some = store.articles()[3]
    with Store.open(library_path, lazy=True) as store:
        assert store.unread_counts_by_feed() == expected
    with Store.open(library_path, lazy=True) as store:
        assert store.set_starred([some.id]) == [some.id]
        assert store.set_read([some.id]) == [some.id]
    with Store.open(library_path) as store:
        assert store.is_starred(some.id) and store.is_read(some.id)
        assert store.unread_count() == 14


def test_unsubscribing_an_unloaded_feed_never_reads_it_back(
    library_path: Path, reads: list[tuple[str, str]]
) -> None:
    ids = ids_of(library_path)
    with Store.open(library_path, lazy=True) as store:
        store.remove_feed(ids["Alpha"])
        assert len(store) == 9
        assert ("headers", ids["Alpha"]) not in reads
    assert not (library_path / "headers" / f"{ids['Alpha']}.json").exists()
    with Store.open(library_path) as store:
        assert len(store) == 9


def test_an_emptied_headers_file_is_handled_at_a_lazy_open(library_path: Path) -> None:
    """A power loss during a bulk write can leave a file empty: even a lazy open (a
    refresh) must clear that feed's validators, or it gets 304 forever."""
    ids = ids_of(library_path)
    with Store.open(library_path) as store:
        for feed_id in ids.values():
            store.update_feed(feed_id, etag='"e"')
    (library_path / "headers" / f"{ids['Beta']}.json").write_bytes(b"")
    with Store.open(library_path, lazy=True) as store:
        assert store.index.unloaded == {ids["Alpha"], ids["Gamma"]}
        assert store.feed(ids["Beta"]).etag is None  # type: ignore[union-attr]
        assert store.feed(ids["Alpha"]).etag == '"e"'  # type: ignore[union-attr]
        assert any("damaged" in w for w in store.warnings)


def test_concurrent_loads_of_one_feed_count_once(library_path: Path) -> None:
    ids = ids_of(library_path)
    with Store.open(library_path, lazy=True) as store:
        threads = [
            threading.Thread(target=store.articles, args=([ids["Alpha"]],)) for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.unread_counts_by_feed()[ids["Alpha"]] == 6
        assert len(store) == 15 and store.unread_count() == 15


# --------------------------------------------------------------------------- bulk writes


def test_bulk_writes_defer_library_json_until_a_flush(
    library_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "BULK_MAIN_INTERVAL", 3600.0)
    main = library_path / "library.json"
    with Store.open(library_path, lazy=True) as store, store.bulk_writes():
        store.flush()
        before = main.read_bytes()
        for feed in store.feeds():
            store.record_fetch(feed.id, ok=True, etag="v2", when=NOW)
        store.writer.write_pending()  # a writer pass inside the bulk: library.json waits
        assert main.read_bytes() == before
        store.flush()  # ... but a flush writes it
        assert b'"etag":"v2"' in main.read_bytes()


def test_bulk_writes_sync_only_when_an_article_file_was_written(
    library_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs: list[int] = []
    monkeypatch.setattr(writer_module.os, "sync", lambda: syncs.append(1))
    with Store.open(library_path, lazy=True) as store:
        feed_id = store.feeds()[0].id
        with store.bulk_writes():
            store.record_fetch(feed_id, ok=True, when=NOW)
        assert syncs == []  # every feed answered 304: nothing to sync
        with store.bulk_writes():
            store.merge_articles(feed_id, make_articles("late", 1), NOW)
        assert syncs == [1]


def test_the_backup_is_library_json_as_it_opened(library_path: Path) -> None:
    opened = (library_path / "library.json").read_bytes()
    with Store.open(library_path, lazy=True) as store:
        store.record_fetch(store.feeds()[0].id, ok=False, error="boom", when=NOW)
    assert (library_path / "library.json.bak").read_bytes() == opened
    assert (library_path / "library.json").read_bytes() != opened
