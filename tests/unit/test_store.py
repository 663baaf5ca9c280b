"""Unit tests for `tui_reader.store.Store`: every public method, and reopen persistence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from tinydb import TinyDB

from tests.conftest import NOW, make_articles
from tui_reader.htmltext import word_count
from tui_reader.models import UNCATEGORIZED, EncodedBodies, NewArticle
from tui_reader.store import (
    BODY_CACHE_FEEDS,
    SCHEMA_VERSION,
    LibraryLocked,
    MergeResult,
    Store,
    StoreError,
    StoreReadOnly,
    article_id,
)
from tui_reader.store.records import encode_new_bodies


def reopen(store: Store) -> Store:
    store.close()
    return Store.open(store.directory)


def feed_by_title(store: Store, title: str) -> str:
    return next(f.id for f in store.feeds() if f.title == title)


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "lib")
    yield s
    s.close()


# --------------------------------------------------------------------------- feeds


def test_add_feed_creates_and_returns_existing(empty: Store) -> None:
    feed, created = empty.add_feed("https://a.example.com/feed", "A", "Tech")
    assert created
    assert (feed.title, feed.category, feed.url) == ("A", "Tech", "https://a.example.com/feed")
    assert len(feed.id) == 8 and int(feed.id, 16) >= 0
    again, created = empty.add_feed("https://A.example.com/feed/", "Other title")
    assert not created and again == feed
    assert empty.feeds() == [feed]


def test_add_feed_cleans_title_and_defaults_category(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "  A\n\x1b[31mred\x1b[0m  ", "")
    assert "\x1b" not in feed.title and "\n" not in feed.title
    assert feed.category == UNCATEGORIZED


def test_find_feed_by_url_ignores_trailing_slash_and_host_case(empty: Store) -> None:
    feed, _ = empty.add_feed("https://blog.example.com/feed/", "B")
    assert empty.find_feed_by_url("https://blog.example.com/feed") == feed
    assert empty.find_feed_by_url("https://BLOG.Example.COM/feed/") == feed
    assert empty.find_feed_by_url("http://blog.example.com/feed") == feed
    assert empty.find_feed_by_url("https://blog.example.com/other") is None


def test_update_feed(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A", "Tech")
    updated = empty.update_feed(feed.id, title="New\ntitle", category="  ")
    assert updated.title == "New title"
    assert updated.category == UNCATEGORIZED
    assert empty.feed(feed.id) == updated
    # The url index follows a url change.
    moved = empty.update_feed(feed.id, url="https://new.example.com/rss")
    assert empty.find_feed_by_url("https://new.example.com/rss") == moved
    assert empty.find_feed_by_url("https://a.example.com/feed") is None


def test_remove_feed_deletes_articles_and_shards(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    aids = [a.id for a in store.iter_feed_articles(fid)]
    store.set_read(aids[:2])
    store.set_starred(aids[:1])
    store.flush()
    store.remove_feed(fid)
    assert store.feed(fid) is None
    assert all(store.article(a) is None for a in aids)
    assert len(store) == 9
    assert store.starred_count() == 0
    assert fid not in store.unread_counts_by_feed()
    for kind in ("headers", "flags", "bodies"):
        assert not (store.directory / kind / f"{fid}.json").exists()
    store = reopen(store)
    try:
        assert store.feed(fid) is None and len(store) == 9
    finally:
        store.close()


def test_readding_a_removed_feed_starts_clean(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    store.keep_read = 1
    aids = [a.id for a in store.iter_feed_articles(fid)]
    store.set_read(aids)
    store.merge_articles(fid, make_articles("alpha", 6), NOW)  # prunes -> tombstones
    url = store.feed(fid).url
    store.remove_feed(fid)
    feed, created = store.add_feed(url, "Alpha again")
    assert created and feed.id == fid
    result = store.merge_articles(feed.id, make_articles("alpha", 6), NOW)
    assert result.new == 6  # no tombstones and no read flags from the old subscription
    assert store.unread_count([feed.id]) == 6


def test_categories_and_feeds_in(store: Store) -> None:
    assert store.categories() == ["Science", "Tech"]
    assert [f.title for f in store.feeds_in("Tech")] == ["Alpha", "Beta"]
    assert [f.title for f in store.feeds()] == ["Gamma", "Alpha", "Beta"]
    assert store.rename_category("Tech", "Computing") == 2
    assert store.categories() == ["Computing", "Science"]
    assert store.feeds_in("Tech") == []


# --------------------------------------------------------------------------- merge


def test_merge_new_articles(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    result = empty.merge_articles(feed.id, make_articles("a", 3), NOW)
    assert result == MergeResult(new=3)
    articles = empty.articles([feed.id])
    assert [a.title for a in articles] == ["a article 0", "a article 1", "a article 2"]
    first = articles[0]
    assert first.id == article_id(feed.id, "a-0")
    assert len(first.id) == 12
    assert first.fetched == NOW and first.words > 0
    assert empty.body(first.id).startswith("<p>Body of a 0.")


def test_unchanged_refetch_adds_nothing(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    before = (store.directory / "headers" / f"{fid}.json").stat().st_mtime_ns
    assert store.merge_articles(fid, make_articles("alpha", 6), NOW) == MergeResult()
    assert (store.directory / "headers" / f"{fid}.json").stat().st_mtime_ns == before
    assert len(store) == 15


def test_refetch_with_a_changed_date_is_unchanged_after_the_first_time(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    moved = [
        replace(a, published=a.published + timedelta(days=3)) for a in make_articles("alpha", 6)
    ]
    assert store.merge_articles(fid, moved, NOW).new == 0
    # The date is kept (no jumping to the top); fetching the same again is not an update.
    assert store.merge_articles(fid, moved, NOW) == MergeResult()


def test_changed_content_replaces_and_keeps_flags_and_date(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    original = store.articles([fid])[0]
    store.set_read([original.id])
    store.set_starred([original.id])
    items = make_articles("alpha", 6)
    items[0] = replace(
        items[0],
        title="Edited title",
        body_html="<p>Edited body</p>",
        published=NOW + timedelta(days=1),
    )
    later = NOW + timedelta(hours=1)
    assert store.merge_articles(fid, items, later) == MergeResult(updated=1)
    edited = store.article(original.id)
    assert edited.title == "Edited title"
    assert edited.published == original.published
    assert edited.fetched == original.fetched
    assert store.body(original.id) == "<p>Edited body</p>"
    assert store.is_read(original.id) and store.is_starred(original.id)


def test_duplicate_keys_in_one_batch_count_once(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    items = make_articles("a", 2)
    items.append(replace(items[0], title="second copy"))
    assert empty.merge_articles(feed.id, items, NOW) == MergeResult(new=2)
    assert empty.article(article_id(feed.id, "a-0")).title == "a article 0"


def test_merge_into_a_removed_feed_is_refused(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    empty.remove_feed(feed.id)
    with pytest.raises(StoreError):
        empty.merge_articles(feed.id, make_articles("a", 1), NOW)


def test_same_key_in_two_feeds_gives_two_articles(empty: Store) -> None:
    a, _ = empty.add_feed("https://a.example.com/feed", "A")
    b, _ = empty.add_feed("https://b.example.com/feed", "B")
    empty.merge_articles(a.id, make_articles("x", 1), NOW)
    empty.merge_articles(b.id, make_articles("x", 1), NOW)
    assert len(empty) == 2


# --------------------------------------------------------------------------- retention


def _feed_with(empty: Store, count: int) -> tuple[str, list[NewArticle]]:
    feed, _ = empty.add_feed("https://r.example.com/feed", "R")
    items = make_articles("r", count)  # r-0 newest
    empty.merge_articles(feed.id, items, NOW)
    return feed.id, items


def test_keep_read_prunes_oldest_read_unstarred(empty: Store) -> None:
    fid, items = _feed_with(empty, 10)
    ids = [article_id(fid, i.key) for i in items]
    empty.keep_read = 3
    empty.set_read(ids[:8])  # 8 read, 2 unread (the two oldest)
    empty.set_starred([ids[7]])  # the oldest read one is starred: never pruned
    result = empty.merge_articles(fid, items, NOW)
    assert result.pruned == 4  # read+unstarred: ids[0..6]; keep the 3 newest
    kept = {a.id for a in empty.iter_feed_articles(fid)}
    assert kept == {ids[0], ids[1], ids[2], ids[7], ids[8], ids[9]}
    assert not any(empty.is_read(i) for i in ids[3:7])
    # The feed still lists them: the tombstones stop them from coming back.
    assert empty.merge_articles(fid, items, NOW) == MergeResult()
    assert {a.id for a in empty.iter_feed_articles(fid)} == kept


def test_tombstones_survive_reopen(empty: Store) -> None:
    fid, items = _feed_with(empty, 6)
    ids = [article_id(fid, i.key) for i in items]
    empty.keep_read = 1
    empty.set_read(ids)
    assert empty.merge_articles(fid, items, NOW).pruned == 5
    store = reopen(empty)
    try:
        store.keep_read = 1
        assert store.merge_articles(fid, items, NOW) == MergeResult()
        assert len(store) == 1
    finally:
        store.close()


def test_max_per_feed_is_a_hard_cap_but_starred_stay(empty: Store) -> None:
    fid, items = _feed_with(empty, 10)
    ids = [article_id(fid, i.key) for i in items]
    empty.max_per_feed = 4
    empty.set_starred([ids[9]])  # the oldest
    result = empty.merge_articles(fid, make_articles("r", 10), NOW)
    assert result.pruned == 6
    kept = {a.id for a in empty.iter_feed_articles(fid)}
    assert kept == {ids[0], ids[1], ids[2], ids[9]}  # three newest unread + the starred one


def test_starred_never_pruned_even_over_the_cap(empty: Store) -> None:
    fid, items = _feed_with(empty, 6)
    ids = [article_id(fid, i.key) for i in items]
    empty.set_starred(ids)
    empty.set_read(ids)
    empty.max_per_feed = 2
    empty.keep_read = 0
    assert empty.merge_articles(fid, items, NOW).pruned == 0
    assert len(empty) == 6


def test_retention_spares_new_batch_when_under_limits(empty: Store) -> None:
    fid, _ = _feed_with(empty, 5)
    empty.keep_read = 10
    assert empty.merge_articles(fid, make_articles("r", 8), NOW) == MergeResult(new=3)


# --------------------------------------------------------------------------- flags


def test_set_read_returns_changed_ids(store: Store) -> None:
    ids = [a.id for a in store.articles()][:3]
    assert store.set_read(ids) == ids
    assert store.set_read(ids) == []
    assert store.set_read([ids[0], "nope"], False) == [ids[0]]
    assert not store.is_read(ids[0]) and store.is_read(ids[1])


def test_set_starred_returns_changed_ids(store: Store) -> None:
    ids = [a.id for a in store.articles()][:2]
    assert store.set_starred(ids) == ids
    assert store.set_starred(ids, True) == []
    assert store.starred_count() == 2
    assert store.set_starred(ids[:1], False) == ids[:1]
    assert store.starred_count() == 1


def test_counts(store: Store) -> None:
    alpha, beta, gamma = (feed_by_title(store, t) for t in ("Alpha", "Beta", "Gamma"))
    assert store.unread_count() == 15
    assert store.unread_counts_by_feed() == {alpha: 6, beta: 5, gamma: 4}
    assert store.article_counts_by_feed() == {alpha: 6, beta: 5, gamma: 4}
    store.set_read([a.id for a in store.iter_feed_articles(beta)][:2])
    assert store.unread_count() == 13
    assert store.unread_count([beta]) == 3
    assert store.unread_count([alpha, beta]) == 9
    assert store.unread_count(["unknown"]) == 0
    assert store.unread_counts_by_feed() == {alpha: 6, beta: 3, gamma: 4}
    store.remove_feed(alpha)
    assert store.unread_count() == 7
    assert store.unread_counts_by_feed() == {beta: 3, gamma: 4}


def test_counts_follow_merge_and_retention(empty: Store) -> None:
    fid, items = _feed_with(empty, 5)
    ids = [article_id(fid, i.key) for i in items]
    empty.set_read(ids[:4])
    assert empty.unread_counts_by_feed() == {fid: 1}
    empty.keep_read = 1
    empty.merge_articles(fid, make_articles("r", 7), NOW)  # +2 new unread, prune 3 read
    assert empty.unread_counts_by_feed() == {fid: 3}
    assert empty.unread_count() == 3 and len(empty) == 4


# --------------------------------------------------------------------------- queries


def test_articles_newest_first_with_deterministic_ties(empty: Store) -> None:
    a, _ = empty.add_feed("https://a.example.com/feed", "A")
    b, _ = empty.add_feed("https://b.example.com/feed", "B")
    same = [
        NewArticle(key=f"k{i}", title=str(i), link="", author="", published=NOW) for i in range(4)
    ]
    empty.merge_articles(a.id, same, NOW)
    empty.merge_articles(b.id, same, NOW)
    empty.merge_articles(b.id, make_articles("older", 2, NOW - timedelta(days=1)), NOW)
    listed = empty.articles()
    assert [x.published for x in listed] == sorted((x.published for x in listed), reverse=True)
    tied = [x.id for x in listed if x.published == NOW]
    assert tied == sorted(tied, reverse=True)
    assert listed == empty.articles()
    store = reopen(empty)
    try:
        assert [x.id for x in store.articles()] == [x.id for x in listed]
    finally:
        store.close()


def test_articles_filters(store: Store) -> None:
    alpha, beta = feed_by_title(store, "Alpha"), feed_by_title(store, "Beta")
    everything = store.articles()
    assert len(everything) == 15
    only_alpha = store.articles([alpha])
    assert {a.feed_id for a in only_alpha} == {alpha} and len(only_alpha) == 6
    assert only_alpha == [a for a in everything if a.feed_id == alpha]
    two = store.articles([alpha, beta])
    assert two == [a for a in everything if a.feed_id in (alpha, beta)]
    assert store.articles([]) == []
    assert store.articles(["nope"]) == []

    store.set_read([a.id for a in only_alpha[:4]])
    unread = store.articles([alpha], unread_only=True)
    assert unread == only_alpha[4:]
    store.set_starred([only_alpha[0].id, only_alpha[5].id])
    assert store.articles(starred_only=True) == [only_alpha[0], only_alpha[5]]
    assert store.articles(starred_only=True, unread_only=True) == [only_alpha[5]]

    since = NOW - timedelta(hours=14)  # articles 0, 1 and 2 of each feed (0 h, 7 h, 14 h)
    recent = store.articles(since=since)
    assert len(recent) == 9 and all(a.published >= since for a in recent)
    assert store.articles([beta], since=since, unread_only=True) == [
        a for a in recent if a.feed_id == beta
    ]


def test_articles_list_is_a_copy(store: Store) -> None:
    listed = store.articles()
    listed.clear()
    assert len(store.articles()) == 15


def test_iter_feed_articles(store: Store) -> None:
    alpha = feed_by_title(store, "Alpha")
    assert {a.feed_id for a in store.iter_feed_articles(alpha)} == {alpha}
    assert list(store.iter_feed_articles("nope")) == []


# --------------------------------------------------------------------------- bodies


def test_bodies_are_read_on_demand_and_cached_lru(tmp_path: Path) -> None:
    with Store.open(tmp_path / "lib") as store:
        fids = []
        for n in range(BODY_CACHE_FEEDS + 3):
            feed, _ = store.add_feed(f"https://f{n}.example.com/feed", f"F{n}")
            store.merge_articles(feed.id, make_articles(f"f{n}", 2), NOW)
            fids.append(feed.id)
        # Merging does not grow the cache past its bound.
        assert len(store.index.bodies) <= BODY_CACHE_FEEDS
    with Store.open(tmp_path / "lib") as store:
        assert len(store.index.bodies) == 0  # nothing read at open
        first = article_id(fids[0], "f0-0")
        assert store.body(first).startswith("<p>Body of f0 0.")
        for fid in fids[1:]:
            store.body(article_id(fid, f"f{fids.index(fid)}-0"))
        assert len(store.index.bodies) == BODY_CACHE_FEEDS
        assert fids[0] not in store.index.bodies  # least recently used went first
        assert store.body(first).startswith("<p>Body of f0 0.")  # and is read again
        assert store.body("unknown") == ""


def test_article_without_body(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    empty.merge_articles(feed.id, [replace(make_articles("a", 1)[0], body_html="")], NOW)
    aid = article_id(feed.id, "a-0")
    assert empty.body(aid) == "" and empty.article(aid).words == 0


# --------------------------------------------------------------------------- settings


def test_settings(empty: Store) -> None:
    assert empty.setting("unread_only") is None
    assert empty.setting("unread_only", False) is False
    empty.set_setting("unread_only", True)
    empty.set_setting("theme", {"name": "dark", "size": 3})
    empty.set_setting("unread_only", False)
    assert empty.setting("unread_only") is False
    store = reopen(empty)
    try:
        assert store.setting("theme") == {"name": "dark", "size": 3}
        assert store.setting("unread_only", True) is False
    finally:
        store.close()


# --------------------------------------------------------------------------- record_fetch


def test_record_fetch_failure_then_success(store: Store) -> None:
    fid = feed_by_title(store, "Alpha")
    later = NOW + timedelta(hours=1)
    feed = store.record_fetch(fid, ok=False, error="HTTP 500\n\x1b[2J", when=later)
    assert feed.failures == 1 and feed.is_broken
    assert feed.last_error.startswith("HTTP 500")  # one line, no control characters
    assert "\x1b" not in feed.last_error and "\n" not in feed.last_error
    assert feed.last_checked == later and feed.last_success == NOW
    feed = store.record_fetch(fid, ok=False, error=None, when=later)
    assert feed.failures == 2 and feed.last_error
    feed = store.record_fetch(fid, ok=True, etag='"v2"', last_modified="Mon", when=later)
    assert feed.failures == 0 and feed.last_error is None and not feed.is_broken
    assert (feed.etag, feed.last_modified, feed.last_success) == ('"v2"', "Mon", later)
    # A 304 without validators keeps the ones we have.
    feed = store.record_fetch(fid, ok=True, when=later)
    assert feed.etag == '"v2"'
    assert store.record_fetch("unknown", ok=True) is None


def test_record_fetch_fills_title_and_site_only_when_empty(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed")
    feed = empty.record_fetch(feed.id, ok=True, title="Site A", site_url="https://a.example.com/")
    assert (feed.title, feed.site_url) == ("Site A", "https://a.example.com/")
    feed = empty.record_fetch(feed.id, ok=True, title="Renamed", site_url="https://x.example/")
    assert (feed.title, feed.site_url) == ("Site A", "https://a.example.com/")


def test_record_fetch_permanent_redirect_changes_url(empty: Store) -> None:
    a, _ = empty.add_feed("https://a.example.com/feed", "A")
    b, _ = empty.add_feed("https://b.example.com/feed", "B")
    moved = empty.record_fetch(a.id, ok=True, url="https://new.example.com/feed")
    assert moved.url == "https://new.example.com/feed"
    assert empty.find_feed_by_url("https://new.example.com/feed").id == a.id
    # Never onto another subscription's url.
    kept = empty.record_fetch(a.id, ok=True, url="https://b.example.com/feed")
    assert kept.url == "https://new.example.com/feed"
    assert empty.feed(b.id).url == "https://b.example.com/feed"


# --------------------------------------------------------------------------- read-only


def test_read_only_open_takes_no_lock_and_refuses_changes(library_path: Path) -> None:
    with Store.open(library_path) as writer:
        reader = Store.open(library_path, read_only=True)
        try:
            assert len(reader) == 15 and reader.unread_count() == 15
            fid = reader.feeds()[0].id
            aid = reader.articles()[0].id
            assert reader.body(aid)
            for change in (
                lambda: reader.set_read([aid]),
                lambda: reader.set_starred([aid]),
                lambda: reader.add_feed("https://new.example.com/feed"),
                lambda: reader.update_feed(fid, title="x"),
                lambda: reader.remove_feed(fid),
                lambda: reader.merge_articles(fid, make_articles("n", 1), NOW),
                lambda: reader.set_setting("a", 1),
                lambda: reader.record_fetch(fid, ok=True),
            ):
                with pytest.raises(StoreReadOnly):
                    change()
            assert not reader.is_read(aid)
            reader.flush()  # nothing to do, no error
        finally:
            reader.close()
        writer.set_read([aid])  # the writer was not disturbed
    assert sorted(p.name for p in library_path.iterdir()) == sorted(
        ["library.json", "library.json.bak", "library.lock", "headers", "flags", "bodies"]
    )


def test_read_only_open_of_a_missing_library_fails_plainly(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no library"):
        Store.open(tmp_path / "nothing", read_only=True)
    assert not (tmp_path / "nothing").exists()


def test_closed_store_refuses_changes(empty: Store) -> None:
    empty.close()
    with pytest.raises(StoreError, match="closed"):
        empty.add_feed("https://a.example.com/feed")
    empty.close()  # twice is fine


def test_second_writer_in_the_same_process_is_locked(store: Store) -> None:
    with pytest.raises(LibraryLocked):
        Store.open(store.directory)


# --------------------------------------------------------------------------- persistence


def test_reopen_keeps_everything(library_path: Path) -> None:
    with Store.open(library_path) as store:
        alpha, beta = feed_by_title(store, "Alpha"), feed_by_title(store, "Beta")
        ids = [a.id for a in store.articles([alpha])]
        store.set_read(ids[:3])
        store.set_starred(ids[1:2])
        store.update_feed(beta, title="Beta Renamed", category="Other")
        store.record_fetch(alpha, ok=False, error="timed out", when=NOW)
        store.record_fetch(beta, ok=True, etag='"e"', last_modified="lm", when=NOW)
        store.set_setting("sort", "newest")
        new_feed, _ = store.add_feed("https://new.example.com/feed", "New", "Fresh")
        store.merge_articles(new_feed.id, make_articles("new", 2), NOW)
        feeds_before = store.feeds()
        articles_before = store.articles()
        bodies_before = {a.id: store.body(a.id) for a in articles_before}
    with Store.open(library_path) as store:
        assert store.feeds() == feeds_before
        assert store.articles() == articles_before
        assert {a.id: store.body(a.id) for a in articles_before} == bodies_before
        assert [store.is_read(i) for i in ids] == [True, True, True, False, False, False]
        assert [store.is_starred(i) for i in ids] == [False, True, False, False, False, False]
        assert store.feed(alpha).failures == 1
        assert store.feed(alpha).last_error == "timed out"
        assert (store.feed(beta).etag, store.feed(beta).last_modified) == ('"e"', "lm")
        assert store.setting("sort") == "newest"
        assert store.warnings == []


def test_files_are_plain_tinydb(library_path: Path) -> None:
    with TinyDB(library_path / "library.json", access_mode="r") as db:
        assert db.table("meta").all()[0]["schema"] == SCHEMA_VERSION
        feeds = db.table("feeds").all()
        assert {f["title"] for f in feeds} == {"Alpha", "Beta", "Gamma"}
        fid = next(f["id"] for f in feeds if f["title"] == "Alpha")
    with TinyDB(library_path / "headers" / f"{fid}.json", access_mode="r") as db:
        docs = db.table("articles").all()
        assert len(docs) == 6
        assert set(docs[0]) == {
            "id", "key", "title", "link", "author", "published", "fetched", "words"
        }  # fmt: skip
        assert docs[0]["id"] == article_id(fid, docs[0]["key"])
    with TinyDB(library_path / "bodies" / f"{fid}.json", access_mode="r") as db:
        assert len(db.table("bodies").all()) == 6
    with Store.open(library_path) as store:
        aid = store.articles([fid])[0].id
        store.set_starred([aid])
    raw = orjson.loads((library_path / "flags" / f"{fid}.json").read_bytes())
    assert raw == {"flags": {"1": {"read": [], "starred": [aid], "gone": []}}}


def test_flag_change_reaches_disk_quickly(store: Store) -> None:
    aid = store.articles()[0].id
    fid = store.article(aid).feed_id
    store.set_read([aid])
    path = store.directory / "flags" / f"{fid}.json"
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        if path.exists() and aid.encode() in path.read_bytes():
            break
        time.sleep(0.01)
    assert aid.encode() in path.read_bytes()


def test_unsubscribing_removes_cached_full_texts(store: Store) -> None:
    feed = store.feeds()[0]
    article = next(iter(store.iter_feed_articles(feed.id)))
    assert store.set_full_text(article.id, html="<p>the whole article</p>")
    store.flush()
    path = store.directory / "fulltext" / f"{feed.id}.json"
    assert path.exists()
    store.remove_feed(feed.id)
    store.flush()
    assert not path.exists()


def test_untitled_feed_never_shows_credentials(store: Store) -> None:
    feed, _ = store.add_feed("https://user:HV15-SECRET@creds.example.com/feed", "", "X")
    assert "HV15-SECRET" not in feed.display_title
    assert "creds.example.com" in feed.display_title


# --------------------------------------------------------------------------- encoded bodies


def _encoded(
    store: Store, feed_id: str, items: list[NewArticle]
) -> tuple[list[NewArticle], EncodedBodies]:
    """What a parser process sends for a new feed: items without bodies (their words
    counted), and the bodies file it staged."""
    bare = [replace(a, body_html="", words=word_count(a.body_html)) for a in items]
    return bare, encode_new_bodies(feed_id, items, store.directory / "bodies")


def _bodies_after_reopen(store: Store) -> dict[str, str]:
    again = reopen(store)
    try:
        return {a.id: again.body(a.id) for a in again.articles()}
    finally:
        again.close()


def _staged_files(store: Store, *, settle: bool = True) -> list[str]:
    # The writer thread saves through temp files of the same shape: let it finish first,
    # so that only a staged file nobody took can be left.
    if settle:
        store.flush()
    return [p.name for p in (store.directory / "bodies").iterdir() if ".tmp-" in p.name]


def test_a_new_feeds_encoded_bodies_are_written_as_they_are(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    assert empty.first_bodies_dir(feed.id) == empty.directory / "bodies"
    items = make_articles("a", 5)
    items.append(replace(items[0], body_html="a later copy of a-0"))  # the first one wins
    bare, encoded = _encoded(empty, feed.id, items)
    staged = Path(encoded.staged).read_bytes()
    assert empty.merge_articles(feed.id, bare, NOW, encoded) == MergeResult(new=5)
    assert empty.first_bodies_dir(feed.id) is None
    want = {article_id(feed.id, a.key): a.body_html for a in items[:5]}
    assert {a.id: empty.body(a.id) for a in empty.articles()} == want
    raw = (empty.directory / "bodies" / f"{feed.id}.json").read_bytes()
    assert raw == staged and not _staged_files(empty)  # renamed into place
    again = reopen(empty)
    try:
        assert {a.id: again.body(a.id) for a in again.articles()} == want
        assert all(a.words for a in again.articles())
    finally:
        again.close()


def test_encoded_bodies_for_a_feed_that_has_articles_are_merged_as_text(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    old = make_articles("a", 3)
    empty.merge_articles(feed.id, old, NOW)
    empty.set_read([article_id(feed.id, old[0].key)])
    # Encoded while the feed looked new (say, a refresh racing an import): merged as text.
    edited = replace(old[1], body_html="<p>edited</p>")
    items = [old[0], edited, *make_articles("b", 2)]
    bare, encoded = _encoded(empty, feed.id, items)
    result = empty.merge_articles(feed.id, bare, NOW, encoded)
    assert result == MergeResult(new=2, updated=1)
    assert not _staged_files(empty)
    bodies = {a.id: empty.body(a.id) for a in empty.articles()}
    assert bodies[article_id(feed.id, old[1].key)] == "<p>edited</p>"
    assert bodies[article_id(feed.id, old[2].key)] == old[2].body_html
    assert len(bodies) == 5 and all(bodies.values())
    assert empty.is_read(article_id(feed.id, old[0].key))
    assert _bodies_after_reopen(empty) == bodies


def test_encoded_bodies_that_retention_would_prune_are_merged_as_text(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    empty.max_per_feed = 3
    items = make_articles("a", 5)  # newest first
    bare, encoded = _encoded(empty, feed.id, items)
    result = empty.merge_articles(feed.id, bare, NOW, encoded)
    assert result.pruned == 2 and not _staged_files(empty)
    kept = {a.id: empty.body(a.id) for a in empty.articles()}
    assert kept == {article_id(feed.id, a.key): a.body_html for a in items[:3]}
    assert _bodies_after_reopen(empty) == kept


def test_encoded_bodies_with_words_not_counted_are_merged_as_text(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    items = make_articles("a", 2)  # words=None: the store must count them from the bodies
    encoded = encode_new_bodies(feed.id, items, empty.directory / "bodies")
    bare = (replace(a, body_html="") for a in items)  # any iterable will do
    assert empty.merge_articles(feed.id, bare, NOW, encoded) == MergeResult(new=2)
    assert all(a.words == word_count(items[0].body_html) for a in empty.articles())
    assert all(empty.body(a.id) for a in empty.articles())


def test_a_staged_bodies_file_is_read_before_it_is_written_and_dropped_on_unsubscribe(
    empty: Store,
) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    items = make_articles("a", 3)
    _bare, encoded = _encoded(empty, feed.id, items)
    # Pinned, as after a write that failed: its bodies are read from the staged file.
    with empty.index.lock:
        empty.index.unsaved[feed.id] = encoded
    want = {article_id(feed.id, a.key): a.body_html for a in items}
    assert empty.bodies_of_feed(feed.id) == want
    assert _staged_files(empty, settle=False)  # still pinned: a flush would write it
    empty.remove_feed(feed.id)
    assert not _staged_files(empty)


def test_a_staged_bodies_file_goes_when_its_merge_fails(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    bare, encoded = _encoded(empty, feed.id, make_articles("a", 2))
    empty.remove_feed(feed.id)  # unsubscribed while it was being parsed
    with pytest.raises(StoreError):
        empty.merge_articles(feed.id, bare, NOW, encoded)
    assert not _staged_files(empty)


def test_an_unreadable_staged_file_fails_the_merge_with_a_store_error(empty: Store) -> None:
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    empty.merge_articles(feed.id, make_articles("old", 1), NOW)  # so it is merged as text
    bare, encoded = _encoded(empty, feed.id, make_articles("a", 2))
    Path(encoded.staged).write_bytes(b"{not json")
    with pytest.raises(StoreError, match="Could not read the parsed articles"):
        empty.merge_articles(feed.id, bare, NOW, encoded)
    assert not _staged_files(empty)
    assert [a.title for a in empty.articles()] == ["old article 0"]


def test_a_staged_bodies_file_goes_when_the_library_is_closed_first(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("https://a.example.com/feed", "A")
    bare, encoded = _encoded(store, feed.id, make_articles("a", 2))
    store.close()  # the reader quit while the feed was being parsed
    with pytest.raises(StoreError):
        store.merge_articles(feed.id, bare, NOW, encoded)
    assert not Path(encoded.staged).exists()


def test_articles_since_a_moment_are_the_same_with_the_order_stale(empty: Store) -> None:
    """During a refresh every merge makes the full order stale; the recent slice (Today)
    is then picked and sorted on its own, and must equal the slice of the full order."""
    feed, _ = empty.add_feed("https://a.example.com/feed", "A")
    empty.merge_articles(feed.id, make_articles("a", 30), NOW)
    since = NOW - timedelta(hours=50)
    full = [a for a in empty.articles() if a.published >= since]  # builds the order
    empty.merge_articles(feed.id, make_articles("b", 30), NOW)  # ... and makes it stale
    assert empty.index.sorted is None
    fresh = empty.articles(since=since)
    assert empty.index.sorted is None  # not rebuilt for a slice
    assert len(fresh) == len(full) * 2
    assert fresh == [a for a in empty.articles() if a.published >= since]
    empty.set_read([fresh[0].id])
    assert empty.articles(since=since, unread_only=True) == fresh[1:]


def test_a_store_opened_without_its_writer_starts_it_when_it_must(tmp_path: Path) -> None:
    """`start_writer=False` (what `tui-reader refresh` uses to fork first): no thread runs
    until `start_writer()` or `flush()`, and nothing changed meanwhile is lost."""
    import threading

    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("http://127.0.0.1/a.xml", "A")
    store.merge_articles(feed.id, make_articles("a", 3), NOW)
    store.close()
    before = threading.active_count()
    store = Store.open(tmp_path / "lib", lazy=True, start_writer=False)
    assert threading.active_count() == before
    ids = [a.id for a in store.articles()]
    store.set_read(ids[:2])
    store.set_starred(ids[2:])
    store.close()  # flushes: starts the writer, which saves the flags
    again = Store.open(tmp_path / "lib", read_only=True)
    try:
        assert {a.id for a in again.articles() if again.is_read(a.id)} == set(ids[:2])
        assert {a.id for a in again.articles() if again.is_starred(a.id)} == set(ids[2:])
    finally:
        again.close()
    store = Store.open(tmp_path / "lib", start_writer=False)
    store.start_writer()
    store.start_writer()  # once is enough; again is harmless
    assert threading.active_count() == before + 1
    store.close()
