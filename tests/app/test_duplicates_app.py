"""Issue 18 part 6 in the reader: three feeds on the loopback feed server carry one story
(its link written three ways); after a real refresh it shows once in All and in search,
the reading pane says where else it is, and marking it read (or undoing that) changes
every copy in the store. With `merge_duplicates = false` the three copies show."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.app.test_app_find import type_search
from tests.pilot_helpers import settle
from tests.support.paths import FEEDSERVER
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.views import ALL, View

# The same story as three feeds link it: tracking parameters, http and a trailing slash,
# host case and a fragment.
LINKS = {
    "alpha": "https://news.example.com/2026/12/shared-story?utm_source=alpha&amp;utm_medium=rss",
    "beta": "http://news.example.com/2026/12/shared-story/",
    "gamma": "https://NEWS.example.com/2026/12/shared-story#comments",
}
# A feed title is untrusted text: it must reach the pane literally.
TITLES = {"alpha": "Alpha", "beta": "Beta [b]Wire[/b]", "gamma": "Gamma"}


def rss(name: str) -> str:
    return f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>{TITLES[name]}</title><link>https://{name}.example.org/</link>
<description>{name}</description>
<item><title>Shared story</title><link>{LINKS[name]}</link><guid isPermaLink="false">{name}-1</guid>
<pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate>
<description>The shared story, via {name}.</description></item>
<item><title>Own story of {name}</title><link>https://{name}.example.org/own</link>
<guid isPermaLink="false">{name}-2</guid><pubDate>Sat, 05 Dec 2026 09:00:00 GMT</pubDate>
<description>Only {name} has this one.</description></item>
</channel></rss>"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    for name in LINKS:
        (root / f"{name}.xml").write_text(rss(name), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(FEEDSERVER), str(root), "--port", "0", "--max-seconds", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    try:
        yield url.rstrip("/")
    finally:
        process.terminate()
        process.wait(timeout=10)


def subscribed(path: Path, base: str) -> Store:
    store = Store.open(path)
    for name in LINKS:
        store.add_feed(f"{base}/{name}.xml", "", "News")
    return store


def titles(screen: MainScreen) -> list[str]:
    return [a.title for a in screen.article_list.articles]


async def refresh(pilot: object, screen: MainScreen, store: Store) -> None:
    screen.action_refresh_all()
    await settle(pilot, lambda: not screen.refreshing and len(store) == 6)  # type: ignore[arg-type]
    await settle(pilot, lambda: len(screen.article_list.articles) > 0)  # type: ignore[arg-type]


async def test_three_feeds_one_story_shows_once(served: str, tmp_path: Path) -> None:
    store = subscribed(tmp_path / "lib", served)
    app = TuiReader(store)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await refresh(pilot, screen, store)
            await settle(pilot, lambda: len(titles(screen)) == 4)
            assert titles(screen).count("Shared story") == 1
            assert len(store.feeds()) == 3
            copies = [a for a in store.articles() if a.title == "Shared story"]
            assert len(copies) == 3
            # Counts match the rows: 4 unread stories in All, 2 per feed.
            assert screen.counts["all:"] == 4
            assert screen.counts["category:News"] == 4
            assert all(n == 2 for k, n in screen.counts.items() if k.startswith("feed:"))
            # A feed's own view shows its own copy.
            beta = next(f for f in store.feeds() if f.url.endswith("/beta.xml"))
            screen.go_to(View("feed", beta.id, label=beta.display_title))
            await settle(pilot, lambda: len(titles(screen)) == 2)
            (own,) = [a for a in screen.article_list.articles if a.title == "Shared story"]
            assert own.feed_id == beta.id

            # Search (the whole library) finds the story once.
            screen.go_to(ALL)
            await type_search(pilot, screen, "shared")
            await settle(pilot, lambda: titles(screen) == ["Shared story"])
            await pilot.press("escape")
            await settle(pilot, lambda: len(titles(screen)) == 4)

            # Reading it marks every copy read, and says where else it is.
            shown = next(a for a in screen.article_list.articles if a.title == "Shared story")
            screen.show_article(shown)
            await settle(pilot, lambda: screen.reader.body_settled)
            byline = str(screen.reader.query_one("#reader-byline", Static).render())
            also = byline.split("also in: ", 1)[1]
            for feed in store.feeds():  # literal titles (one holds markup), not its own
                assert (feed.title in also) == (feed.id != shown.feed_id), feed.title
            assert all(store.is_read(c.id) for c in copies)
            assert screen.counts["all:"] == 3
            # z takes it back on every copy; m marks every copy again.
            await pilot.press("z")
            assert not any(store.is_read(c.id) for c in copies)
            assert screen.counts["all:"] == 4
            screen.article_list.focus()
            screen.article_list.select_article(shown.id)
            await pilot.press("m")
            assert all(store.is_read(c.id) for c in copies)
            assert screen.counts["all:"] == 3
            # A copy marked unread elsewhere (a sync server knows no groups): the story
            # counts as unread once, and "mark all read" reaches that copy too.
            store.set_read([c.id for c in copies if c.id != shown.id][:1], False)
            screen.recount()
            assert screen.counts["all:"] == 4
            await pilot.press("A", "y")
            assert not any(store.is_read(c.id) is False for c in copies)
            assert store.unread_count() == 0 and screen.counts["all:"] == 0
    finally:
        store.close()


async def test_switched_off_every_copy_shows(served: str, tmp_path: Path) -> None:
    store = subscribed(tmp_path / "lib", served)
    app = TuiReader(store, Config(merge_duplicates=False))
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await refresh(pilot, screen, store)
            await settle(pilot, lambda: len(titles(screen)) == 6)
            assert titles(screen).count("Shared story") == 3
            assert store.duplicates is None
            first = next(a for a in screen.article_list.articles if a.title == "Shared story")
            screen.show_article(first)
            copies = [a for a in store.articles() if a.title == "Shared story"]
            assert [store.is_read(c.id) for c in copies].count(True) == 1
            byline = str(screen.reader.query_one("#reader-byline", Static).render())
            assert "also in" not in byline
    finally:
        store.close()
