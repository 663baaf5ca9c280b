"""Driving `tui-reader serve` from a real Chromium: used by the e2e tests, the browser
screenshot (screenshots/serve_screenshot.py) and the first-paint benchmark
(benchmarks/serve_paint.py).

xterm.js draws the terminal on a canvas, so the page has no text to read: `TerminalTap`
feeds what the server sends over the websocket into a `pyte` terminal of the size the page
asked for (the `width`/`height` of the websocket URL, then each `resize` it sends).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never `playwright install`
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The page's xterm.js canvas at 16 px: 1280x800 gives about 160x40 cells.
VIEWPORT = {"width": 1280, "height": 800}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """`tui-reader serve` in a subprocess on a free loopback port; a context manager."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.argv = [sys.executable, "-m", "tui_reader", "serve", "--port", str(self.port), *args]
        self.env = env
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Served:
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            start_new_session=True,  # Ctrl+C of the test run reaches it through stop()
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {self.process.communicate()[0]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("serve did not listen within 30 s")

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # what Ctrl+C does: tabs' readers save and quit
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def output(self) -> str:
        """What the server printed (only after it stopped)."""
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.read()


class TerminalTap:
    """The screen of one served tab, read back from its websocket with pyte."""

    def __init__(self, page: Any) -> None:
        import pyte

        self._pyte = pyte
        self.page = page
        self.screen: Any = None
        self.stream: Any = None
        self.opened_urls: list[str] = []  # `open_url` requests the app sent to the page
        self.first_frame: float | None = None  # time.monotonic() of the first output
        self.closed = False
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        query = parse_qs(urlsplit(ws.url).query)
        width = int(query.get("width", ["80"])[0])
        height = int(query.get("height", ["24"])[0])
        self.screen = self._pyte.Screen(width, height)
        self.stream = self._pyte.ByteStream(self.screen)
        ws.on("framereceived", self._received)
        ws.on("framesent", self._sent)
        ws.on("close", lambda _ws: setattr(self, "closed", True))

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            if self.first_frame is None:
                self.first_frame = time.monotonic()
            self.stream.feed(payload)
            return
        message = json.loads(payload)
        if message[0] == "open_url":
            self.opened_urls.append(message[1]["url"])

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            return
        message = json.loads(payload)
        if message[0] == "resize":
            self.screen.resize(message[1]["height"], message[1]["width"])

    def text(self) -> str:
        return "" if self.screen is None else "\n".join(self.screen.display)

    def wait_for(
        self, what: str | Callable[[str], bool], timeout: float = 20.0, poll: float = 0.05
    ) -> str:
        """Wait until the screen shows `what` (or `what(text)` is true); returns the text.
        Playwright delivers the frames only while it is called, hence the page waits."""
        check = what if callable(what) else (lambda text: what in text)
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen never showed {what!r}; it shows:\n{text}")
            self.page.wait_for_timeout(poll * 1000)


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
    )


def offline(context: Any) -> None:
    """No request leaves the machine: anything not on 127.0.0.1 gets a stub page (so a
    new tab still lands on its exact URL, and nothing fetched from outside can help)."""

    def handle(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            route.fulfill(status=200, content_type="text/html", body="<p>stub</p>")

    context.route("**/*", handle)


def open_reader(context: Any, url: str) -> tuple[Any, TerminalTap]:
    page = context.new_page()
    tap = TerminalTap(page)
    page.goto(url)
    return page, tap


def type_keys(page: Any, *keys: str) -> None:
    # Clicking the terminal would click the middle of the screen (selecting an article):
    # focus xterm's hidden input instead.
    page.focus("textarea.xterm-helper-textarea")
    for key in keys:
        page.keyboard.press(key)
