"""Pilot tests for reading: `f` full text (cached, toggled, failures kept plain), numbered
links `1`-`9`, the `L` link picker, `F` always-full-text, and the reading position."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList

from tests.conftest import NOW
from tests.pilot_helpers import MessageLog, settle
from tests.unit.test_fulltext import PageServer, news_page
from tui_reader.app import TuiReader
from tui_reader.models import NewArticle
from tui_reader.screens.link_picker import LinkPickerScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store

FEED_BODY = (
    "<p>Teaser: sleepers are back. Read the <a href='https://one.example/a'>first</a>, "
    "the <a href='https://two.example/b'>[bold]second[/bold]</a> and "
    "<a href='javascript:alert(1)'>a refused one</a>.</p><img src='https://i.example/x.png' "
    "alt='A [red]map[/red]'>"
)


@pytest.fixture
def pages() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


@pytest.fixture
def reading_store(tmp_path: Path, pages: PageServer) -> Iterator[Store]:
    """One feed, three articles: a good page, a failing page, and a very long feed body."""
    pages.add("/good", news_page())
    pages.add("/gone", "<h1>Gone</h1>", status=410)
    long_body = "".join(f"<p>Paragraph {n} of a long article.</p>" for n in range(200))
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("https://rail.example/feed", "Rail", "News")
    store.merge_articles(
        feed.id,
        [
            NewArticle("good", "Good page", pages.base + "/good", "", NOW, FEED_BODY),
            NewArticle(
                "gone",
                "Gone page",
                pages.base + "/gone",
                "",
                NOW - timedelta(hours=1),
                "<p>Feed text of the gone page.</p>",
            ),
            NewArticle(
                "long", "Long read", pages.base + "/long", "", NOW - timedelta(hours=2), long_body
            ),
        ],
        NOW,
    )
    try:
        yield store
    finally:
        store.close()


def body_text(screen: MainScreen) -> str:
    from textual.widgets import Markdown

    return screen.reader.query_one("#reader-body", Markdown).source.replace("\\", "")


async def open_article(pilot: Pilot[None], screen: MainScreen, title: str) -> None:
    article = next(a for a in screen.article_list.articles if a.title == title)
    screen.show_article(article)
    await settle(pilot, lambda: screen.reader.body_settled)


async def test_f_fetches_once_toggles_and_reads_offline(
    reading_store: Store, pages: PageServer
) -> None:
    app = TuiReader(reading_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter")
        await open_article(pilot, screen, "Good page")
        assert "Teaser" in body_text(screen)
        await pilot.press("f")
        await settle(pilot, lambda: screen.reader.showing_full and screen.reader.body_settled)
        text = body_text(screen)
        assert "Sleeper services are coming back" in text
        assert "Caledonian" not in text and "Subscribe today" not in text
        article_id = screen.reader.current.article_id
        record = reading_store.full_text(article_id)
        assert record is not None and "Sleeper services" in record["html"]
        assert pages.requests["/good"] == 1
        # f again: back to the feed's text; and once more: the full text, from the cache.
        await pilot.press("f")
        await settle(pilot, lambda: not screen.reader.showing_full)
        assert "Teaser" in body_text(screen)
        await pilot.press("f")
        await settle(pilot, lambda: screen.reader.showing_full and screen.reader.body_settled)
        assert "Sleeper services" in body_text(screen)
        # Numbered links now come from the full text.
        assert any(link.url.endswith("/capsule") for link in screen.reader.links)
        assert pages.requests["/good"] == 1


async def test_failure_says_so_and_keeps_the_feed_text(
    reading_store: Store, pages: PageServer
) -> None:
    app = TuiReader(reading_store)
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await open_article(pilot, screen, "Gone page")
        await pilot.press("f")
        await settle(pilot, lambda: pages.requests["/gone"] == 1)
        await settle(
            pilot, lambda: any("No full text" in str(n.message) for n in log.notifications)
        )
        message = next(
            str(n.message) for n in log.notifications if "No full text" in str(n.message)
        )
        assert "410" in message
        assert not screen.reader.showing_full
        assert "Feed text of the gone page" in body_text(screen)
        # The failure is on that article only: the other one still works.
        await open_article(pilot, screen, "Good page")
        await pilot.press("f")
        await settle(pilot, lambda: screen.reader.showing_full and screen.reader.body_settled)
        assert "Sleeper services" in body_text(screen)


async def test_digits_and_link_picker_open_through_the_policy(
    reading_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TuiReader(reading_store)
    opened: list[str] = []
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        monkeypatch.setattr(screen, "open_url", opened.append)
        await open_article(pilot, screen, "Good page")
        # Two links pass the policy (javascript: is text only); the image is a placeholder.
        assert [link.url for link in screen.reader.links] == [
            "https://one.example/a",
            "https://two.example/b",
        ]
        assert "image 1: A [red]map[/red]" in body_text(screen)
        await pilot.press("2", "1", "9")
        assert opened == ["https://two.example/b", "https://one.example/a"]
        assert any("no link 9" in str(n.message) for n in log.notifications)
        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        picker = app.screen
        assert isinstance(picker, LinkPickerScreen)
        options = picker.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        # Texts from the page are literal: markup-looking text is shown as typed.
        assert "[bold]second[/bold]" in prompts[1]
        assert "A [red]map[/red]" in prompts[2] and "https://i.example/x.png" in prompts[2]
        await pilot.press("down", "enter")
        await settle(pilot, lambda: app.screen is screen)
        assert opened[-1] == "https://two.example/b"


async def test_reading_position_is_restored(reading_store: Store) -> None:
    app = TuiReader(reading_store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await open_article(pilot, screen, "Long read")
        long_id = screen.reader.current.article_id
        screen.reader.scroll_to(y=60, animate=False, immediate=True)
        await pilot.pause(0.1)
        await open_article(pilot, screen, "Gone page")
        assert reading_store.reading_position(long_id) == (60, False)
        assert screen.reader.scroll_y == 0
        await open_article(pilot, screen, "Long read")
        assert screen.reader.scroll_y == 60
    # And after the app is gone (a fresh open of the library).
    assert reading_store.reading_position(long_id) == (60, False)


async def test_full_text_mode_is_restored_with_the_position(reading_store: Store) -> None:
    app = TuiReader(reading_store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await open_article(pilot, screen, "Good page")
        await pilot.press("f")
        await settle(pilot, lambda: screen.reader.showing_full and screen.reader.body_settled)
        await open_article(pilot, screen, "Gone page")
        await open_article(pilot, screen, "Good page")
        await settle(pilot, lambda: screen.reader.showing_full and screen.reader.body_settled)
        assert "Sleeper services" in body_text(screen)


async def test_F_on_a_feed_toggles_always_full_text(reading_store: Store) -> None:
    feed = reading_store.feeds()[0]
    app = TuiReader(reading_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        node = screen.sidebar.node_for("category:News")
        while screen.sidebar.cursor_node is not node:
            await pilot.press("j")
        await pilot.press("l", "j")
        assert screen.selected_feed() == feed
        await pilot.press("F")
        assert reading_store.full_text_feeds() == {feed.id}
        await pilot.press("F")
        assert reading_store.full_text_feeds() == set()
