"""`tui-reader serve` without a browser: who may connect, what the page loads, and how
a served reader opens links (issue 19)."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui_reader.app import TuiReader
from tui_reader.browser import BrowserError, plan_launch
from tui_reader.screens.main import MainScreen
from tui_reader.serve import check_host, is_loopback
from tui_reader.store import Store

from ..pilot_helpers import MessageLog, settle
from .served import Served, free_port


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_need_nothing(host: str) -> None:
    assert is_loopback(host)
    assert check_host(host, public=False) == (None, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_other_hosts_need_public_and_are_warned_about(host: str) -> None:
    error, warning = check_host(host, public=False)
    assert error is not None and "--public" in error and warning is None
    error, warning = check_host(host, public=True)
    assert error is None and warning is not None
    assert "anyone who can reach this port can read and change your library" in warning


def test_serve_refuses_0000_without_public(tmp_path: Path) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "tui_reader", "serve", "--host", "0.0.0.0", "--port", str(port)]
    done = subprocess.run(
        [*argv, "--db", str(tmp_path / "lib")], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "--public" in done.stderr and "0.0.0.0" in done.stderr
    assert not (tmp_path / "lib").exists()  # refused before anything was opened


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


WS_HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


def test_the_page_needs_nothing_from_outside_and_sockets_stay_same_origin(
    library_path: Path,
) -> None:
    with Served("--db", str(library_path)) as served:
        port = served.port
        status, page = _get(port, "/", {})
        assert status == 200
        assert "googleapis" not in page and "RobotoMono" in page  # the web font is local
        assert f"ws://127.0.0.1:{port}/ws" in page
        # Another site's page may not drive the reader; nor may a rebound host name.
        origin = {**WS_HANDSHAKE, "Origin": "http://evil.example"}
        assert _get(port, "/ws", origin)[0] == 403
        rebound = {**WS_HANDSHAKE, "Host": f"evil.example:{port}"}
        assert _get(port, "/ws", rebound)[0] == 403
        assert _get(port, "/", {"Host": f"evil.example:{port}"})[0] == 403
    assert "Open http://127.0.0.1:" in served.output()


def test_served_links_go_to_the_browser_tab_after_the_url_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server's $BROWSER is not the user's: it is not even looked at.
    monkeypatch.setenv("BROWSER", "/nonexistent/browser")
    plan = plan_launch("https://example.com/a b", served=True)
    assert plan.in_tab and plan.argv == () and plan.url == "https://example.com/a%20b"
    with pytest.raises(BrowserError, match="Not opened"):
        plan_launch("javascript:alert(1)", served=True)


async def test_a_served_reader_hands_links_to_the_browser_tab(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`o` (and every link, all through `MainScreen.open_url`) goes to `App.open_url` when
    the reader runs in a browser tab; a refused address never leaves the reader."""
    app = TuiReader(store)
    opened: list[tuple[str, bool]] = []
    log = MessageLog()
    monkeypatch.setattr(TuiReader, "is_web", property(lambda _app: True))
    monkeypatch.setattr(app, "open_url", lambda url, *, new_tab=True: opened.append((url, new_tab)))
    async with app.run_test(size=(120, 30), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("tab", "enter")
        await settle(pilot, lambda: screen.reader.current is not None)
        article = screen.target_article()
        assert article is not None
        await pilot.press("o")
        await settle(pilot, lambda: bool(opened))
        assert opened == [(article.link, True)]
        screen.open_url("javascript:alert(1)")
        await pilot.pause()
        assert opened == [(article.link, True)]
        assert any("Not opened" in str(n.message) for n in log.notifications)


def test_without_the_browser_tools_the_tests_skip_but_ci_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .conftest import _cannot_provide

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide"):
        _cannot_provide("needs Debian's Chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="needs Debian's Chromium"):
        _cannot_provide("needs Debian's Chromium")


def test_a_port_in_use_or_out_of_range_is_said_plainly(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "tui_reader", "serve", "--db", str(tmp_path / "lib")]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*base, "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert "Open http" not in done.stdout  # no address that does not work
    done = subprocess.run([*base, "--port", "70000"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "1-65535" in done.stderr
