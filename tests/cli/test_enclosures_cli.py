"""`list --json` with several authors and enclosures, and on a library in the format
written before them (issue 16; the store side is in tests/unit/test_enclosures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import NOW
from tests.unit.test_enclosures import (
    AUTHORS,
    EPISODE,
    PICTURE,
    TRANSCRIPT,
    _old_library,
    episode,
    feed_id_of,
    open_podcast,
    shard,
)
from tui_reader.__main__ import main
from tui_reader.models import NewArticle
from tui_reader.store import Store, article_id


@pytest.fixture
def podcast(tmp_path: Path) -> Iterator[Store]:
    store = open_podcast(tmp_path / "lib")
    try:
        yield store
    finally:
        store.close()


def test_a_library_in_the_previous_format_opens_and_takes_new_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old"
    feed_id, first, second = _old_library(path)
    # Read-only first (what `list` does): the old articles, with empty files and the one
    # author as the only name.
    assert main(["list", "--json", "--db", str(path)]) == 0
    rows = {row["id"]: row for row in map(orjson.loads, capsys.readouterr().out.splitlines())}
    assert rows[first]["authors"] == ["Old Hand"] and rows[first]["enclosures"] == []
    assert rows[second]["authors"] == [] and rows[second]["author"] == ""
    assert rows[first]["read"] is True
    with Store.open(path) as store:
        old = store.article(first)
        assert old is not None and old.authors == ("Old Hand",) and old.enclosure_count == 0
        assert store.media_of_feed(feed_id) == {}
        assert store.body(first) == "<p>Old text here.</p>"
        # A refresh of the old feed: the same article unchanged is not "updated", and a
        # new one with files is kept beside it.
        same = NewArticle(
            "k1",
            "Written long ago",
            "https://old.example.com/1",
            "Old Hand",
            NOW,
            "<p>Old text here.</p>",
            words=3,
            authors=("Old Hand",),
        )
        result = store.merge_articles(feed_id, [same, episode("new")], NOW)
        assert (result.new, result.updated) == (1, 0)
    with Store.open(path) as store:
        assert store.is_read(first)
        assert store.media_of_feed(feed_id)[article_id(feed_id, "new")].image == PICTURE
        assert set(shard(store, "headers")[first]) == {
            *("id", "key", "title", "link", "author", "published", "fetched", "words")
        }


def test_list_json_has_authors_and_enclosures_and_keeps_every_key(
    podcast: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_id = feed_id_of(podcast)
    podcast.close()
    assert main(["list", "--json", "--db", str(podcast.directory)]) == 0
    rows = {row["id"]: row for row in map(orjson.loads, capsys.readouterr().out.splitlines())}
    ep = rows[article_id(feed_id, "ep12")]
    assert list(ep) == [
        *("id", "feed", "feed_id", "feed_url", "category", "title", "link", "author"),
        *("authors", "published", "read", "starred", "enclosures", "downloads"),
    ]
    assert ep["author"] == "Ada Lovelace and Grace [red]Hopper[/red]"
    assert ep["authors"] == list(AUTHORS)
    assert ep["enclosures"] == [
        {"url": EPISODE.url, "type": "audio/mpeg", "length": 12_345_678, "duration": 3723},
        {"url": TRANSCRIPT.url, "type": TRANSCRIPT.mime_type, "length": 512, "duration": None},
    ]
    notes = rows[article_id(feed_id, "notes")]
    assert notes["authors"] == ["Solo Writer"] and notes["enclosures"] == []
    assert rows[article_id(feed_id, "anon")]["authors"] == []
