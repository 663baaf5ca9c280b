"""Pilot tests for bulk marking, undo, the command palette and key remaps."""

from __future__ import annotations

import re
from pathlib import Path

from textual.command import CommandList
from textual.widgets import Input, Static

from tests.conftest import NOW
from tests.pilot_helpers import MessageLog, settle
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.models import NewArticle
from tui_reader.screens.dialogs import ConfirmScreen, PromptScreen
from tui_reader.screens.help import HelpScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


async def test_mark_view_read_and_undo(store: Store) -> None:
    app = TuiReader(store)
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("j", "j", "j", "j", "j", "enter")  # Tech: alpha + beta, 11 articles
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert store.unread_count() == 15
        await pilot.press("A", "y")
        assert store.unread_count() == 4
        tech = [a.id for a in screen.article_list.articles]
        assert all(store.is_read(i) for i in tech)
        assert str(screen.sidebar.node_for("all:").label) == "All 4"
        await pilot.press("z")
        assert store.unread_count() == 15
        assert str(screen.sidebar.node_for("all:").label) == "All 15"
        await settle(pilot, lambda: any("Undone" in n.message for n in log.notifications))


async def test_undo_single_changes_in_order(store: Store) -> None:
    app = TuiReader(store)
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "enter", "s", "j", "m")
        first, second = screen.article_list.articles[:2]
        assert store.is_read(first.id) and store.is_starred(first.id) and store.is_read(second.id)
        await pilot.press("z")  # the m on the second
        assert not store.is_read(second.id)
        await pilot.press("z")  # the star
        assert not store.is_starred(first.id)
        await pilot.press("z")  # reading the first by opening it
        assert not store.is_read(first.id)
        await pilot.press("z")
        await settle(pilot, lambda: any("Nothing to undo" in n.message for n in log.notifications))


async def test_bulk_of_ten_thousand_and_undo_are_exact(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "big")
    for f in range(10):
        feed, _ = store.add_feed(f"https://big{f}.example.com/feed", f"Big {f}", "Big")
        store.merge_articles(
            feed.id,
            [
                NewArticle(f"k{i}", f"t{i}", f"https://big{f}.example.com/{i}", "", NOW, "")
                for i in range(1000)
            ],
            NOW,
        )
    already = [a.id for a in store.articles()[:123]]
    store.set_read(already)
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("A", "y")
            assert store.unread_count() == 0
            await pilot.press("z")
            assert store.unread_count() == 10_000 - 123
            assert all(store.is_read(i) for i in already)
        store.flush()
    finally:
        store.close()
    reopened = Store.open(tmp_path / "big", read_only=True)
    assert reopened.unread_count() == 10_000 - 123
    reopened.close()


async def test_mark_older_than_read(store: Store, fixed_clock: object) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.action_mark_older_read()
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "1d"
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        # Articles are 7 h apart from NOW: 0 h, 7 h, 14 h, 21 h stay unread in each feed.
        assert store.unread_count() == 4 + 4 + 4


async def test_command_palette_goes_to_a_feed(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await pilot.press("ctrl+p")
        await pilot.press(*"go to feed gamma")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(screen, MainScreen)
        assert screen.view.kind == "feed"
        assert store.feed(screen.view.key).title == "Gamma"  # type: ignore[union-attr]
        assert len(screen.article_list.articles) == 4


async def test_keys_can_be_remapped_by_id(store: Store) -> None:
    config = Config(keys=(("article.toggle_star", "x"), ("no.such.binding", "y")))
    app = TuiReader(store, config)
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("enter", "x")
        first = screen.article_list.articles[0]
        assert store.is_starred(first.id)
        await pilot.press("s")  # no longer bound to star
        assert store.is_starred(first.id)
        await settle(pilot, lambda: any("no.such.binding" in n.message for n in log.notifications))


def test_core_never_imports_textual() -> None:
    """The core (store, feeds, models, text, config, query...) must run without Textual."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import tui_reader.store, tui_reader.feeds.refresh, tui_reader.feeds.subscribe\n"
        "import tui_reader.opml, tui_reader.config, tui_reader.query, tui_reader.search\n"
        "import tui_reader.views, tui_reader.render, tui_reader.cli, tui_reader.browser\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_theme_and_pane_widths_are_remembered(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        app.theme = "nord"
        await pilot.press("greater_than_sign", "greater_than_sign", "left_square_bracket")
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.sidebar.styles.width is not None
        assert screen.sidebar.styles.width.value == 30
    assert store.setting("theme") == "nord"
    # The list's default share is 55 (of the panes beside the sidebar): `[` takes 5 off.
    assert store.setting("layout") == {"sidebar": 30, "list": 50}
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        assert app.screen.query_one("#sidebar").outer_size.width == 30


async def test_remapped_keys_show_in_help_and_palette(store: Store) -> None:
    config = Config(keys=(("article.toggle_star", "x"), ("view.sort", "ctrl+o")))
    app = TuiReader(store, config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-keys", Static).render())
        assert re.search(r"^  x +toggle starred$", help_text, re.MULTILINE)
        assert re.search(r"^  Ctrl\+O +sort: newest", help_text, re.MULTILINE)
        assert not re.search(r"^  s +toggle starred$", help_text, re.MULTILINE)
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"toggle starred")
        await pilot.pause(0.5)
        palette = app.screen.query_one(CommandList)
        shown = [str(palette.get_option_at_index(i).prompt) for i in range(palette.option_count)]
        starred = [text for text in shown if "Toggle starred" in text]
        assert starred and starred[0].rstrip().endswith("x"), starred
