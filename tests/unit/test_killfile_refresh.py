"""Drop rules against a real refresh on 127.0.0.1: what a rule drops is never written to
the library (headers, bodies, the parser processes' staged files), starred articles are
never dropped, and what is already stored is hidden instead."""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli_loopback import rss, serve
from tests.unit.test_refresh import Served, generate, import_into
from tests.unit.test_refresh import serve as serve_corpus
from tests.unit.test_refresh import stop as stop_corpus
from tui_reader.config import apply_to_store, config_from_dict
from tui_reader.feeds import parse_pool
from tui_reader.feeds.parse import parse_feed
from tui_reader.feeds.refresh import RefreshSummary, refresh_feeds
from tui_reader.models import NewArticle
from tui_reader.store import Store, article_id


def refresh(store: Store) -> RefreshSummary:
    return asyncio.run(refresh_feeds(store, store.feeds()))


def use_rules(store: Store, toml: str) -> None:
    config = config_from_dict(tomllib.loads(toml))
    assert config.warnings == ()
    apply_to_store(config, store)


def library_bytes(library: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in library.rglob("*") if p.is_file()}


def ascii_piece(html: str) -> str:
    """A stretch of a body that JSON stores as it is (no quote, backslash or non-ASCII)."""
    best = ""
    current = ""
    for char in html:
        if char.isascii() and char.isprintable() and char not in '"\\<>&':
            current += char
            best = max(best, current, key=len)
        else:
            current = ""
    return best[:60]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """24 feeds (enough for the parser processes and their bodies files) x 6 items."""
    root = tmp_path_factory.mktemp("killcorpus")
    generate(root, parse_pool.POOL_MIN_FEEDS + 4, 6)
    served = serve_corpus(root)
    try:
        yield served
    finally:
        stop_corpus(served)


def corpus_items(root: Path) -> list[tuple[dict[str, str], NewArticle]]:
    """Every item of the corpus as the parser reads it, with its feed's manifest record."""
    manifest = json.loads((root / "manifest.json").read_text())
    now = datetime.now(UTC)
    found = []
    for record in manifest["feeds"]:
        data = (root / record["file"]).read_bytes()
        parsed = parse_feed(data, url="http://127.0.0.1/" + record["file"], fetched_at=now)
        found += [(record, item) for item in parsed.articles]
    return found


def names(item: NewArticle) -> list[str]:
    return [n.lower() for n in (item.authors or (item.author,))]


def test_drop_rules_keep_what_they_drop_off_the_disk(corpus: Served, tmp_path: Path) -> None:
    items = corpus_items(corpus.root)
    # An author who writes in several categories: the rule drops them in one only.
    by_category = Counter((r["category"], n) for r, item in items for n in names(item))
    category, author = next(
        (c, n)
        for (c, n), _count in by_category.most_common()
        if any(n in names(i) and r["category"] != c for r, i in items)
    )
    library = tmp_path / "lib"
    store = Store.open(library)
    try:
        import_into(store, corpus.root / "feeds.opml")
        use_rules(
            store, f"[[ignore]]\nquery = 'cat:{category} author:\"{author}\"'\nmode = 'drop'\n"
        )
        # Which feeds' first bodies file a parser process was allowed to write (staged
        # on disk before the store sees the articles): never one a drop rule may touch.
        staged: list[str] = []
        first_bodies_dir = store.first_bodies_dir

        def spy(feed_id: str) -> Path | None:
            staged.append(feed_id)
            return first_bodies_dir(feed_id)

        store.first_bodies_dir = spy  # type: ignore[method-assign]
        summary = refresh(store)
        assert summary.failed == []
        in_category = {f.id for f in store.feeds() if f.category == category}
        assert not in_category & set(staged)
        if parse_pool.pool_is_possible():
            assert staged  # the other feeds still take the fast path
        # http://127.0.0.1:PORT/feeds/f0001.xml -> feeds/f0001.xml, the manifest's name
        feed_of = {f.url.split("/", 3)[3]: f for f in store.feeds()}
        dropped: list[tuple[str, NewArticle]] = []
        kept_elsewhere: list[tuple[str, str]] = []
        for record, item in items:
            feed = feed_of[record["file"]]
            aid = article_id(feed.id, item.key)
            if author not in names(item):
                continue
            if record["category"] == category:
                dropped.append((aid, item))
            else:
                kept_elsewhere.append((aid, feed.id))
        assert dropped and kept_elsewhere
        stored = {a.id for a in store.articles(include_hidden=True)}
        assert len(stored) == len(items) - len(dropped)
        assert summary.new_articles == len(stored)
        assert not any(aid in stored for aid, _ in dropped)
        assert all(aid in stored for aid, _ in kept_elsewhere)
        store.flush()
    finally:
        store.close()
    files = library_bytes(library)
    assert not [p for p in files if ".tmp-" in p.name]  # no staged bodies left behind
    everything = b"".join(files.values())
    for aid, item in dropped:
        assert aid.encode() not in everything
        piece = ascii_piece(item.body_html)
        assert len(piece) >= 20, item.body_html[:200]
        assert piece.encode() not in everything, piece
    for aid, feed_id in kept_elsewhere:  # the same author elsewhere: stored, body and all
        assert aid.encode() in files[library / "bodies" / f"{feed_id}.json"]


def test_starred_articles_are_never_dropped_and_stored_matches_are_hidden(
    tmp_path: Path,
) -> None:
    documents = {"a.xml": rss("Alpha", ["k1", "k2", "k3"]), "b.xml": rss("Beta", ["b1"])}
    library = tmp_path / "lib"
    with serve(documents) as base:
        store = Store.open(library)
        try:
            alpha, _ = store.add_feed(f"{base}/a.xml", "Alpha", "News")
            store.add_feed(f"{base}/b.xml", "Beta", "News")
            assert refresh(store).new_articles == 4
            k1, k2 = article_id(alpha.id, "k1"), article_id(alpha.id, "k2")
            store.set_starred([k1])
            # The rule arrives; the feed publishes two more and edits k1 and k2.
            use_rules(store, "[[ignore]]\nquery = 'feed:alpha'\nmode = 'drop'\n")
            documents["a.xml"] = rss("Alpha", ["k1", "k2", "k3", "k4", "k5"]).replace(
                b"Text of k", b"Edited text of k"
            )
            assert refresh(store).new_articles == 0
            everything = {a.id for a in store.articles(include_hidden=True)}
            assert article_id(alpha.id, "k4") not in everything
            assert article_id(alpha.id, "k5") not in everything
            # Starred: kept, shown, and still updated by the feed.
            assert [a.id for a in store.articles([alpha.id])] == [k1]
            assert "Edited text of k1" in store.body(k1)
            # Stored before the rule, not starred: kept as it was, but hidden.
            assert k2 in everything and store.hidden.contains(k2)
            assert "Edited" not in store.body(k2)
            assert store.unread_counts_by_feed()[alpha.id] == 1
            store.flush()
        finally:
            store.close()
    everything_on_disk = b"".join(library_bytes(library).values())
    for key in (b"k4", b"k5"):
        assert b"https://example.com/" + key not in everything_on_disk
        assert b"text of " + key not in everything_on_disk
