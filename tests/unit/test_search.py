"""Search over a real library: haystack pass, body pass, the raw-file pre-filter, caches."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import NOW
from tui_reader.models import NewArticle
from tui_reader.query import parse_query
from tui_reader.search import SearchIndex, search
from tui_reader.store import Store


def library(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "lib")
    bodies = {
        "a": ["<p>Sourdough needs <b>patience</b>.</p>", "<p>Nothing here.</p>"],
        "b": ["<p>Café culture &amp; croissants</p>", "<p>PATIENCE is a virtue</p>"],
        "c": ["<p>Plain text only</p>"],
    }
    for name, items in bodies.items():
        feed, _ = store.add_feed(f"https://{name}.example.com/feed", f"Feed {name}", "X")
        store.merge_articles(
            feed.id,
            [
                NewArticle(
                    f"{name}{i}",
                    f"{name} title {i}",
                    f"https://{name}.example.com/{i}",
                    "",
                    NOW,
                    body,
                )
                for i, body in enumerate(items)
            ],
            NOW,
        )
    return store


def titles(store: Store, text: str, **kwargs: bool) -> list[str]:
    return sorted(
        a.title for a in search(store, parse_query(text, NOW), store.articles(), **kwargs)
    )


def test_body_words_and_phrases(tmp_path: Path) -> None:
    store = library(tmp_path)
    try:
        assert titles(store, "patience") == ["a title 0", "b title 1"]
        assert titles(store, '"needs patience"') == ["a title 0"]  # across a tag
        assert titles(store, "café") == ["b title 0"]  # non-ASCII: no pre-filter
        assert titles(store, "& croissants") == ["b title 0"]  # entity decoded
        assert titles(store, "-patience") == ["a title 1", "b title 0", "c title 0"]
        assert titles(store, "title -patience") == ["a title 1", "b title 0", "c title 0"]
        assert titles(store, "zyzzyva") == []
        assert titles(store, "patience", include_bodies=False) == []
        assert titles(store, "title", include_bodies=False) == [
            "a title 0",
            "a title 1",
            "b title 0",
            "b title 1",
            "c title 0",
        ]
    finally:
        store.close()


def test_index_caches_survive_repeated_searches_and_see_changes(tmp_path: Path) -> None:
    store = library(tmp_path)
    try:
        index = SearchIndex(store)
        query = parse_query("patience", NOW)
        first = [a.title for a in index.search(query, store.articles())]
        assert [a.title for a in index.search(query, store.articles())] == first
        # A renamed feed is searchable under its new name at once.
        feed = store.feeds()[2]
        store.update_feed(feed.id, title="Renamed Zebra")
        renamed = index.search(parse_query("zebra", NOW), store.articles())
        assert [a.feed_id for a in renamed] == [feed.id]
        # New bodies of a refreshed feed are searched once its cache is dropped.
        store.merge_articles(
            feed.id,
            [NewArticle("new", "new one", "https://c.example.com/n", "", NOW, "<p>quokka</p>")],
            NOW,
        )
        index.forget_feed(feed.id)
        assert [a.title for a in index.search(parse_query("quokka", NOW), store.articles())] == [
            "new one"
        ]
    finally:
        store.close()
