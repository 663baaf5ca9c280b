"""Issue 16 beyond the parser: several authors and enclosures (files) kept in the library,
shown in the reading pane and the `L` picker, listed by `list --json`, found by `author:`.

Covers the layout in docs/storage.md: `authors` in a header only when `author` does not say
it, an enclosure count in the header and the files themselves (and the picture) with the
body; a library written before (no such keys) opens with every article as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from tests.conftest import NOW
from tui_reader.__main__ import main
from tui_reader.htmltext import word_count
from tui_reader.models import (
    ArticleMedia,
    Enclosure,
    NewArticle,
    clock_duration,
    human_size,
)
from tui_reader.query import parse_query
from tui_reader.search import search
from tui_reader.store import Store, article_id
from tui_reader.store.records import encode_new_bodies

EPISODE = Enclosure("https://cdn.example.com/ep12.mp3", "audio/mpeg", 12_345_678, 3723)
# Markup-looking text from a feed must show as typed, never style anything.
TRANSCRIPT = Enclosure("https://cdn.example.com/ep12.txt", "text/[bold]plain[/bold]", 512, None)
PICTURE = "https://cdn.example.com/ep12.jpg"
AUTHORS = ("Ada Lovelace", "Grace [red]Hopper[/red]")


def episode(key: str = "ep12", **changes: object) -> NewArticle:
    item = NewArticle(
        key=key,
        title="Episode 12: engines",
        link=f"https://pod.example.com/{key}",
        author="Ada Lovelace and Grace [red]Hopper[/red]",
        published=NOW,
        body_html="<p>Show notes, with a <a href='https://notes.example/a'>link</a>.</p>",
        authors=AUTHORS,
        enclosures=(EPISODE, TRANSCRIPT),
        image=PICTURE,
    )
    return replace(item, **changes)  # type: ignore[arg-type]


def plain(key: str, author: str = "Solo Writer", hours: int = 1) -> NewArticle:
    return NewArticle(
        key=key,
        title=f"Plain {key}",
        link=f"https://pod.example.com/{key}",
        author=author,
        published=NOW - timedelta(hours=hours),
        body_html=f"<p>Text of {key}.</p>",
    )


def open_podcast(path: Path) -> Store:
    """A library with one feed: an episode with two authors and two files, an article by
    one author and one by nobody."""
    store = Store.open(path)
    feed, _ = store.add_feed("https://pod.example.com/feed", "Engines Pod", "Audio")
    store.merge_articles(feed.id, [episode(), plain("notes"), plain("anon", author="")], NOW)
    return store


@pytest.fixture
def podcast(tmp_path: Path) -> Iterator[Store]:
    store = open_podcast(tmp_path / "lib")
    try:
        yield store
    finally:
        store.close()


def feed_id_of(store: Store) -> str:
    return store.feeds()[0].id


def shard(store: Store, kind: str) -> dict[str, dict[str, object]]:
    store.flush()
    data = orjson.loads((store.directory / kind / f"{feed_id_of(store)}.json").read_bytes())
    table = data["articles" if kind == "headers" else "bodies"]
    return {doc["id"]: doc for doc in table.values()}


def test_sizes_and_durations_for_people() -> None:
    assert human_size(0) == "0 bytes" and human_size(1) == "1 byte"
    assert human_size(999) == "999 bytes"
    assert human_size(1000) == "1.0 kB"
    assert human_size(12_345_678) == "12.3 MB"
    assert human_size(123_456_789) == "123 MB"
    assert human_size(999_999_999) == "1.0 GB"
    assert human_size(2_500_000_000_000) == "2.5 TB"
    assert clock_duration(45) == "0:45"
    assert clock_duration(123) == "2:03"
    assert clock_duration(3723) == "1:02:03"
    assert clock_duration(36_000) == "10:00:00"
    assert EPISODE.describe() == "Audio (audio/mpeg) · 12.3 MB · 1:02:03"
    assert Enclosure("https://x.example/f").describe() == "File"
    assert Enclosure("https://x.example/v", "video/mp4", None, 65).describe() == (
        "Video (video/mp4) · 1:05"
    )


def test_authors_files_and_picture_survive_a_reopen(podcast: Store) -> None:
    feed_id = feed_id_of(podcast)
    ep_id = article_id(feed_id, "ep12")
    podcast.close()
    with Store.open(podcast.directory) as again:
        ep = again.article(ep_id)
        assert ep is not None
        assert ep.authors == AUTHORS and ep.enclosure_count == 2
        assert ep.author == "Ada Lovelace and Grace [red]Hopper[/red]"
        notes = again.article(article_id(feed_id, "notes"))
        anon = again.article(article_id(feed_id, "anon"))
        assert notes is not None and notes.authors == ("Solo Writer",)
        assert notes.enclosure_count == 0
        assert anon is not None and anon.authors == () and anon.author == ""
        media = again.media_of_feed(feed_id)
        assert media == {ep_id: ArticleMedia((EPISODE, TRANSCRIPT), PICTURE)}
        assert again.body(ep_id).startswith("<p>Show notes")


def test_headers_stay_small_and_files_live_with_the_body(podcast: Store) -> None:
    headers = shard(podcast, "headers")
    bodies = shard(podcast, "bodies")
    feed_id = feed_id_of(podcast)
    ep_id, notes_id = article_id(feed_id, "ep12"), article_id(feed_id, "notes")
    # What the first paint reads: the names only when `author` does not say them, and
    # how many files; never the files themselves.
    assert headers[ep_id]["authors"] == list(AUTHORS)
    assert headers[ep_id]["enclosures"] == 2
    assert "image" not in headers[ep_id]
    old_keys = {"id", "key", "title", "link", "author", "published", "fetched", "words"}
    assert set(headers[notes_id]) == old_keys
    assert set(headers[article_id(feed_id, "anon")]) == old_keys
    assert bodies[ep_id]["enclosures"] == [
        {"url": EPISODE.url, "type": "audio/mpeg", "length": 12_345_678, "duration": 3723},
        {"url": TRANSCRIPT.url, "type": TRANSCRIPT.mime_type, "length": 512, "duration": None},
    ]
    assert bodies[ep_id]["image"] == PICTURE
    assert set(bodies[notes_id]) == {"id", "html"}


def _old_library(path: Path) -> tuple[str, str, str]:
    """A library as the previous format wrote it (no authors, counts or files), by hand."""
    feed_id = "0a1b2c3d"
    first, second = article_id(feed_id, "k1"), article_id(feed_id, "k2")
    for sub in ("headers", "flags", "bodies"):
        (path / sub).mkdir(parents=True)
    main_doc = {
        "meta": {"1": {"schema": 1, "created": 1764417600.0}},
        "feeds": {
            "1": {
                "id": feed_id,
                "url": "https://old.example.com/feed",
                "title": "Old feed",
                "category": "Old",
                "site_url": "",
                "etag": '"e"',
                "last_modified": None,
                "last_checked": 1764417600.0,
                "last_success": 1764417600.0,
                "last_error": None,
                "failures": 0,
            }
        },
        "settings": {},
    }
    header = {
        "key": "k1",
        "title": "Written long ago",
        "link": "https://old.example.com/1",
        "author": "Old Hand",
        "published": 1764417600.0,
        "fetched": 1764417600.0,
        "words": 3,
    }
    headers = {
        "articles": {
            "1": {"id": first, **header},
            "2": {"id": second, **header, "key": "k2", "author": "", "title": "No author"},
        }
    }
    bodies = {"bodies": {"1": {"id": first, "html": "<p>Old text here.</p>"}}}
    flags = {"flags": {"1": {"read": [first], "starred": [], "gone": []}}}
    (path / "library.json").write_bytes(orjson.dumps(main_doc))
    for kind, doc in (("headers", headers), ("bodies", bodies), ("flags", flags)):
        (path / kind / f"{feed_id}.json").write_bytes(orjson.dumps(doc))
    return feed_id, first, second


def test_changed_files_update_the_article_and_unchanged_ones_do_not(podcast: Store) -> None:
    feed_id = feed_id_of(podcast)
    ep_id = article_id(feed_id, "ep12")
    assert podcast.merge_articles(feed_id, [episode()], NOW).updated == 0
    moved = replace(EPISODE, url="https://mirror.example.com/ep12.mp3")
    result = podcast.merge_articles(feed_id, [episode(enclosures=(moved,), image="")], NOW)
    assert result.updated == 1
    assert podcast.media_of_feed(feed_id)[ep_id] == ArticleMedia((moved,))
    article = podcast.article(ep_id)
    assert article is not None and article.enclosure_count == 1
    # All files gone: nothing left with the body, and no count in the header.
    podcast.merge_articles(feed_id, [episode(enclosures=(), image="")], NOW)
    assert ep_id not in podcast.media_of_feed(feed_id)
    assert "enclosures" not in shard(podcast, "headers")[ep_id]
    assert set(shard(podcast, "bodies")[ep_id]) == {"id", "html"}


def test_a_parser_processes_bodies_file_carries_the_files(tmp_path: Path) -> None:
    with Store.open(tmp_path / "lib") as store:
        feed, _ = store.add_feed("https://pod.example.com/feed", "Pod")
        items = [episode(), plain("notes")]
        bare = [replace(a, body_html="", words=word_count(a.body_html)) for a in items]
        encoded = encode_new_bodies(feed.id, items, store.directory / "bodies")
        store.merge_articles(feed.id, bare, NOW, encoded)
        ep_id = article_id(feed.id, "ep12")
        assert store.media_of_feed(feed.id)[ep_id].enclosures == (EPISODE, TRANSCRIPT)
    with Store.open(tmp_path / "lib") as store:
        assert store.media_of_feed(feed.id)[ep_id] == ArticleMedia((EPISODE, TRANSCRIPT), PICTURE)
        article = store.article(ep_id)
        assert article is not None and article.enclosure_count == 2


def test_retention_drops_the_files_with_the_article(podcast: Store) -> None:
    feed_id = feed_id_of(podcast)
    podcast.max_per_feed = 3
    older = episode("old", published=NOW - timedelta(days=30))
    podcast.merge_articles(feed_id, [older], NOW)
    assert podcast.article(article_id(feed_id, "old")) is None
    assert article_id(feed_id, "old") not in podcast.media_of_feed(feed_id)
    assert article_id(feed_id, "ep12") in podcast.media_of_feed(feed_id)
    assert len(shard(podcast, "bodies")) == 3


def test_damaged_or_hostile_values_on_disk_read_as_absent(podcast: Store) -> None:
    feed_id = feed_id_of(podcast)
    ep_id = article_id(feed_id, "ep12")
    headers = shard(podcast, "headers")
    bodies = shard(podcast, "bodies")
    podcast.close()
    headers[ep_id]["authors"] = ["Ada\x1b[31m", 42, None, ""]
    headers[ep_id]["enclosures"] = "many"
    bodies[ep_id]["enclosures"] = [
        {"url": "javascript:alert(1)", "type": "audio/mpeg"},
        {"url": "https://ok.example/a.mp3", "type": 7, "length": -5, "duration": True},
        "not a file",
        {"type": "audio/mpeg"},
    ]
    bodies[ep_id]["image"] = "file:///etc/passwd"
    directory = podcast.directory
    for kind, table, docs in (("headers", "articles", headers), ("bodies", "bodies", bodies)):
        numbered = {str(n): doc for n, doc in enumerate(docs.values(), 1)}
        (directory / kind / f"{feed_id}.json").write_bytes(orjson.dumps({table: numbered}))
    with Store.open(directory) as again:
        article = again.article(ep_id)
        assert article is not None
        # Sanitised as every name is (the escape character made visible, never sent).
        assert len(article.authors) == 1 and article.authors[0].startswith("Ada")
        assert "\x1b" not in article.authors[0] and article.enclosure_count == 0
        media = again.media_of_feed(feed_id)
        assert media[ep_id] == ArticleMedia((Enclosure("https://ok.example/a.mp3"),))


def test_author_filter_matches_any_one_author(
    podcast: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    def titles(text: str) -> list[str]:
        found = search(podcast, parse_query(text, NOW), podcast.articles())
        return sorted(a.title for a in found)

    assert titles("author:grace") == ["Episode 12: engines"]
    assert titles("author:lovelace") == ["Episode 12: engines"]
    assert titles('author:"[red]hopper"') == ["Episode 12: engines"]
    # The display form's joins are not a name: "lovelace and grace" spans two of them.
    assert titles('author:"lovelace and grace"') == []
    assert titles("author:solo") == ["Plain notes"]
    assert titles("-author:grace") == ["Plain anon", "Plain notes"]
    # Plain words find any author too.
    assert titles("hopper") == ["Episode 12: engines"]
    podcast.close()
    assert main(["list", "--db", str(podcast.directory), "author:ada"]) == 0
    out = capsys.readouterr().out
    assert "Episode 12" in out and "Plain" not in out


def test_author_filter_reaches_names_past_the_display_cut(tmp_path: Path) -> None:
    names = tuple(f"Contributor number {n:02d}" for n in range(40))
    with Store.open(tmp_path / "lib") as store:
        feed, _ = store.add_feed("https://many.example.com/feed", "Many")
        item = replace(plain("big"), author="(cut at 300 characters)", authors=names)
        store.merge_articles(feed.id, [item], NOW)
        found = search(store, parse_query('author:"number 39"', NOW), store.articles())
        assert [a.title for a in found] == ["Plain big"]
        found = search(store, parse_query('"number 39"', NOW), store.articles())
        assert [a.title for a in found] == ["Plain big"]


def test_the_demo_library_has_a_podcast_episode(tmp_path: Path) -> None:
    from tui_reader.demo_library import populate

    with Store.open(tmp_path / "demo") as store:
        populate(store, NOW)
        episodes = [a for a in store.articles() if a.enclosure_count]
        assert [a.title for a in episodes] == [
            "Inside a cubesat ground station run from a school roof"
        ]
        media = store.media_of_feed(episodes[0].feed_id)[episodes[0].id]
        (file,) = media.enclosures
        assert file.describe() == "Audio (audio/mpeg) · 28.4 MB · 30:34"
        assert file.url.startswith("https://loworbit.example.net/audio/")
