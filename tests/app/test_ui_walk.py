"""A Pilot walk through every screen, dialog and state reachable by keys, with a library
whose every feed, category, author, title and link carries markup and escape sentinels
(issue 14: findings 1, 2 and 7, and "close the class").

At every stop the whole screen (modal dialogs, tooltips and toasts included) is checked:
no segment carries a link, and no segment a click action other than the reading pane's
own `#link-N` links (each naming a numbered link whose URL passed the policy). Through it
all the spy (tests/app/test_hostile_app.py) sees no feed text reach a markup parser and no
app action run; the app never stops and no file is written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rich.segment import Segment
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Input, Markdown

from tests.app.test_hostile_app import Spy
from tests.hostile_runner import browser_calls, write_fake_browser
from tests.pilot_helpers import MessageLog, settle
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.models import NewArticle
from tui_reader.screens.image_view import ImageViewScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.text import UrlCheck, check_url
from tui_reader.views import View
from tui_reader.widgets.reading_pane import ReadingPane

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
# "PROBE" marks feed text for the spy (FEED_MARKERS): no markup parser may ever see it.
QUIT = "[@click=app.quit]Q[/]"
MARKUP = f"PROBE {QUIT} [/] [link='vscode://x']V[/link] [b]B[/b]"
ESCAPES = "\x1b]8;;vscode://y\x1b\\O\x1b]8;;\x1b\\ \x1b[31mR\x07"
PWN = "walk-pwned.svg"


def _sentinel(kind: str, pwn_dir: Path) -> str:
    shot = f"[@click=app.screenshot('{PWN}','{pwn_dir}')]S[/]"
    return f"{kind} {MARKUP} {shot} {ESCAPES}"


# The policy keeps `[`, `]`, `@` and `=` in a URL: a tooltip of it is markup (finding 2).
ARTICLE_LINK = "https://example.com/[/]?a=[@click=app.quit]"
# Host good.example; Textual's Markdown decodes %2F, which made the click go to evil.example.
TRICK_LINK = "http://evil.example%2F@good.example/"


def _build(path: Path, pwn_dir: Path) -> dict[str, str]:
    assert check_url(ARTICLE_LINK).ok and check_url(TRICK_LINK).ok
    assert urlsplit(check_url(TRICK_LINK).url).hostname == "good.example"
    store = Store.open(path)
    try:
        category = _sentinel("CAT [/x]", pwn_dir)
        feed, _ = store.add_feed(
            "http://127.0.0.1:9/walk.xml", _sentinel("FEED", pwn_dir), category
        )
        body = (
            f"<p>Body {MARKUP}</p>"
            f'<p><a href="{TRICK_LINK}">trick-link</a> and '
            f'<a href="{ARTICLE_LINK}">bracket {QUIT}</a></p>'
            f'<p><img src="http://127.0.0.1:9/i.png" alt="ALT {MARKUP}"></p>'
        )
        store.merge_articles(
            feed.id,
            [
                NewArticle(
                    key=f"walk-{n}",
                    title=_sentinel(f"TITLE{n}", pwn_dir),
                    link=ARTICLE_LINK,
                    author=_sentinel("AUTHOR", pwn_dir),
                    published=NOW,
                    body_html=body,
                )
                for n in range(3)
            ],
            NOW,
        )
        return {"feed": feed.id, "feed_title": feed.display_title, "category": category}
    finally:
        store.close()


@pytest.fixture
def walk_store(tmp_path: Path) -> Iterator[tuple[Store, dict[str, str], Path]]:
    pwn_dir = tmp_path / "pwn"
    pwn_dir.mkdir()
    info = _build(tmp_path / "library", pwn_dir)
    store = Store.open(tmp_path / "library")
    try:
        yield store, info, pwn_dir
    finally:
        store.close()


# --------------------------------------------------------------------------- checks


def _lines(widget: Widget) -> Iterator[list[Segment]]:
    for y in range(widget.size.height):
        yield list(widget.render_line(y))


def _row_text(widget: Widget, y: int) -> str:
    return "".join(segment.text for segment in widget.render_line(y))


def _link_href(click: Any) -> str | None:
    """The href of a Markdown `link(...)` click action, else None."""
    if isinstance(click, tuple):
        name, arguments = click[0], click[1] if len(click) > 1 else ()
        return str(arguments[0]) if name == "link" and len(arguments) == 1 else None
    match = re.fullmatch(r"link\((['\"])(.*)\1\)", str(click))
    return match.group(2) if match else None


def _in_markdown(widget: Widget) -> bool:
    return any(isinstance(node, Markdown) for node in widget.ancestors_with_self)


def _strips(app: TuiReader) -> list[list[Segment]]:
    """The active screen as drawn: borders, titles, tooltips and toasts included."""
    return [list(strip) for strip in app.screen._compositor.render_strips()]


def screen_row(app: TuiReader, widget: Widget, y: int) -> str:
    """The text drawn on row `y` of `widget` (its border rows included)."""
    region = widget.region
    line = "".join(segment.text for segment in _strips(app)[region.y + y])
    return line[region.x : region.right]


def check_screen(app: TuiReader, where: str) -> None:
    """Everything drawn on the active screen is inert: see the module docstring."""
    reader = next((s.reader for s in app.screen_stack if isinstance(s, MainScreen)), None)
    links = reader.links if reader is not None else ()
    for y, line in enumerate(_strips(app)):
        x = 0
        for segment in line:
            style, at = segment.style, x
            x += segment.cell_length
            # Escape sequences from feed text never reach the terminal.
            assert not set(segment.text) & {"\x1b", "\x07", "\x9b", "\x9d"}, (where, segment)
            if style is None:
                continue
            assert not style.link, (where, style.link, segment.text)
            click = (style.meta or {}).get("@click")
            if click is None:
                continue
            widget, _ = app.screen._compositor.get_widget_at(at, y)
            href = _link_href(click)
            assert href is not None and _in_markdown(widget), (where, widget, click)
            match = re.fullmatch(r"#link-(\d+)", href)
            assert match is not None, (where, href)
            number = int(match.group(1))
            assert 1 <= number <= len(links), (where, href)
            assert check_url(links[number - 1].url).url == links[number - 1].url


async def hover_buttons(pilot: Pilot[Any], where: str) -> None:
    """Hover every button on the active screen long enough for its tooltip to show."""
    app = pilot.app
    for button in list(app.screen.query(Button)):
        if button.display and button.size.area:
            await pilot.hover(button)
            await pilot.pause(app.TOOLTIP_DELAY + 0.2)
            check_screen(app, f"{where}: hover {button.id}")
            assert app.is_running
    await pilot.hover(None, offset=(0, 0))


class WalkSpy(Spy):
    """The spy, minus the palette action: the walk opens the palette itself (Ctrl+P)."""

    ACTIONS = tuple(name for name in Spy.ACTIONS if name != "action_command_palette")


def _main(app: TuiReader) -> MainScreen:
    screen = next(s for s in app.screen_stack if isinstance(s, MainScreen))
    return screen


async def _stop(pilot: Pilot[Any], where: str) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert pilot.app.is_running, where
    check_screen(pilot.app, where)


async def _open_feed(pilot: Pilot[Any], info: dict[str, str]) -> MainScreen:
    screen = _main(pilot.app)  # type: ignore[arg-type]
    screen.go_to(View("feed", info["feed"], label=info["feed_title"]))
    await settle(pilot, lambda: len(screen.article_list.articles) == 3)
    return screen


# --------------------------------------------------------------------------- finding 1


async def test_search_box_title_shows_a_feed_name_literally_and_clicks_run_nothing(
    walk_store: tuple[Store, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 1: `/` on a feed named `[@click=app.quit]…[/]` / `[/]` neither crashes nor
    makes a live title; clicking along the title runs nothing."""
    store, info, pwn_dir = walk_store
    spy = Spy(monkeypatch)
    app = TuiReader(store)
    async with app.run_test(size=(220, 50), tooltips=True, notifications=True) as pilot:
        screen = await _open_feed(pilot, info)
        await pilot.press("slash")
        await _stop(pilot, "search open")
        box = screen.find.search_box
        top = screen_row(app, box, 0)
        assert f"Search FEED {MARKUP}"[:60] in top, top
        for x in range(1, box.size.width - 1, 3):
            await pilot.click(box, offset=(x, 0))
        await pilot.pause(0.2)
        assert app.is_running and spy.actions == []
        # The category view names the category (`[/x]`) in the title.
        category = info["category"]
        screen.go_to(View("category", category, label=category))
        await pilot.press("slash")
        await _stop(pilot, "search open on the category")
        assert "CAT [/x] PROBE" in screen_row(app, screen.find.search_box, 0)
        assert spy.feed_text_parsed_as_markup() == []
    assert not list(pwn_dir.iterdir()) and spy.actions == []


