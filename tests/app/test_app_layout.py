"""Pilot tests of the layout at 80x24 and 120x40 (issue 15): saved pane widths that do not
fit, sidebar names and counts, nested folders, the help's wrapping, the search box's
hints and errors, and the article list's columns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.widget import Widget

from tests.conftest import NOW, make_articles
from tests.pilot_helpers import settle
from tui_reader.app import TuiReader
from tui_reader.keys import help_lines
from tui_reader.screens.help import KEY_COLUMN, HelpScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.widgets.article_list import DATE_WIDTH, TITLE_MIN

SIZES = [(80, 24), (120, 40)]
# A row ends with its date, set off by two spaces from whatever comes before it.
DATE_AT_END = re.compile(r"\S  +(\d\d:\d\d|[A-Z][a-z]{2} \d\d|[A-Z][a-z]{2} \d{4}) *$")
LONG_NAME = "The Extraordinarily Long Feed Name Weekly"


def lines_of(widget: Widget) -> list[str]:
    """The text `widget` shows, a line per row."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return [strip.text for strip in widget.render_lines(region)]


def main_screen(app: TuiReader) -> MainScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    return screen


def assert_fully_usable(screen: MainScreen) -> None:
    """Every pane shown whole: the list has titles, feeds and dates; the reading pane
    is as wide as the panes beside the sidebar (stacked) or at least 36 (side by side)."""
    width = screen.app.size.width
    content = screen.query_one("#content").region
    list_column = screen.query_one("#list-column").region
    reader = screen.reader.region
    assert content.right <= width
    if width < 100:  # stacked: both take the whole width beside the sidebar
        assert list_column.width == content.width
        assert reader.width == content.width
        assert list_column.height >= 6 and reader.height >= 6
    else:
        assert list_column.width >= 40 and reader.width >= 36
        assert list_column.right <= reader.x
    assert reader.right <= width
    rows = [row for row in lines_of(screen.article_list) if row.strip()]
    assert rows
    for row in rows:
        assert DATE_AT_END.search(row), row


# ---------------------------------------------------------------------------- item 1


