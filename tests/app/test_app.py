"""Pilot tests: press the keys a user presses, then check the screen and the store."""

from __future__ import annotations

import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import NOW, make_articles
from tests.pilot_helpers import MessageLog, settle
from tui_reader.app import TuiReader
from tui_reader.models import NewArticle
from tui_reader.screens.help import HelpScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.widgets.article_list import ArticleList
from tui_reader.widgets.category_sidebar import CategorySidebar
from tui_reader.widgets.reading_pane import ReadingPane


def sidebar_label(screen: MainScreen, node_id: str) -> str:
    node = screen.sidebar.node_for(node_id)
    return str(node.label)


def list_rows(screen: MainScreen) -> list[str]:
    article_list = screen.article_list
    return [article_list.render_line(y).text for y in range(article_list.size.height)]


async def test_starts_on_all_with_newest_first(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert isinstance(app.focused, CategorySidebar)
        assert app.focused.cursor_node is not None
        assert app.focused.cursor_node.data is not None
        assert app.focused.cursor_node.data.kind == "all"
        articles = screen.article_list.articles
        assert len(articles) == 15
        dates = [a.published for a in articles]
        assert dates == sorted(dates, reverse=True)
        assert sidebar_label(screen, "all:") == "All 15"


async def test_enter_walks_articles_and_marks_read(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter")  # sidebar: show All, focus moves to the list
        assert isinstance(app.focused, ArticleList)
        await pilot.press("enter")
        first = screen.article_list.articles[0]
        assert screen.reader.current is not None
        assert screen.reader.current.article_id == first.id
        assert isinstance(app.focused, ArticleList)  # focus stays in the list
        assert store.is_read(first.id)
        await pilot.press("j", "enter")
        second = screen.article_list.articles[1]
        assert screen.reader.current.article_id == second.id
        assert store.is_read(second.id)
        await pilot.pause()
        assert sidebar_label(screen, "all:") == "All 13"
        assert store.unread_count() == 13


async def test_m_and_s_toggle_flags_and_counts(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "j", "j")
        target = screen.article_list.highlighted
        assert target is not None
        await pilot.press("m")
        assert store.is_read(target.id)
        await pilot.press("s")
        assert store.is_starred(target.id)
        await pilot.pause()
        assert sidebar_label(screen, "starred:") == "Starred 1"
        assert sidebar_label(screen, "all:") == "All 14"
        await pilot.press("m", "s")
        assert not store.is_read(target.id)
        assert not store.is_starred(target.id)
        await pilot.pause()
        assert sidebar_label(screen, "all:") == "All 15"
    # Every change reached the disk: a fresh open sees the last state.
    store.flush()


async def test_flags_are_on_disk_after_the_app_closes(library_path: Path) -> None:
    store = Store.open(library_path)
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("enter", "enter", "s")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        opened = screen.article_list.articles[0].id
    store.close()
    reopened = Store.open(library_path, read_only=True)
    assert reopened.is_read(opened)
    assert reopened.is_starred(opened)
    reopened.close()


async def test_unread_only_filters_and_is_remembered(store: Store) -> None:
    store.set_read([a.id for a in store.articles()[:5]])
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("u")
        assert len(screen.article_list.articles) == 10
        assert all(not store.is_read(a.id) for a in screen.article_list.articles)
        assert store.setting("unread_only") is True
        await pilot.press("u")
        assert len(screen.article_list.articles) == 15
        assert store.setting("unread_only") is False


async def test_next_unread_crosses_views(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        sidebar = screen.sidebar
        # Open the Science category (gamma's 4 articles) and read them all with n.
        # All, Unread, Starred, Today, then the categories: Science is the fifth row.
        await pilot.press("j", "j", "j", "j")
        assert sidebar.cursor_node is sidebar.node_for("category:Science")
        await pilot.press("enter")
        assert len(screen.article_list.articles) == 4
        for _ in range(4):
            await pilot.press("n")
        science_ids = {a.id for a in store.articles([f.id for f in store.feeds_in("Science")])}
        assert all(store.is_read(i) for i in science_ids)
        # The next n leaves the category for the whole library.
        await pilot.press("n")
        assert screen.view.kind == "all"
        assert screen.reader.current is not None
        assert screen.reader.current.article_id not in science_ids
        assert store.unread_count() == 10


async def test_sidebar_opens_category_to_feeds(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        sidebar = screen.sidebar
        tech = sidebar.node_for("category:Tech")
        await pilot.press("j", "j", "j", "j", "j")
        assert sidebar.cursor_node is tech
        await pilot.press("l")
        assert tech.is_expanded
        await pilot.press("j")  # first feed in Tech: Alpha
        await pilot.press("enter")
        assert screen.view.kind == "feed"
        feed = store.feed(screen.view.key)
        assert feed is not None and feed.title == "Alpha"
        assert len(screen.article_list.articles) == 6
        await pilot.press("shift+tab")  # back to the sidebar
        await pilot.press("h")  # to the category row
        await pilot.press("h")  # close it
        assert not tech.is_expanded


async def test_tab_cycles_and_space_pages_the_reader(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("https://long.example.com/feed", "Long", "Reading")
    long_body = "".join(f"<p>Paragraph {i} with some words to read.</p>" for i in range(200))
    article = replace(make_articles("long", 1)[0], body_html=long_body)
    store.merge_articles(feed.id, [article], NOW)
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await pilot.press("enter", "enter")
            await pilot.pause()
            reader = screen.reader
            assert reader.scroll_y == 0
            await pilot.press("space")  # pages the reader while the list has focus
            await pilot.pause()
            assert reader.scroll_y > 0
            assert isinstance(app.focused, ArticleList)
            await pilot.press("tab")
            assert isinstance(app.focused, ReadingPane)
            await pilot.press("tab")
            assert isinstance(app.focused, CategorySidebar)
    finally:
        store.close()


async def test_help_screen_lists_keys(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_q_quits(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None)


async def test_empty_library_shows_welcome(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "empty")
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MainScreen)
            body = screen.reader.query_one("#reader-body")
            assert "Welcome to tui-reader" in body._markdown  # type: ignore[attr-defined]
            assert "No feeds yet" in "\n".join(list_rows(screen))
    finally:
        store.close()


def fake_browser(tmp_path: Path) -> tuple[Path, Path]:
    record = tmp_path / "argv.txt"
    script = tmp_path / "fake-browser"
    script.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, record


def wait_for(path: Path, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{path} was not written")


async def test_o_runs_browser_with_exactly_the_url(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_browser(tmp_path)
    monkeypatch.setenv("BROWSER", str(script))
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "enter", "o")
        article = screen.article_list.articles[0]
        argv = wait_for(record).splitlines()
        assert argv == [article.link]


async def test_continue_reading_button_opens_the_source(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_browser(tmp_path)
    monkeypatch.setenv("BROWSER", f"{script} --new-tab %s")
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "enter")
        await pilot.pause()
        button = screen.reader.query_one("#continue-reading")
        button.press()
        await pilot.pause()
        article = screen.article_list.articles[0]
        assert wait_for(record).splitlines() == ["--new-tab", article.link]


async def test_dangerous_link_is_refused_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, record = fake_browser(tmp_path)
    monkeypatch.setenv("BROWSER", str(script))
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("https://bad.example.com/feed", "Bad", "X")
    article = NewArticle("k", "Click me", "javascript:alert(1)", "", NOW, "<p>x</p>")
    store.merge_articles(feed.id, [article], NOW)
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            await pilot.press("enter", "enter", "o")
            await pilot.pause(0.3)
            messages = [n.message for n in log.notifications]
            assert any("javascript:alert(1)" in m and "Not opened" in m for m in messages)
            assert not record.exists()
            button = app.screen.query_one("#continue-reading")
            assert button.disabled
    finally:
        store.close()


async def test_narrow_terminal_keeps_every_pane(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.has_class("-narrow")
        for widget in (screen.sidebar, screen.article_list, screen.reader):
            assert widget.region.width > 10 and widget.region.height > 3
        await pilot.press("enter", "enter")
        assert screen.reader.current is not None


async def test_click_selects_and_opens(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.click(ArticleList, offset=(10, 2))
        await pilot.pause()
        third = screen.article_list.articles[2]
        assert screen.article_list.cursor == 2
        assert screen.reader.current is not None
        assert screen.reader.current.article_id == third.id
        assert store.is_read(third.id)


async def test_feed_text_is_never_markup(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed(
        "https://markup.example.com/feed", "[bold red]Feed[/] [@click=app.quit]x[/]", "[b]Cat"
    )
    store.merge_articles(
        feed.id,
        [
            NewArticle(
                key="k",
                title="[@click=app.quit]Click[/] [bold]x[/] :smile: list[str]",
                link="https://markup.example.com/a",
                author="[link=https://evil.example/]me[/link]",
                published=NOW,
                body_html="<p>[@click=app.quit]body[/] and [/ stray</p>",
            )
        ],
        NOW,
    )
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await pilot.press("enter", "enter")
            await pilot.pause()
            row = list_rows(screen)[0]
            assert "[@click=app.quit]Click" in row
            assert any("[b]Cat" in str(n.label) for n in screen.sidebar.nodes())
            title = screen.reader.query_one("#reader-title")
            assert "[@click=app.quit]Click[/] [bold]x[/] :smile: list[str]" in str(title.render())
            # Clicking every row and the article must not run any action.
            for y in range(3):
                await pilot.click(ArticleList, offset=(8, y))
            await pilot.click(ReadingPane, offset=(4, 2))
            await pilot.pause()
            assert app.is_running
            assert isinstance(app.screen, MainScreen)
    finally:
        store.close()


def test_no_widget_builds_markup_from_strings() -> None:
    """Static source check: widget text built from strings is never parsed as markup."""
    root = Path(__file__).resolve().parents[2] / "src" / "tui_reader"
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        for needle in ("Text.from_markup(", "markup=True", "Content.from_markup(f"):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert offenders == []


async def test_a_damaged_bodies_file_found_later_is_reported(library_path: Path) -> None:
    store = Store.open(library_path)
    feed = store.feeds()[0]
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            (library_path / "bodies" / f"{feed.id}.json").write_bytes(b"{not json")
            screen = app.screen
            assert isinstance(screen, MainScreen)
            article = next(iter(store.iter_feed_articles(feed.id)))
            screen.show_article(article)
            await pilot.pause(0.3)
            assert any("damaged" in n.message for n in log.notifications)
            assert app.is_running
    finally:
        store.close()


async def test_a_failing_worker_is_told_in_plain_words(store: Store) -> None:
    """An unexpected error in a worker is shown (as plain text) and the app carries on."""

    def boom() -> None:
        raise RuntimeError("[b]not markup[/b]")

    app = TuiReader(store)
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.run_worker(boom, thread=True, group="search", exit_on_error=False)
        await settle(pilot, lambda: any(n.severity == "error" for n in log.notifications))
        (told,) = [n for n in log.notifications if n.severity == "error"]
        assert told.message == "The search failed unexpectedly: [b]not markup[/b]"
        assert told.markup is False
        assert app.is_running
