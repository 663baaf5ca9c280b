"""Feeds behind a login in the reader (Pilot): a refresh logs in with the config's
`password_command`; feed health says "needs a login" with the config lines for a feed
without one; the Add dialog takes `user:password@` out of the address; and the password
is never on the screen, in a notification or in the library."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.pilot_helpers import MessageLog, settle
from tests.support import feedserver
from tests.support.authfeeds import PASSWORD, USER, make_corpus, secret_script, server_args
from tui_reader.app import TuiReader
from tui_reader.config import Config, config_from_dict
from tui_reader.messages import RefreshFinished
from tui_reader.screens.add_feed import AddFeedScreen
from tui_reader.screens.feed_health import FeedHealthScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


@pytest.fixture
def two_hosts(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two feed servers: the config has a login for the first only."""
    root = make_corpus(tmp_path / "corpus")
    with (
        feedserver.running(server_args(root)) as (first, _a),
        feedserver.running(server_args(root)) as (second, _b),
    ):
        yield first, second


def _host(base: str) -> str:
    return base.removeprefix("http://").rstrip("/")


def _config(base: str, argv: list[str]) -> Config:
    config = config_from_dict(
        {
            "allow_insecure_auth": True,  # loopback is plain http
            "auth": {_host(base): {"user": USER, "password_command": argv}},
        }
    )
    assert config.warnings == ()
    return config


def _screen_text(app: TuiReader) -> str:
    """What the screen shows, as text (the screenshot's SVG without its markup)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _no_password_in(directory: Path) -> None:
    for file in (p for p in directory.rglob("*") if p.is_file()):
        assert PASSWORD.encode() not in file.read_bytes(), file


async def test_refresh_logs_in_and_health_explains_the_other(
    two_hosts: tuple[str, str], tmp_path: Path
) -> None:
    first, second = two_hosts
    library = tmp_path / "lib"
    store = Store.open(library)
    store.add_feed(f"{first}_auth/basic/feeds/private.xml", "", "Work")
    store.add_feed(f"{second}_auth/basic/feeds/private.xml", "Other host", "Work")
    app = TuiReader(store, _config(first, secret_script(tmp_path)))
    try:
        log = MessageLog()
        async with app.run_test(size=(140, 40), message_hook=log) as pilot:
            assert isinstance(app.screen, MainScreen)
            await pilot.press("r")
            await settle(pilot, lambda: log.of_type(RefreshFinished))
            await pilot.pause(0.2)
            by_title = {feed.display_title: feed for feed in store.feeds()}
            assert by_title["Private"].last_success is not None  # logged in
            assert len(store.articles([by_title["Private"].id])) == 2
            other = by_title["Other host"]
            assert other.last_error is not None
            assert other.last_error.startswith("needs a login (HTTP 401 Unauthorized")
            assert PASSWORD not in _screen_text(app)
            assert all(PASSWORD not in str(n.message) for n in log.notifications)

            await pilot.press("H")
            assert isinstance(app.screen, FeedHealthScreen)
            await pilot.pause(0.1)
            detail = app.screen.query_one("#health-detail", Static)
            shown = str(detail.render())
            assert "needs a login" in shown
            assert f'[auth."{_host(second)}"]' in shown
            assert "password_command = " in shown
            assert "allow_insecure_auth" not in shown  # already set in this config
            screen_text = _screen_text(app)
            assert "needs a login" in screen_text
            assert PASSWORD not in screen_text
    finally:
        store.close()
    _no_password_in(library)


async def test_add_dialog_takes_the_login_out_of_the_address(
    two_hosts: tuple[str, str], tmp_path: Path
) -> None:
    first, _second = two_hosts
    library = tmp_path / "lib"
    store = Store.open(library)
    config = config_from_dict({"allow_insecure_auth": True})
    app = TuiReader(store, config)
    address = f"http://{USER}:{PASSWORD}@{_host(first)}/_auth/digest/feeds/private.xml"
    try:
        log = MessageLog()
        async with app.run_test(size=(140, 40), message_hook=log) as pilot:
            await pilot.press("a")
            assert isinstance(app.screen, AddFeedScreen)
            app.screen.query_one("#add-url", Input).value = address
            await pilot.press("enter")
            await settle(pilot, lambda: isinstance(app.screen, MainScreen))
            await settle(pilot, lambda: len(store.feeds()) == 1)
            (feed,) = store.feeds()
            assert feed.url == f"{first}_auth/digest/feeds/private.xml"
            await settle(pilot, lambda: log.notifications)
            told = " ".join(str(n.message) for n in log.notifications)
            assert "not stored" in told
            assert f'[auth."{_host(first)}"]' in told and f'user = "{USER}"' in told
            assert PASSWORD not in told
            assert PASSWORD not in _screen_text(app)
    finally:
        store.close()
    _no_password_in(library)
