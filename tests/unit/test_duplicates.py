"""The same story in several feeds: story keys (`dedupe.py`) and the groups the store keeps
(`store/duplicates.py`), their upkeep as articles load, merge, are pruned and unsubscribed,
and what the views and counts make of them (`views.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW
from tui_reader.dedupe import _canonical_parsed, canonical_link, guid_key, story_keys
from tui_reader.models import Feed, NewArticle
from tui_reader.store import Store
from tui_reader.views import ALL, View, also_in, articles_for, sidebar_counts, unread_in

STORY = "https://news.example.com/2026/12/story"

# --------------------------------------------------------------------------- story keys


@pytest.mark.parametrize(
    "link",
    [
        STORY,
        STORY + "/",
        "http://news.example.com/2026/12/story",
        "HTTPS://News.Example.COM/2026/12/story",
        "https://news.example.com:443/2026/12/story",
        "http://news.example.com:80/2026/12/story",
        "https://news.example.com./2026/12/story",
        STORY + "#comments",
        STORY + "?utm_source=rss&utm_medium=feed&UTM_Campaign=x",
        STORY + "?fbclid=abc&gclid=def&mc_cid=1&mc_eid=2&ref=hn&ref_src=twsrc&igshid=z",
        "  " + STORY + "  ",
        "https://user:secret@news.example.com/2026/12/story",
    ],
)
def test_links_of_one_story_have_one_key(link: str) -> None:
    assert canonical_link(link) == "u:news.example.com/2026/12/story"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (STORY, "https://news.example.com/2026/12/Story"),  # a path is case sensitive
        (STORY, "https://other.example.com/2026/12/story"),
        (STORY, "https://news.example.com:8443/2026/12/story"),
        ("https://e.com/item?id=1", "https://e.com/item?id=2"),
        ("https://e.com/app#!/post/1", "https://e.com/app#!/post/2"),  # hashbang routes
    ],
)
def test_different_stories_keep_different_keys(a: str, b: str) -> None:
    assert canonical_link(a) is not None
    assert canonical_link(a) != canonical_link(b)


def test_query_is_sorted_and_kept_as_written() -> None:
    one = canonical_link("https://e.com/p?b=2&a=%20x&utm_term=t")
    assert one == "u:e.com/p?a=%20x&b=2"
    assert canonical_link("https://e.com/p?a=%20x&b=2") == one


@pytest.mark.parametrize(
    "link",
    [
        "",
        "https://news.example.com/",
        "https://news.example.com",
        "https://e.com/?utm_source=x",
        "ftp://e.com/file",
        "javascript:alert(1)",
        "mailto:a@b.c",
        "/relative/path",
        "https://e.com:99999/x",
        "https:///nohost",
    ],
)
def test_links_that_name_no_story(link: str) -> None:
    assert canonical_link(link) is None


@pytest.mark.parametrize(
    "link",
    [
        STORY,
        STORY + "/",
        "https://a.b/c//",
        "https://a.b/x%20y",
        "https://a.b/p@x",
        "https://a-b.c/d.e/f_g~h",
        "https://a.b/ x",
        "http://127.0.0.1/x",
        "https://a.b/",
        "https://a.b/x/?b=2&a=1&utm_source=z",
        "https://a.b/?utm_medium=x",
        "https://a.b/?q=1",
        "https://a.b?q=1#frag",
        "https://a.b/x#",
        "https://a.b/x#!/route",
        "https://a.b/x?#y",
        "https://a.b/x?&&a=1&",
        "https://a.b/x?ref=a&REF_SRC=b&c",
        "https://a.b/x?a=1#top",
    ],
)
def test_fast_path_agrees_with_the_parsed_path(link: str) -> None:
    assert canonical_link(link) == _canonical_parsed(link)


def test_guid_rule() -> None:
    # A URL guid meets the other feed's link.
    assert guid_key(STORY + "?utm_source=x") == canonical_link(STORY)
    # Opaque ids: only long, not-only-digit ones name a story across feeds.
    assert guid_key("tag:news.example.com,2026:story-42") == "g:tag:news.example.com,2026:story-42"
    assert guid_key("urn:uuid:5c1e0a9b-33d2-4e1f-9a55-0c2d5e9f7a10") is not None
    for short in ("1", "42", "post-7", "1733400000000000000", "  12  "):
        assert guid_key(short) is None, short
    # The parser's fallback identity is a hash of title and date: not a guid.
    assert guid_key("sha1:" + "a" * 40) is None


def test_story_keys_of_an_article() -> None:
    assert story_keys(STORY, STORY) == ("u:news.example.com/2026/12/story",)
    assert story_keys(STORY, "1") == ("u:news.example.com/2026/12/story",)
    assert story_keys("", "tag:x.example,2026:abcdef") == ("g:tag:x.example,2026:abcdef",)
    assert story_keys("https://e.com/", "2") == ()
    assert len(story_keys(STORY, "tag:x.example,2026:abcdef")) == 2


# --------------------------------------------------------------------------- the index


def item(key: str, link: str, title: str = "Story", hours: int = 0) -> NewArticle:
    return NewArticle(
        key=key,
        title=title,
        link=link,
        author="",
        published=NOW - timedelta(hours=hours),
        body_html=f"<p>{title}</p>",
    )


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "lib")
    store.track_duplicates()
    try:
        yield store
    finally:
        store.close()


def subscribe(store: Store, name: str, category: str = "News") -> Feed:
    feed, _ = store.add_feed(f"https://{name}.example.org/feed", name.title(), category)
    return feed


def add(store: Store, feed: Feed, *items: NewArticle, seconds: int = 0) -> None:
    store.merge_articles(feed.id, list(items), NOW + timedelta(seconds=seconds))


def ids_of(store: Store, feed: Feed) -> list[str]:
    return sorted(a.id for a in store.iter_feed_articles(feed.id))


def test_groups_grow_as_copies_arrive_and_the_first_seen_represents(lib: Store) -> None:
    a, b, c = (subscribe(lib, n) for n in ("alpha", "beta", "gamma"))
    add(
        lib,
        a,
        item("a1", STORY + "?utm_source=alpha"),
        item("a2", "https://alpha.example.org/own", "Own"),
    )
    assert lib.duplicates is not None
    assert lib.duplicates.groups() == {}
    add(lib, b, item("b1", "http://NEWS.example.com/2026/12/story/#top"), seconds=1)
    add(lib, c, item("c1", STORY), seconds=2)
    (a1,) = [x.id for x in lib.iter_feed_articles(a.id) if x.title == "Story"]
    group = lib.duplicates.copies(a1)
    assert len(group) == 3 and group[0] == a1  # first fetched first
    shown = articles_for(lib, ALL)
    assert [x.title for x in shown].count("Story") == 1
    assert len(shown) == 2
    assert also_in(lib, lib.article(a1)) == ("Beta", "Gamma")  # type: ignore[arg-type]
    # A feed's own view shows its own copy.
    assert [x.id for x in articles_for(lib, View("feed", b.id))] == ids_of(lib, b)


def test_same_guid_across_feeds_groups_but_short_guids_do_not(lib: Store) -> None:
    a, b = subscribe(lib, "alpha"), subscribe(lib, "beta")
    guid = "tag:news.example.com,2026:story-42"
    add(
        lib, a, item(guid, "https://alpha.example.org/42"), item("1", "https://alpha.example.org/1")
    )
    add(lib, b, item(guid, "https://beta.example.org/x"), item("1", "https://beta.example.org/1"))
    assert len(articles_for(lib, ALL)) == 3  # the tag: guid once; the two "1"s both


def test_a_link_a_feed_gives_to_several_items_names_no_story(lib: Store) -> None:
    a, b = subscribe(lib, "alpha"), subscribe(lib, "beta")
    page = "https://status.example.com/incidents"
    add(lib, a, item("a1", page, "Outage"), item("a2", page, "Resolved"))
    add(lib, b, item("b1", page, "Outage"))
    assert len(articles_for(lib, ALL)) == 3


def test_unsubscribe_and_retention_take_copies_out_of_groups(lib: Store) -> None:
    a, b, c = (subscribe(lib, n) for n in ("alpha", "beta", "gamma"))
    for n, feed in enumerate((a, b, c)):
        add(lib, feed, item(f"{feed.title}-1", STORY), seconds=n)
    dups = lib.duplicates
    assert dups is not None
    assert len(articles_for(lib, ALL)) == 1
    lib.remove_feed(a.id)
    (b1,) = ids_of(lib, b)
    assert len(dups.copies(b1)) == 2 and dups.copies(b1)[0] == b1  # beta's is the oldest now
    # Retention: beta keeps no read articles; its copy goes, gamma's stands alone.
    lib.keep_read = 0
    lib.set_read([b1])
    add(lib, b, item("beta-2", "https://beta.example.org/2"))
    assert lib.article(b1) is None
    assert dups.groups() == {}
    assert len(articles_for(lib, ALL)) == 2


def test_a_changed_link_regroups(lib: Store) -> None:
    a, b = subscribe(lib, "alpha"), subscribe(lib, "beta")
    add(lib, a, item("a1", STORY))
    add(lib, b, item("b1", "https://beta.example.org/draft"))
    assert len(articles_for(lib, ALL)) == 2
    add(lib, b, item("b1", STORY + "?utm_campaign=fix"))
    assert len(articles_for(lib, ALL)) == 1


def test_groups_are_built_for_a_library_opened_before_tracking(tmp_path: Path) -> None:
    path = tmp_path / "lib"
    with Store.open(path) as store:
        for n, name in enumerate(("alpha", "beta")):
            add(store, subscribe(store, name), item(f"{name}1", STORY), seconds=n)
    with Store.open(path) as store:
        assert store.duplicates is None
        assert len(articles_for(store, ALL)) == 2  # not tracked: every copy
        store.track_duplicates()
        assert len(articles_for(store, ALL)) == 1


def test_copies_merged_while_the_groups_fill_are_grouped_once(tmp_path: Path) -> None:
    """The reader fills the groups in a thread after its first paint while a refresh
    may merge: the hooks index what arrives meanwhile, and the fill adds nothing twice;
    views use no groups until the fill is done."""
    from tui_reader.store.duplicates import Duplicates

    path = tmp_path / "lib"
    with Store.open(path) as store:
        for n, name in enumerate(("alpha", "beta")):
            add(store, subscribe(store, name), item(f"{name}1", STORY), seconds=n)
    with Store.open(path) as store:
        index = store.index
        with index.lock:  # what track_duplicates does before it fills
            index.dups = Duplicates(
                index.lock, index.articles, index.read, index.starred, index.hidden.ids
            )
        gamma = subscribe(store, "gamma")
        add(store, gamma, item("gamma1", STORY + "?utm_source=x"), seconds=5)  # a hook adds it
        assert store.duplicates is None  # not filled: every copy shows
        assert len(articles_for(store, ALL)) == 3
        store.track_duplicates()
        assert len(articles_for(store, ALL)) == 1
        held = [ids for ids in index.dups.holders.values() if isinstance(ids, list)]
        assert held and all(len(ids) == len(set(ids)) == 3 for ids in held)


def test_counts_count_a_story_once_except_per_feed(lib: Store) -> None:
    a, b = subscribe(lib, "alpha", "News"), subscribe(lib, "beta", "Tech/Web")
    add(lib, a, item("a1", STORY), item("a2", "https://alpha.example.org/2", "Own"))
    add(lib, b, item("b1", STORY), seconds=1)
    categories = {a.id: a.category, b.id: b.category}
    by_feed = lib.unread_counts_by_feed()
    counts = sidebar_counts(lib, categories, by_feed, {})
    assert counts["all:"] == counts["unread:"] == 2 == len(articles_for(lib, View("unread")))
    assert counts[f"feed:{a.id}"] == 2 and counts[f"feed:{b.id}"] == 1
    assert counts["category:News"] == 2 and counts["category:Tech"] == 1
    lib.set_starred(ids_of(lib, a) + ids_of(lib, b))
    assert unread_in(lib, View("starred"), by_feed) == 2 == len(articles_for(lib, View("starred")))


def test_a_story_read_in_one_feed_arrives_read_in_another(lib: Store) -> None:
    a, b = subscribe(lib, "alpha"), subscribe(lib, "beta")
    add(lib, a, item("a1", STORY))
    lib.set_read(ids_of(lib, a))
    add(lib, b, item("b1", STORY), seconds=1)
    assert all(lib.is_read(i) for i in ids_of(lib, b))


def test_untracked_store_does_not_mark_arrivals(tmp_path: Path) -> None:
    with Store.open(tmp_path / "lib") as store:
        a, b = subscribe(store, "alpha"), subscribe(store, "beta")
        add(store, a, item("a1", STORY))
        store.set_read(ids_of(store, a))
        add(store, b, item("b1", STORY), seconds=1)
        assert not any(store.is_read(i) for i in ids_of(store, b))


def test_a_bound_library_queues_every_copys_mark_for_its_server(lib: Store) -> None:
    lib.sync.bind("miniflux", "https://rss.example.net", "", "")
    a, b, c = (subscribe(lib, n) for n in ("alpha", "beta", "gamma"))
    add(lib, a, item("a1", STORY))
    add(lib, b, item("b1", STORY + "/"), seconds=1)
    dups = lib.duplicates
    assert dups is not None
    (a1,), (b1,) = ids_of(lib, a), ids_of(lib, b)
    # What the reader's `m` does: the normal set_read, with the copies.
    assert sorted(lib.set_read(dups.with_copies([b1]))) == sorted([a1, b1])
    assert lib.sync.outbox.has_flag(a1, "read") and lib.sync.outbox.has_flag(b1, "read")
    # A copy arriving read goes to the server the same way.
    add(lib, c, item("c1", "http://news.example.com/2026/12/story"), seconds=2)
    (c1,) = ids_of(lib, c)
    assert lib.is_read(c1) and lib.sync.outbox.has_flag(c1, "read")


def test_groups_kept_up_to_date_match_groups_built_afresh(lib: Store) -> None:
    """Copies joining one by one (the incremental path) give the groups a fresh build
    gives, including a third copy joining a pair by its guid only."""
    a, b, c, d = (subscribe(lib, n) for n in ("alpha", "beta", "gamma", "delta"))
    dups = lib.duplicates
    assert dups is not None
    guid = "tag:news.example.com,2026:story"
    add(lib, a, item(guid, STORY), item("a2", "https://e.com/2", "Two"))
    assert dups.groups() == {}  # built (empty) before the copies arrive
    add(lib, b, item("b1", STORY + "?utm_source=b"), item("b2", "https://e.com/2/"), seconds=1)
    add(lib, c, item(guid, "https://mirror.example.net/story"), seconds=2)
    add(lib, d, item("d2", "http://e.com/2"), seconds=3)
    kept = dict(dups.groups())
    dups._changed()  # forget them: the next question builds them from the keys
    assert dups.groups() == kept
    assert sorted(len(g) for g in dups.distinct_groups()) == [3, 3]


def test_a_copy_the_ignore_rules_hide_is_neither_counted_nor_named(lib: Store) -> None:
    from tests.unit.test_killfile import killfile

    a, b, c = (subscribe(lib, n) for n in ("alpha", "beta", "gamma"))
    for n, feed in enumerate((a, b, c)):
        add(lib, feed, item(f"{feed.title}-1", STORY), seconds=n)
    lib.hidden.set_rules(killfile('feed:"Beta"'))
    categories = {f.id: f.category for f in (a, b, c)}
    counts = sidebar_counts(lib, categories, lib.unread_counts_by_feed(), {})
    assert counts["all:"] == 1 == len(articles_for(lib, View("unread")))
    assert counts["category:News"] == 1
    (a1,) = ids_of(lib, a)
    assert also_in(lib, lib.article(a1)) == ("Gamma",)  # type: ignore[arg-type]
