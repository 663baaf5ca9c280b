"""Fixtures for the sync tests: a real Miniflux (PostgreSQL + the miniflux binary, started
once per session by tests/support/miniflux_server.py) and a loopback feed server it
subscribes to.

Where Miniflux cannot be provided (not root and nothing installed, no apt-get), the tests
that need it skip and say what to do; with CI=true they fail instead, because CI always
provides it (.ci/run installs it first).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tui_reader.store import Store
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer, Unavailable, install


def _cannot_provide(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must provide Miniflux for the sync tests, but: {reason}", pytrace=False)
    pytest.skip(f"needs a local Miniflux + PostgreSQL, which could not be provided: {reason}")


@pytest.fixture(scope="session")
def miniflux_server() -> Iterator[MinifluxServer]:
    """One Miniflux 2.2.6 on 127.0.0.1 for the whole session (about 3 s with the binary
    cached, about 10 s from nothing)."""
    try:
        pg_bin, binary = install()
        server = MinifluxServer(pg_bin=pg_bin, miniflux_bin=binary).start()
    except Unavailable as exc:
        _cannot_provide(str(exc))
        raise AssertionError("unreachable") from exc
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin(miniflux_server: MinifluxServer) -> Iterator[MinifluxClient]:
    """A REST client with the API key: the tests' view of the server's truth. Every
    test starts with no feeds on the server."""
    client = MinifluxClient(miniflux_server.url, token=miniflux_server.api_key)
    for feed in client.feeds():
        client.unsubscribe(feed.id)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def bound(
    tmp_path: Path, miniflux_server: MinifluxServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """A new library bound to the server's REST API (the token from the environment)."""
    monkeypatch.setenv("TUI_READER_SECRET", miniflux_server.api_key)
    store = Store.open(tmp_path / "lib")
    store.sync.bind("miniflux", miniflux_server.url, "", "")
    try:
        yield store
    finally:
        store.close()


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    published: datetime
    body: str = "<p>Body.</p>"


class _FeedHandler(BaseHTTPRequestHandler):
    server: _FeedHTTPServer

    def do_GET(self) -> None:
        document = self.server.documents.get(self.path)
        if document is None:
            self.send_error(404)
            return
        data = document.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet tests


class _FeedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    documents: dict[str, str]


class FeedServer:
    """RSS documents on 127.0.0.1, changed by the test between server refreshes."""

    def __init__(self) -> None:
        self._http = _FeedHTTPServer(("127.0.0.1", 0), _FeedHandler)
        self._http.documents = {}
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._http.server_address[1]}"

    def publish(self, name: str, title: str, items: list[Item]) -> str:
        """Serve a feed at /name.xml; returns its URL."""
        entries = "".join(
            f"<item><guid isPermaLink='false'>{escape(i.guid)}</guid>"
            f"<title>{escape(i.title)}</title><link>{self.base}/{escape(i.guid)}.html</link>"
            f"<pubDate>{format_datetime(i.published)}</pubDate>"
            f"<description>{escape(i.body)}</description></item>"
            for i in items
        )
        self._http.documents[f"/{name}.xml"] = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{escape(title)}</title><link>{self.base}/</link>"
            f"<description>test</description>{entries}</channel></rss>"
        )
        return f"{self.base}/{name}.xml"

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture(scope="session")
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


def unique(prefix: str) -> str:
    """A name no other test uses (the server is shared by the session)."""
    return f"{prefix}-{time.monotonic_ns()}"
