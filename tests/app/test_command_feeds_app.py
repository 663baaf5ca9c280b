"""Pilot tests: feeds made by commands inside the reader. The Add and Import dialogs ask
before a subscription may run a command, showing it as literal text; feed health shows a
command's stderr as literal text."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import DataTable, Input, Static

from tests.pilot_helpers import MessageLog, settle
from tui_reader.app import TuiReader
from tui_reader.screens.add_feed import AddFeedScreen
from tui_reader.screens.dialogs import ConfirmScreen
from tui_reader.screens.feed_health import FeedHealthScreen
from tui_reader.screens.import_dialog import ImportScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store

PY = sys.executable
RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Scripted [b]feed[/b]</title>'
    "<item><title>[red]Hello[/red]</title><guid>1</guid></item></channel></rss>"
)


def tool(tmp_path: Path) -> tuple[str, Path]:
    marker = tmp_path / "it-ran"
    path = tmp_path / "tool.py"
    path.write_text(f"open({str(marker)!r}, 'a').write('ran')\nprint({RSS!r})\n")
    # A markup-looking argument: the question must show it as written.
    return f"exec:{PY} {path} [bold]arg[/bold]", marker


def question_of(screen: ConfirmScreen) -> str:
    return "\n".join(str(s.render()) for s in screen.query(Static))


async def test_add_dialog_asks_before_a_command_and_no_means_nothing_runs(
    tmp_path: Path,
) -> None:
    text, marker = tool(tmp_path)
    store = Store.open(tmp_path / "lib")
    app = TuiReader(store)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("a")
            dialog = app.screen
            assert isinstance(dialog, AddFeedScreen)
            dialog.query_one("#add-url", Input).value = text
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            confirm = app.screen
            assert isinstance(confirm, ConfirmScreen)
            shown = question_of(confirm)
            assert text in shown  # exactly the command, markup-looking text as written
            assert "Allow it only if you wrote it" in shown
            await pilot.press("n")
            error = dialog.query_one("#add-error", Static)
            await settle(pilot, lambda: "not allowed" in str(error.render()))
            assert app.screen is dialog
            assert store.feeds() == [] and not marker.exists()
            # Asked again, and allowed this time: subscribed, marked, titled by its output.
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            await settle(pilot, lambda: len(store.feeds()) == 1)
            feed = store.feeds()[0]
            assert feed.url == text and feed.trusted_command == text
            assert feed.title == "Scripted [b]feed[/b]"
            assert marker.read_text() == "ran"
    finally:
        store.close()


async def test_import_dialog_asks_for_a_urls_files_commands(tmp_path: Path) -> None:
    text, marker = tool(tmp_path)
    urls = tmp_path / "urls"
    urls.write_text(f'https://a.example/feed\n"{text}" "~Mine"\n')
    store = Store.open(tmp_path / "lib")
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            await pilot.press("i")
            dialog = app.screen
            assert isinstance(dialog, ImportScreen)
            dialog.query_one("#import-path", Input).value = str(urls)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert isinstance(app.screen, ConfirmScreen)
            assert text in question_of(app.screen)
            await pilot.press("n")
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            assert [f.url for f in store.feeds()] == ["https://a.example/feed"]
            told = [n.message for n in log.notifications if n.title == "Import"]
            assert told and "1 rejected" in told[0] and "--allow-commands" in told[0]
            # Once more, allowed.
            await pilot.press("i")
            app.screen.query_one("#import-path", Input).value = str(urls)
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            mine = [f for f in store.feeds() if f.url == text]
            assert len(mine) == 1 and mine[0].trusted_command == text
            assert not marker.exists()  # importing runs nothing
    finally:
        store.close()


async def test_import_dialog_refuses_an_opml_files_commands(tmp_path: Path) -> None:
    text, marker = tool(tmp_path)
    opml = tmp_path / "shared.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="Evil" xmlUrl="{text}"/></body></opml>'
    )
    store = Store.open(tmp_path / "lib")
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(120, 40), message_hook=log) as pilot:
            await pilot.press("i")
            app.screen.query_one("#import-path", Input).value = str(opml)
            await pilot.press("enter")
            # No question: an OPML file's commands are refused outright.
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            assert store.feeds() == []
            told = [n.message for n in log.notifications if n.title == "Import"]
            assert told and "runs a command" in told[0]
            assert not marker.exists()
    finally:
        store.close()


async def test_a_failing_commands_stderr_shows_in_feed_health_as_written(
    tmp_path: Path,
) -> None:
    noisy = tmp_path / "noisy.py"
    noisy.write_text(
        "import sys\nsys.stderr.write('[bold red]not markup[/] \\x1b[2J boom')\nsys.exit(2)\n"
    )
    store = Store.open(tmp_path / "lib")
    store.add_feed(f"exec:{PY} {noisy}", "Noisy", trust_command=True)
    app = TuiReader(store)
    try:
        log = MessageLog()
        async with app.run_test(size=(160, 40), message_hook=log) as pilot:
            await pilot.press("r")
            await settle(pilot, lambda: bool(store.feeds()[0].last_error))
            await pilot.pause(0.3)
            await pilot.press("H")
            assert isinstance(app.screen, FeedHealthScreen)
            row = [str(cell) for cell in app.screen.query_one(DataTable).get_row_at(0)]
            assert row[-1] == (
                "the command failed (exit status 2): [bold red]not markup[/] \u241b[2J boom"
            )
    finally:
        store.close()
