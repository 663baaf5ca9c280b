"""The sync HTTP client on its own (a loopback server, no Miniflux): size cap, redirects
not followed, one kept-alive connection for a whole sync."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui_reader.sync import http as sync_http
from tui_reader.sync.base import Cancelled, ProtocolError
from tui_reader.sync.common import check_status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def do_GET(self) -> None:
        self.server.peers.add(self.client_address)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.example/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = b"x" * 100_000 if self.path == "/big" else b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    peers: set[tuple[str, int]]


@pytest.fixture
def server() -> Iterator[_Server]:
    made = _Server(("127.0.0.1", 0), _Handler)
    made.peers = set()
    thread = threading.Thread(target=made.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield made
    finally:
        made.shutdown()
        made.server_close()
        thread.join()


def _url(server: _Server, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_one_connection_for_many_requests(server: _Server):
    client = sync_http.HttpClient()
    try:
        for _ in range(3):
            answer = client.request("GET", _url(server, "/"))
            assert (answer.status, answer.body) == (200, b'{"ok": true}')
    finally:
        client.close()
    assert len(server.peers) == 1


def test_an_oversized_answer_is_refused(server: _Server, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sync_http, "MAX_BODY", 10_000)
    client = sync_http.HttpClient()
    try:
        with pytest.raises(ProtocolError, match="over 64 MiB"):
            client.request("GET", _url(server, "/big"))
        assert client.request("GET", _url(server, "/")).status == 200  # still usable
    finally:
        client.close()


def test_a_redirect_is_not_followed(server: _Server):
    client = sync_http.HttpClient()
    try:
        answer = client.request("GET", _url(server, "/redirect"))
    finally:
        client.close()
    assert answer.status == 302
    with pytest.raises(ProtocolError, match="redirected the request"):
        check_status(answer, "127.0.0.1", "wrong user or password")


def test_cancel_from_another_thread_stops_a_hanging_request():
    silent = socket.socket()  # the kernel accepts the connection; nobody ever answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    client = sync_http.HttpClient(timeout=30)
    timer = threading.Timer(0.2, client.cancel)
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(Cancelled):
            client.request("GET", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        assert time.monotonic() - started < 5  # not the 30 s timeout
        with pytest.raises(Cancelled):  # and nothing new starts
            client.request("GET", f"http://127.0.0.1:{silent.getsockname()[1]}/")
    finally:
        timer.cancel()
        client.close()
        silent.close()