@pytest.mark.parametrize("key", ["right_square_bracket", "greater_than_sign"])
async def test_widths_saved_at_120_leave_80x24_usable(store: Store, key: str) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*[key] * 6)
        await pilot.pause()
        assert_fully_usable(main_screen(app))
    assert store.setting("layout")
    app = TuiReader(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        assert_fully_usable(screen)
        assert screen.sidebar.region.width <= 22
        # Open an article: the reading pane shows its date whole.
        await pilot.press("tab", "enter")
        await pilot.pause()
        byline = screen.query_one("#reader-byline")
        assert "2026" in " ".join(lines_of(byline)), lines_of(byline)
        assert byline.region.right <= screen.reader.region.right


async def test_brackets_at_80x24_keep_it_usable_and_undo(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        before = screen.query_one("#list-column").region
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert_fully_usable(screen)
        widened = screen.query_one("#list-column").region
        assert widened.height > before.height  # stacked: the list grows downwards
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.query_one("#list-column").region == before
        assert_fully_usable(screen)


async def test_a_resize_reapplies_what_fits(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(*["right_square_bracket"] * 6, *["greater_than_sign"] * 8)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert_fully_usable(main_screen(app))
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert_fully_usable(main_screen(app))
        assert main_screen(app).sidebar.region.width > 26  # the saved width is back


# ---------------------------------------------------------------------------- items 2, 3


@pytest.fixture
def folders_store(tmp_path: Path) -> Iterator[Store]:
    """A long feed name with 50 unread, and folders nested two deep."""
    store = Store.open(tmp_path / "folders")
    for title, category, count in (
        (LONG_NAME, "News", 50),
        ("Tech Daily", "Tech", 4),
        ("Python Weekly", "Tech/Python", 3),
        ("Async Notes", "Tech/Python/Async", 2),
        ("Rust Notes", "Tech/Rust", 1),
    ):
        feed, _ = store.add_feed(f"https://{count}.example.com/{title[:3]}", title, category)
        store.merge_articles(feed.id, make_articles(title[:5].lower(), count), NOW)
    try:
        yield store
    finally:
        store.close()


def sidebar_rows(screen: MainScreen) -> list[str]:
    return [row.rstrip() for row in lines_of(screen.sidebar) if row.strip()]


@pytest.mark.parametrize("size", SIZES)
async def test_sidebar_counts_are_never_cut_and_line_up(folders_store: Store, size: Any) -> None:
    app = TuiReader(folders_store)
    async with app.run_test(size=size) as pilot:
        screen = main_screen(app)
        await pilot.pause()
        await pilot.press("j", "j", "j", "j", "l")  # open News
        await pilot.pause()
        rows = sidebar_rows(screen)
        long_row = next(row for row in rows if "The Extraordin" in row)
        assert long_row.endswith(" 50")
        if size[0] < 100:
            assert "…" in long_row  # the name gave way, not the count
        ends = {len(row) for row in rows if re.search(r" \d+$", row)}
        assert len(ends) == 1, rows  # every count ends in the same column


@pytest.mark.parametrize("size", SIZES)
async def test_nested_folders_show_as_a_tree_with_rolled_up_counts(
    folders_store: Store, size: Any
) -> None:
    app = TuiReader(folders_store)
    async with app.run_test(size=size) as pilot:
        screen = main_screen(app)
        assert screen.counts["category:Tech"] == 4 + 3 + 2 + 1
        assert screen.counts["category:Tech/Python"] == 3 + 2
        assert screen.counts["category:Tech/Python/Async"] == 2
        # Top level: News and Tech only; Tech opens to its folders, then its feeds.
        await pilot.pause()
        rows = sidebar_rows(screen)
        assert not any("Python" in row for row in rows)
        await pilot.press("j", "j", "j", "j", "j", "l")
        await pilot.pause()
        rows = sidebar_rows(screen)
        tech = next(i for i, row in enumerate(rows) if "Tech" in row and row.endswith(" 10"))
        assert "Python" in rows[tech + 1] and rows[tech + 1].endswith(" 5")
        assert "Rust" in rows[tech + 2] and rows[tech + 2].endswith(" 1")
        assert "Tech Daily" in rows[tech + 3] and rows[tech + 3].endswith(" 4")
        # Choosing Tech lists its subfolders' articles too.
        await pilot.press("enter")
        await settle(pilot, lambda: len(screen.article_list.articles) == 10)
        # Python opens to its own subfolder.
        screen.sidebar.focus()
        await pilot.press("j", "l")
        await pilot.pause()
        assert screen.sidebar.node_for("category:Tech/Python/Async") is not None
        # Marking read updates every folder above.
        await pilot.press("j", "enter", "tab")
        await pilot.pause()
        assert len(screen.article_list.articles) == 2
        await pilot.press("m")
        await settle(pilot, lambda: screen.counts["category:Tech"] == 9)
        assert screen.counts["category:Tech/Python"] == 4
        tech_node = screen.sidebar.node_for("category:Tech")
        assert tech_node is not None and str(tech_node.label).endswith(" 9")


async def test_a_feeds_view_has_no_feed_column(folders_store: Store) -> None:
    app = TuiReader(folders_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        await pilot.press("j", "j", "j", "j", "l", "j", "enter")
        await pilot.pause()
        assert screen.view.kind == "feed"
        rows = [row for row in lines_of(screen.article_list) if row.strip()]
        assert rows and not any("Extraordinarily" in row for row in rows)


# ---------------------------------------------------------------------------- item 11


@pytest.mark.parametrize("size", SIZES)
async def test_titles_get_the_room_and_dates_stand_apart(store: Store, size: Any) -> None:
    app = TuiReader(store)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = main_screen(app)
        width = screen.article_list.scrollable_content_region.width
        row = lines_of(screen.article_list)[0]
        title = row[4:].split("  ")[0]
        assert len(title) >= min(TITLE_MIN, len("alpha article 0"))
        assert DATE_AT_END.search(row), row
        assert width - 4 - 2 - DATE_WIDTH >= TITLE_MIN


# ---------------------------------------------------------------------------- item 9


@pytest.mark.parametrize("size", SIZES)
async def test_help_wraps_under_its_own_column(store: Store, size: Any) -> None:
    app = TuiReader(store)
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys_widget = app.screen.query_one("#help-keys")
        shown = lines_of(keys_widget)
        groups = {group for group, _ in help_lines({})}
        labels = {key for _, keys in help_lines({}) for key, _ in keys}
        wrapped = 0
        for line in shown:
            text = line.rstrip()
            if not text or text in groups or text.startswith("Esc, q or ?"):
                continue
            if text.startswith(" " * KEY_COLUMN):
                wrapped += 1  # a continuation, under the descriptions
                continue
            assert text[2:KEY_COLUMN].strip() in labels, line
        assert wrapped or size[0] >= 120
        # Every description is shown whole.
        joined = " ".join(" ".join(shown).split())
        for _, keys in help_lines({}):
            for _, description in keys:
                assert " ".join(description.split()) in joined


# ---------------------------------------------------------------------------- search box


@pytest.mark.parametrize("size", SIZES)
async def test_search_hints_and_errors_are_readable_whole(store: Store, size: Any) -> None:
    from tui_reader.screens.main.finding import SEARCH_HELP

    app = TuiReader(store)
    async with app.run_test(size=size) as pilot:
        screen = main_screen(app)
        await pilot.press("slash")
        await pilot.pause()
        hint = screen.query_one("#search-hint")
        assert " ".join(" ".join(lines_of(hint)).split()) == SEARCH_HELP
        await pilot.press(*"@7x")
        await settle(pilot, lambda: screen.find.answered_for == "@7x")
        await settle(pilot, lambda: hint.has_class("-error"))
        await pilot.pause()
        shown = " ".join(" ".join(lines_of(hint)).split())
        assert "unknown unit 'x'; use @12h, @7d, @2w or @3m (hours, days, weeks, months)" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not hint.display


async def test_search_error_text_is_not_markup(store: Store) -> None:
    app = TuiReader(store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("slash", *"is:[b]x[/b]")
        await settle(pilot, lambda: screen.query_one("#search-hint").has_class("-error"))
        await pilot.pause()
        assert "[b]x[/b]" in "".join(lines_of(screen.query_one("#search-hint")))


async def test_refreshing_a_folder_refreshes_its_subfolders(folders_store: Store) -> None:
    app = TuiReader(folders_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = main_screen(app)
        asked: list[list[str]] = []
        screen.feeds.start_refresh = lambda feeds, label: asked.append(  # type: ignore[method-assign]
            sorted(f.display_title for f in feeds)
        )
        await pilot.pause()
        await pilot.press("j", "j", "j", "j", "j")  # Tech
        assert screen.sidebar.cursor_node is not None
        assert screen.sidebar.cursor_node.data is not None
        assert screen.sidebar.cursor_node.data.key == "Tech"
        await pilot.press("R")
        await pilot.pause()
        assert asked == [["Async Notes", "Python Weekly", "Rust Notes", "Tech Daily"]]


def test_folder_paths() -> None:
    from tui_reader.views import folder_path, in_folder

    assert folder_path("Tech/Python/Async") == ["Tech", "Tech/Python", "Tech/Python/Async"]
    assert folder_path("Tech") == ["Tech"]
    for odd in ("a//b", "/x", "x/", " / "):  # an empty part: one flat folder
        assert folder_path(odd) == [odd]
    assert in_folder("Tech/Python", "Tech") and in_folder("Tech", "Tech")
    assert not in_folder("Technology", "Tech") and not in_folder("Tech", "Tech/Python")