async def test_search_error_quotes_the_query_literally(
    walk_store: tuple[Store, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 1: the error subtitle quotes the query (`after:[/]`) as text."""
    store, info, _ = walk_store
    spy = Spy(monkeypatch)
    app = TuiReader(store)
    async with app.run_test(size=(220, 50), tooltips=True, notifications=True) as pilot:
        screen = await _open_feed(pilot, info)
        await pilot.press("slash", *"after:[/]")
        box = screen.find.search_box
        await settle(pilot, lambda: box.has_class("-invalid-query"))
        await _stop(pilot, "search error")
        bottom = screen_row(app, box, box.outer_size.height - 1)
        assert "⚠" in bottom and "[/]" in bottom, bottom
        assert app.is_running and spy.actions == []


# --------------------------------------------------------------------------- finding 2


async def test_continue_reading_tooltip_shows_the_url_literally(
    walk_store: tuple[Store, dict[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 2: hovering Continue reading (tooltip: a URL with `[/]`) does not crash."""
    store, info, _ = walk_store
    # The policy now percent-encodes brackets in paths; the pane must not depend on it:
    # the tooltip gets the URL exactly as the issue found it (brackets kept).
    import tui_reader.widgets.reading_pane as pane_module

    policy = pane_module.check_url

    def keeps_brackets(raw: object, base: str | None = None) -> UrlCheck:
        verdict = policy(raw, base)
        return dataclasses.replace(verdict, url=str(raw)) if verdict.ok else verdict

    monkeypatch.setattr(pane_module, "check_url", keeps_brackets)
    spy = Spy(monkeypatch)
    app = TuiReader(store)
    async with app.run_test(size=(220, 50), tooltips=True, notifications=True) as pilot:
        screen = await _open_feed(pilot, info)
        screen.show_article(screen.article_list.articles[0])
        await _stop(pilot, "article shown")
        await pilot.hover("#continue-reading")
        await pilot.pause(app.TOOLTIP_DELAY + 0.3)
        assert app.is_running
        from textual.widgets._tooltip import Tooltip

        tooltip = app.screen.get_child_by_type(Tooltip)
        assert tooltip.display
        shown = "".join(screen_row(app, tooltip, y) for y in range(tooltip.outer_size.height))
        assert "https://example.com/[/]" in shown, shown
        check_screen(app, "tooltip")
        assert spy.actions == []


# --------------------------------------------------------------------------- finding 7


async def test_a_clicked_link_opens_the_vetted_url_not_the_decoded_one(
    walk_store: tuple[Store, dict[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Finding 7: `http://evil.example%2F@good.example/` (host good.example) clicked in
    the body opens host good.example: the URL the `L` picker shows, not Textual's
    percent-decoded href."""
    store, info, _ = walk_store
    log_file = tmp_path / "browser.jsonl"
    monkeypatch.setenv("BROWSER", str(write_fake_browser(tmp_path)))
    monkeypatch.setenv("HOSTILE_BROWSER_LOG", str(log_file))
    log = MessageLog()
    app = TuiReader(store)
    async with app.run_test(size=(220, 50), message_hook=log, tooltips=True) as pilot:
        screen = await _open_feed(pilot, info)
        screen.show_article(screen.article_list.articles[0])
        await settle(
            pilot, lambda: screen.reader.body_settled
        )  # (no screen check: the click decides)
        reader = screen.reader
        vetted = [link.url for link in reader.links if link.text == "trick-link"]
        assert len(vetted) == 1 and urlsplit(vetted[0]).hostname == "good.example"
        target = None
        for block in reader.query_one("#reader-body").query("*"):
            for y, line in enumerate(_lines(block)):
                x = 0
                for segment in line:
                    if "trick-link" in segment.text and (segment.style and segment.style.meta):
                        target = (block, x + 1, y)
                    x += segment.cell_length
        assert target is not None, "the link is not drawn"
        block, x, y = target
        await pilot.click(block, offset=(x, y))
        await settle(pilot, lambda: bool(log.of_type(ReadingPane.LinkChosen)))
        chosen = log.of_type(ReadingPane.LinkChosen)
        assert {event.href for event in chosen} == set(vetted)  # (logged at each hop)
        await asyncio.sleep(0.5)  # the fake browser runs detached
    calls = browser_calls(log_file)
    assert all(urlsplit(argv[0]).hostname == "good.example" for argv in calls), calls


# --------------------------------------------------------------------------- the walk


async def test_walk_every_screen_dialog_and_state(
    walk_store: tuple[Store, dict[str, str], Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    store, info, pwn_dir = walk_store
    monkeypatch.setenv("BROWSER", str(write_fake_browser(tmp_path)))
    monkeypatch.setenv("HOSTILE_BROWSER_LOG", str(tmp_path / "browser.jsonl"))
    spy = WalkSpy(monkeypatch)
    app = TuiReader(store, Config(inline_images=True))  # so `v` in the picker opens a view
    async with app.run_test(size=(200, 50), tooltips=True, notifications=True) as pilot:
        await _stop(pilot, "start")
        screen = await _open_feed(pilot, info)
        await _stop(pilot, "feed view")
        # The sidebar and list by keys: every row, the category opened.
        screen.sidebar.focus()
        await pilot.press("home", "l", "j", "j", "j", "enter")
        await _stop(pilot, "sidebar")
        screen = await _open_feed(pilot, info)
        screen.article_list.focus()
        await pilot.press("home", "enter")
        await _stop(pilot, "article")
        await hover_buttons(pilot, "reading pane")
        await pilot.press("f")  # full text of a 127.0.0.1:9 page: fails, says so
        await _stop(pilot, "full text")
        await pilot.press("s", "m", "z", "u", "u", "t")
        await _stop(pilot, "flags and sort")

        # Search: open, a query, an error, scope, save.
        await pilot.press("slash", *"PROBE")
        await settle(pilot, lambda: screen.find.answered_for == "PROBE")
        await _stop(pilot, "search results")
        await pilot.press("ctrl+l")
        await _stop(pilot, "search scope")
        await pilot.press("ctrl+s")
        await _stop(pilot, "save search prompt")
        await hover_buttons(pilot, "save search prompt")
        app.screen.query_one(Input).value = _sentinel("SAVED", pwn_dir)
        await pilot.press("enter")
        await _stop(pilot, "search saved")
        box = screen.find.search_box
        box.value = ""
        await pilot.press(*"before:[/x]")
        await settle(pilot, lambda: box.has_class("-invalid-query"))
        await _stop(pilot, "search error")
        await pilot.press("escape")
        await _stop(pilot, "search closed")

        # Every dialog reachable by keys, from the list with an article highlighted.
        screen.article_list.focus()
        await pilot.press("home")
        for key, where in (
            ("L", "link picker"),
            ("question_mark", "help"),
            ("a", "add feed"),
            ("H", "feed health"),
            ("A", "mark all read"),
        ):
            await pilot.press(key)
            await _stop(pilot, where)
            assert app.screen is not screen, where
            await hover_buttons(pilot, where)
            await pilot.press("escape")
            await _stop(pilot, f"{where} closed")
            assert app.screen is screen, where
        # The image viewer, from the link picker's image row.
        await pilot.press("L", "end", "v")
        await _stop(pilot, "image view")
        assert isinstance(app.screen, ImageViewScreen)
        await pilot.press("escape")
        await _stop(pilot, "image view closed")
        if app.screen is not screen:
            await pilot.press("escape")
        # Feed dialogs act on the sidebar's feed.
        screen.sidebar.focus()
        screen.sidebar.move_to(View("feed", info["feed"], label=info["feed_title"]))
        for key, where in (("e", "rename"), ("c", "move"), ("d", "unsubscribe")):
            await pilot.press(key)
            await _stop(pilot, where)
            assert app.screen is not screen, where
            await hover_buttons(pilot, where)
            await pilot.press("escape")
            await _stop(pilot, f"{where} closed")
        # The palette: discovery, then a search that hits the feed and the category.
        await pilot.press("ctrl+p")
        await _stop(pilot, "palette")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"PROBE")
        await pilot.pause(0.5)
        await _stop(pilot, "palette hits")
        await pilot.press("escape")
        await _stop(pilot, "palette closed")
        # A refresh that fails (nothing listens on 127.0.0.1:9): progress and summary.
        await pilot.press("r")
        await settle(pilot, lambda: not screen.refreshing)
        await _stop(pilot, "refresh failed")
        await hover_buttons(pilot, "main screen")
        assert app.is_running and app.return_code is None
        assert spy.feed_text_parsed_as_markup() == []
        assert spy.actions == []
    assert not list(pwn_dir.iterdir())
