"""`tui-reader serve` in a real Chromium (issue 19): the page draws the reader, keys work,
reading is saved when the tab closes, `o` opens a new tab of the user's browser, and a
second tab on the same library gets a plain notice.

The screen is read back from the websocket with pyte (`served.TerminalTap`); the network
is cut off in every test (`conftest.context`), so these also show the page works offline.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path
from typing import Any

from tui_reader.store import LibraryLocked, Store

from .served import Served, open_reader, type_keys

# Titles and links of the `library_path` fixture's articles (tests/conftest.py).
TITLE = re.compile(r"\b(alpha|beta|gamma) article (\d+)\b")


def _row(text: str, label: str, count: int) -> bool:
    """The sidebar shows `label` with `count` (counts are right-aligned, so any spaces
    may stand between them)."""
    return re.search(rf"\b{label}\s+{count}\b", text) is not None


def _reading_pane_titles(text: str) -> set[tuple[str, str]]:
    """Article titles shown right of the list (the reading pane)."""
    found = set()
    for line in text.splitlines():
        pane = line.split("▕")[-1] if line.count("▕") >= 2 else ""
        found.update(TITLE.findall(pane))
    return found


def _wait_released(library: Path, timeout: float = 20.0) -> Store:
    """Open the library as soon as the tab's reader has saved and let go of it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Store.open(library)
        except LibraryLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _open_second_article(page: Any, tap: Any) -> tuple[str, str]:
    tap.wait_for(lambda t: _row(t, "All", 15))
    type_keys(page, "Tab", "j", "Enter")
    text = tap.wait_for(lambda t: _row(t, "All", 14) and _reading_pane_titles(t))
    (shown,) = _reading_pane_titles(text)
    return shown


def test_the_page_draws_the_sidebar_and_the_list(library_path: Path, context: Any) -> None:
    with Served("--db", str(library_path)) as served:
        page, tap = open_reader(context, served.url)
        text = tap.wait_for(lambda t: _row(t, "All", 15) and _row(t, "Unread", 15) and "Tech" in t)
        assert "Science" in text  # the sidebar's categories
        assert len(TITLE.findall(text)) >= 10  # the list's rows
        assert "Select an article" in text
        # The page gives the reader the focus: its keys show before the first key press.
        tap.wait_for("q Quit")
        page.close()


def test_reading_in_a_tab_is_saved_when_the_tab_closes(library_path: Path, context: Any) -> None:
    with Served("--db", str(library_path)) as served:
        page, tap = open_reader(context, served.url)
        name, number = _open_second_article(page, tap)
        assert _row(tap.text(), "Unread", 14)
        page.close()
        # The server still runs: closing the tab alone saved and released the library.
        store = _wait_released(library_path)
        try:
            read = [a for a in store.articles() if store.is_read(a.id)]
            assert [a.title for a in read] == [f"{name} article {number}"]
        finally:
            store.close()


def test_o_opens_the_article_in_a_new_tab(library_path: Path, context: Any) -> None:
    with Served("--db", str(library_path)) as served:
        page, tap = open_reader(context, served.url)
        name, number = _open_second_article(page, tap)
        link = f"https://{name}.example.com/{number}"
        with context.expect_page() as new_tab:
            type_keys(page, "o")
        tab = new_tab.value
        tab.wait_for_url(link)
        assert tab.url == link
        assert tap.opened_urls == [link]
        assert len(context.pages) == 2  # the reader's tab and the article's
        page.close()


def test_a_second_tab_gets_a_clear_notice(library_path: Path, context: Any) -> None:
    with Served("--db", str(library_path)) as served:
        first, first_tap = open_reader(context, served.url)
        first_tap.wait_for(lambda t: _row(t, "All", 15))
        second, second_tap = open_reader(context, served.url)
        text = second_tap.wait_for("This library is open in another tab.")
        assert "reload this page" in text
        assert "Traceback" not in text and "Error" not in text
        # The first tab is untouched and still the writer.
        type_keys(first, "Tab", "j", "Enter")
        first_tap.wait_for(lambda t: _row(t, "All", 14))
        second.close()
        first.close()
        store = _wait_released(library_path)
        try:
            assert store.unread_count() == 14
        finally:
            store.close()


def test_ctrl_c_with_a_tab_open_saves_it(library_path: Path, context: Any) -> None:
    with Served("--db", str(library_path)) as served:
        page, tap = open_reader(context, served.url)
        _open_second_article(page, tap)
        assert served.process is not None
        started = time.monotonic()
        os.killpg(served.process.pid, signal.SIGINT)  # Ctrl+C: the server and its readers
        assert served.process.wait(timeout=15) == 0
        assert time.monotonic() - started < 10  # not aiohttp's minute for open sockets
    store = Store.open(library_path)  # released: no LibraryLocked
    try:
        assert store.unread_count() == 14
    finally:
        store.close()
