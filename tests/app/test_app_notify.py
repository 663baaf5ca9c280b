"""Pilot tests for notifications and bookmarks (issue 18.5 and "Also: b"): the reader's
refresh against the loopback server runs notify_command; the terminal's notification is
written only while the reader is not focused; `b` runs bookmark_command."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest
from textual import events

from tests.pilot_helpers import MessageLog, settle
from tests.support.notify_helpers import hostile_items, recorder, served_feed, write_feed
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.screens.main import MainScreen, announce
from tui_reader.store import Store


def _store(tmp_path: Path, url: str) -> Store:
    store = Store.open(tmp_path / "lib")
    store.add_feed(url, "", "News")
    return store


async def _refresh(pilot: Any, screen: MainScreen) -> None:
    screen.action_refresh_all()
    assert screen.refreshing
    await settle(pilot, lambda: not screen.refreshing)


async def test_a_refresh_in_the_reader_runs_notify_command(tmp_path: Path) -> None:
    command, calls = recorder(tmp_path)
    config = Config(notify="command", notify_command=command)
    with served_feed(tmp_path / "site", hostile_items(6)) as url:
        store = _store(tmp_path, url)
        app = TuiReader(store, config)
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await _refresh(pilot, screen)
                await settle(pilot, lambda: calls())
                [args] = calls()
                assert args[:2] == ["6", "1"]
                assert len(args) == 7
                for title in args[2:]:
                    assert not any(unicodedata.category(c) == "Cc" for c in title)
                    assert not title.startswith(("-", "+", "@")) and len(title) <= 300
                assert args[2] == " -rf --no-preserve-root"
                # A refresh with nothing new runs nothing.
                await _refresh(pilot, screen)
                await pilot.pause(0.3)
                assert len(calls()) == 1
        finally:
            store.close()


async def test_a_failing_notify_command_is_one_toast(tmp_path: Path) -> None:
    command, calls = recorder(tmp_path)
    config = Config(notify="command", notify_command=command)
    # The recorder fails with exit status 7 when its first argument is "7".
    with served_feed(tmp_path / "site", hostile_items(7)) as url:
        store = _store(tmp_path, url)
        app = TuiReader(store, config)
        log = MessageLog()
        try:
            async with app.run_test(size=(120, 40), message_hook=log) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await _refresh(pilot, screen)
                await settle(
                    pilot, lambda: any(n.title == "Notification" for n in log.notifications)
                )
                [told] = [n for n in log.notifications if n.title == "Notification"]
                assert "failed (exit status 7)" in told.message
                assert told.severity == "warning"
        finally:
            store.close()
    assert len(calls()) == 1


@pytest.mark.parametrize(
    ("mode", "env", "expected"),
    [
        ("terminal", {"TERM": "foot"}, "\x1b]777;notify;tui-reader;2 new articles in 1 feed\a"),
        (
            "terminal",
            {"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"},
            "\x1b]9;tui-reader: 2 new articles in 1 feed\a",
        ),
        ("terminal", {"TERM": "xterm-256color"}, "\a"),
        ("bell", {"TERM": "foot"}, "\a"),
    ],
)
async def test_the_terminal_is_told_only_while_the_reader_is_not_focused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    env: dict[str, str],
    expected: str,
) -> None:
    for name in ("TERM", "TERM_PROGRAM", "TMUX", "STY", "KITTY_WINDOW_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    written: list[str] = []
    monkeypatch.setattr(announce, "write_to_terminal", lambda app, text: written.append(text))
    root = tmp_path / "site"
    with served_feed(root, hostile_items(4)) as url:
        store = _store(tmp_path, url)
        app = TuiReader(store, Config(notify=mode))
        try:
            async with app.run_test(size=(120, 40)) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                # Focused: the toast says it; the terminal is not told.
                await _refresh(pilot, screen)
                await pilot.pause(0.1)
                assert written == []
                # The terminal reports that the reader lost the focus.
                app.post_message(events.AppBlur())
                await settle(pilot, lambda: not app.app_focus)
                write_feed(root, hostile_items(6))
                await _refresh(pilot, screen)
                await settle(pilot, lambda: written)
                assert written == [expected]
                # Back in front: a key press gives the focus back; nothing more is written.
                app.post_message(events.AppFocus())
                await settle(pilot, lambda: app.app_focus)
                write_feed(root, hostile_items(8))
                await _refresh(pilot, screen)
                await pilot.pause(0.1)
                assert written == [expected]
        finally:
            store.close()


def test_write_to_terminal_goes_through_the_driver() -> None:
    class Driver:
        def __init__(self) -> None:
            self.written: list[str] = []

        def write(self, data: str) -> None:
            self.written.append(data)

    class FakeApp:
        def __init__(self, headless: bool, web: bool) -> None:
            self._driver = Driver()
            self.is_headless = headless
            self.is_web = web

    terminal, headless, web = FakeApp(False, False), FakeApp(True, False), FakeApp(False, True)
    for app in (terminal, headless, web):
        announce.write_to_terminal(app, "\a")  # type: ignore[arg-type]
    assert terminal._driver.written == ["\a"]
    assert headless._driver.written == [] and web._driver.written == []


async def test_b_sends_the_article_to_bookmark_command(tmp_path: Path) -> None:
    command, calls = recorder(tmp_path)
    items = hostile_items(3)
    items[1]["url"] = "javascript:alert(1)"  # stored without a link: never handed over
    with served_feed(tmp_path / "site", items) as url:
        store = _store(tmp_path, url)
        log = MessageLog()
        app = TuiReader(store, Config(bookmark_command=command))
        try:
            async with app.run_test(size=(120, 40), message_hook=log) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await _refresh(pilot, screen)
                await pilot.press("enter")  # sidebar: All, focus to the list
                await settle(pilot, lambda: screen.article_list.highlighted is not None)
                first = screen.article_list.highlighted
                assert first is not None and first.link == "https://example.org/0"
                await pilot.press("b")
                await settle(pilot, lambda: calls())
                [args] = calls()
                assert args[0] == "https://example.org/0"
                assert args[1] == " -rf --no-preserve-root"
                assert args[2] == " -Hostile ␛[5m feed"
                assert args[3].startswith("Body of 0: bold & more")
                for text in args:
                    assert not any(unicodedata.category(c) == "Cc" for c in text)
                await settle(
                    pilot,
                    lambda: any(n.message.startswith("Bookmarked:") for n in log.notifications),
                )
                # The article without an http(s) link is refused, in plain words.
                await pilot.press("j")
                assert screen.article_list.highlighted is not None
                assert screen.article_list.highlighted.link == ""
                await pilot.press("b")
                await settle(
                    pilot,
                    lambda: any(n.message.startswith("Not bookmarked") for n in log.notifications),
                )
                assert len(calls()) == 1
        finally:
            store.close()


async def test_b_without_a_bookmark_command_says_which_line_to_add(tmp_path: Path) -> None:
    with served_feed(tmp_path / "site", hostile_items(1)) as url:
        store = _store(tmp_path, url)
        log = MessageLog()
        app = TuiReader(store, Config(source="/home/me/.config/tui-reader/config.toml"))
        try:
            async with app.run_test(size=(120, 40), message_hook=log) as pilot:
                screen = app.screen
                assert isinstance(screen, MainScreen)
                await _refresh(pilot, screen)
                await pilot.press("enter")
                await settle(pilot, lambda: screen.article_list.highlighted is not None)
                await pilot.press("b")
                await settle(pilot, lambda: any(n.title == "Bookmark" for n in log.notifications))
                [told] = [n for n in log.notifications if n.title == "Bookmark"]
                assert "/home/me/.config/tui-reader/config.toml" in told.message
                assert 'bookmark_command = "/path/to/your-bookmark-script"' in told.message
        finally:
            store.close()
