"""Pilot tests for search, sort and saved searches."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.pilot_helpers import settle
from tui_reader.app import TuiReader
from tui_reader.screens.dialogs import PromptScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


async def type_search(pilot: Pilot[Any], screen: MainScreen, text: str) -> None:
    """Open the search, type `text` and wait for the answer to all of it: on a slow
    machine the debounce can fire mid-word, and that earlier answer must not count."""
    await pilot.press("slash")
    assert screen.searching
    assert screen.focused is screen.find.search_box
    await pilot.press(*text)
    await settle(pilot, lambda: screen.find.answered_for == text)


def titles(screen: MainScreen) -> list[str]:
    return [a.title for a in screen.article_list.articles]


async def test_incremental_search_and_escape_restores(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "j", "j")
        before = screen.article_list.highlighted
        await type_search(pilot, screen, "gamma")
        await settle(pilot, lambda: len(screen.article_list.articles) == 4)
        assert all("gamma" in t for t in titles(screen))
        assert screen.article_list.highlight == ("gamma",)
        # Keys typed into the search box are text, not commands.
        assert not any(store.is_read(a.id) for a in store.articles())
        await pilot.press("space", "3")
        await settle(pilot, lambda: titles(screen) == ["gamma article 3"])
        await pilot.press("escape")
        assert not screen.searching
        assert len(screen.article_list.articles) == 15
        assert screen.article_list.highlighted == before


async def test_search_errors_are_shown_not_raised(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await type_search(pilot, screen, "is:maybe")
        await settle(pilot, lambda: screen.find.search_box.has_class("-invalid-query"))
        assert "is:maybe is not known" in str(screen.find.search_box.border_subtitle)
        assert app.is_running


async def test_search_in_view_or_library_and_enter_goes_to_list(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        # Open the Science category (gamma only), then search for alpha: nothing here...
        await pilot.press("j", "j", "j", "j", "enter")
        assert len(screen.article_list.articles) == 4
        await type_search(pilot, screen, "alpha")
        await settle(pilot, lambda: "match" in str(screen.find.search_box.border_subtitle))
        assert screen.article_list.articles == ()
        # ... but Ctrl+L searches the whole library.
        await pilot.press("ctrl+l")
        await settle(pilot, lambda: len(screen.article_list.articles) == 6)
        await pilot.press("enter")
        assert screen.focused is screen.article_list
        await pilot.press("enter")
        assert screen.reader.current is not None
        assert "alpha" in screen.reader.current.title


async def test_saved_search_appears_in_sidebar_and_survives_restart(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await type_search(pilot, screen, "feed:beta is:unread")
        await settle(pilot, lambda: len(screen.article_list.articles) == 5)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "Beta unread"
        await pilot.press("enter")
        await settle(
            pilot, lambda: screen.sidebar.node_for("saved:feed:beta is:unread") is not None
        )
        await settle(
            pilot,
            lambda: str(screen.sidebar.node_for("saved:feed:beta is:unread").label).endswith(" 5"),
        )
    store.flush()
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        node = screen.sidebar.node_for("saved:feed:beta is:unread")
        assert "Beta unread" in str(node.label)
        await pilot.press("j", "j", "j", "j", "enter")  # the saved search follows Today
        assert screen.view.kind == "saved"
        assert len(screen.article_list.articles) == 5


async def test_sort_cycles_and_is_remembered(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        newest = titles(screen)
        await pilot.press("t")  # oldest first
        assert titles(screen) == newest[::-1]
        await pilot.press("t")  # by title
        assert titles(screen) == sorted(newest, key=str.casefold)
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert titles(screen) == sorted(newest, key=str.casefold)
