"""A tiny feed server on 127.0.0.1 for the CLI tests: fixed documents, some held back.

`serve(documents, slow=...)` answers `GET /<name>` with `documents[name]` (RSS); a name in
`slow` gets no answer until the server stops, like a feed that hangs. Each answer carries
an ETag but is always a 200, so every refresh has documents to parse.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def rss(title: str, keys: list[str]) -> bytes:
    """An RSS document named `title` with one item per key (newest first)."""
    items = "".join(
        f"<item><title>{title} {key}</title><link>https://example.com/{key}</link>"
        f"<guid>{key}</guid><description>Text of {key}</description>"
        f"<pubDate>Sun, 0{1 + n % 9} Nov 2026 10:00:00 GMT</pubDate></item>"
        for n, key in enumerate(keys)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, documents: dict[str, bytes], slow: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.documents = documents
        self.slow = slow
        self.release = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        name = self.path.lstrip("/")
        body = self.server.documents.get(name)
        if body is None:
            self.send_error(404)
            return
        if name in self.server.slow:
            self.server.release.wait(120)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(documents: dict[str, bytes], *, slow: set[str] | None = None) -> Iterator[str]:
    """Serve `documents` until the block ends; yields the base URL (no trailing /)."""
    server = _Server(documents, slow or set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
