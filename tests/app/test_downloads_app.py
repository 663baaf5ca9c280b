"""E and D in the reader (issue 18 part 1), against a podcast served on 127.0.0.1: E on an
episode offers Play / Download, the download runs in a worker while the UI goes on, the
reading pane then lists the file as downloaded, D shows the queue with a progress bar per
file, and its keys retry and cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import ProgressBar, Static

from tests.pilot_helpers import MessageLog, settle
from tests.support.podcastfeed import PodcastServer, serve_podcast
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.feeds.refresh import refresh_feeds
from tui_reader.screens.downloads import DownloadsScreen, JobRow
from tui_reader.screens.enclosure_dialog import EnclosureScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store

ITEMS = [
    ("Episode 1", "{base}episode1.mp3", "audio/mpeg"),
    ("Lost episode", "{base}missing.mp3", "audio/mpeg"),
]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Store, PodcastServer]]:
    with serve_podcast(tmp_path / "site", ITEMS) as podcast:
        store = Store.open(tmp_path / "lib")
        store.add_feed(podcast.feed_url)
        asyncio.run(refresh_feeds(store, store.feeds()))
        try:
            yield store, podcast
        finally:
            store.close()


def reader_files(screen: MainScreen) -> str:
    return str(screen.reader.query_one("#reader-enclosures", Static).render())


async def test_e_downloads_and_d_shows_the_queue(
    served: tuple[Store, PodcastServer], tmp_path: Path
) -> None:
    store, podcast = served
    downloads = tmp_path / "downloads"
    app = TuiReader(store, Config(download_dir=str(downloads), mark_read_on_open=False))
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        episode = next(a for a in screen.article_list.articles if a.title == "Episode 1")
        screen.show_article(episode)
        await settle(pilot, lambda: screen.reader.body_settled)
        assert "downloaded:" not in reader_files(screen)
        # Without a player, Play says how to set one.
        await pilot.press("E")
        await settle(pilot, lambda: isinstance(app.screen, EnclosureScreen))
        await pilot.press("p")
        await settle(pilot, lambda: app.screen is screen)
        assert any("No player is set" in n.message for n in log.notifications)
        # Download: in the background, then listed in the pane.
        await pilot.press("E")
        await settle(pilot, lambda: isinstance(app.screen, EnclosureScreen))
        await pilot.press("d")
        await settle(pilot, lambda: app.screen is screen)
        saved = downloads / "Loopback Cast" / "Episode 1.mp3"
        await settle(pilot, lambda: "downloaded:" in reader_files(screen))
        assert saved.read_bytes() == podcast.files["episode1.mp3"]
        assert f"downloaded: {saved}" in reader_files(screen)
        assert any(n.message == "Downloaded: Episode 1" for n in log.notifications)
        # The other episode's file is missing on the server: it fails, in words.
        lost = next(a for a in screen.article_list.articles if a.title == "Lost episode")
        screen.show_article(lost)
        await settle(pilot, lambda: screen.reader.body_settled)
        await pilot.press("E")
        await settle(pilot, lambda: isinstance(app.screen, EnclosureScreen))
        await pilot.press("d")
        queue = screen.podcasts.queue
        await settle(pilot, lambda: len(queue.jobs) == 2 and queue.jobs[1].state == "failed")
        # D: one row per download, each with its bar.
        await pilot.press("D")
        await settle(pilot, lambda: isinstance(app.screen, DownloadsScreen))
        queue_screen = app.screen
        assert isinstance(queue_screen, DownloadsScreen)
        await pilot.pause()
        rows = queue_screen.rows()
        assert [row.job.state for row in rows] == ["done", "failed"]
        bars = [row.query_one(ProgressBar) for row in rows]
        assert bars[0].percentage == 1.0
        assert "failed: HTTP 404 Not Found" in str(rows[1].query_one(".job-line").render())
        # r retries the highlighted (failed) one: it fails again; c then cancels it.
        await pilot.press("down", "r")
        await settle(pilot, lambda: queue.jobs[1].state == "failed")
        requests = [r for r in podcast.counters.as_dict()["by_status"].items() if r[0] == "404"]
        assert requests == [("404", 2)]
        await pilot.press("c")
        await settle(pilot, lambda: queue.jobs[1].state == "cancelled")
        assert "cancelled" in str(rows[1].query_one(".job-line").render())
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen)
    assert isinstance(rows[0], JobRow)


HOSTILE_TITLE = "[b]Bold[/b] [@click=app.quit]quit[/] \x1b[31mred"


async def test_feed_text_in_the_dialog_and_the_queue_is_literal(tmp_path: Path) -> None:
    items = [(HOSTILE_TITLE, "{base}missing.mp3?[red]x[/red]", "audio/[i]mpeg[/i]")]
    with serve_podcast(tmp_path / "site", items) as podcast:
        store = Store.open(tmp_path / "lib")
        try:
            store.add_feed(podcast.feed_url)
            await refresh_feeds(store, store.feeds())
            app = TuiReader(store, Config(download_dir=str(tmp_path / "dl")))
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                (article,) = screen.article_list.articles
                screen.show_article(article)
                await settle(pilot, lambda: screen.reader.body_settled)
                await pilot.press("E")
                await settle(pilot, lambda: isinstance(app.screen, EnclosureScreen))
                dialog_text = " ".join(str(w.render()) for w in app.screen.query(Static))
                assert "[b]Bold[/b] [@click=app.quit]quit[/]" in dialog_text
                await pilot.press("d")
                queue = screen.podcasts.queue
                await settle(pilot, lambda: queue.jobs and queue.jobs[0].state == "failed")
                await pilot.press("D")
                await settle(pilot, lambda: isinstance(app.screen, DownloadsScreen))
                await pilot.pause()
                assert isinstance(app.screen, DownloadsScreen)
                (row,) = app.screen.rows()
                line = str(row.query_one(".job-line").render())
                assert line.startswith("[b]Bold[/b] [@click=app.quit]quit[/]")
                assert "\x1b" not in line
                await pilot.click(".job-line")
                assert app.is_running
        finally:
            store.close()
    assert not (tmp_path / "dl").exists() or not any((tmp_path / "dl").rglob("*.mp3"))
