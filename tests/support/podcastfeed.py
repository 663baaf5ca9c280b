"""A podcast feed with three episodes, served from 127.0.0.1 by `feedserver.py` in-process.

`serve_podcast(tmp)` writes `feed.xml` and three episode files (deterministic bytes of
different sizes) into a folder, starts the corpus server on a free loopback port in a
thread, and returns a `PodcastServer`: its URL, the episodes' bytes, the server's
counters (`ranges`: every Range header it saw). Episode titles and enclosure URLs can be
replaced to test hostile ones. Used by tests/unit/test_podcasts.py and the CLI and Pilot
tests of downloads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from tests.support.feedserver import CorpusServer, Counters, parse_args

SIZES = (300_000, 450_001, 123_457)


def episode_bytes(n: int, size: int) -> bytes:
    """Deterministic, non-repeating-looking bytes for episode `n`."""
    block = bytes((i * 31 + n * 7 + (i >> 8)) % 251 for i in range(65_536))
    return (block * (size // len(block) + 1))[:size]


@dataclass
class PodcastServer:
    url: str  # base, with a trailing slash
    root: Path
    files: dict[str, bytes]  # file name -> its bytes
    counters: Counters
    server: CorpusServer

    @property
    def feed_url(self) -> str:
        return self.url + "feed.xml"


def feed_xml(base: str, items: Sequence[tuple[str, str, str]]) -> str:
    """RSS with one item per (title, enclosure URL, MIME type)."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><guid>ep-{n}</guid>"
        f"<link>{escape(base)}ep{n}.html</link>"
        f"<pubDate>Mon, 0{n + 1} Dec 2025 10:00:00 GMT</pubDate>"
        f'<enclosure url={quoteattr(url)} type={quoteattr(mime)} length="1"/></item>'
        for n, (title, url, mime) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Loopback Cast</title><link>{escape(base)}</link>{entries}</channel></rss>"
    )


@contextmanager
def serve_podcast(
    folder: Path, items: Sequence[tuple[str, str, str]] | None = None
) -> Iterator[PodcastServer]:
    """Serve the podcast; `items` (title, URL or "{base}name", type) replace the episodes
    (the three episode files are served either way)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    for n, size in enumerate(SIZES, start=1):
        name = f"episode{n}.mp3"
        files[name] = episode_bytes(n, size)
        (folder / name).write_bytes(files[name])
    server = CorpusServer(("127.0.0.1", 0), parse_args([str(folder), "--port", "0"]))
    host, port = server.server_address[:2]
    base = f"http://{host}:{port}/"
    if items is None:
        items = [(f"Episode {n}", f"{base}episode{n}.mp3", "audio/mpeg") for n in (1, 2, 3)]
    items = [(title, url.replace("{base}", base), mime) for title, url, mime in items]
    (folder / "feed.xml").write_text(feed_xml(base, items), encoding="utf-8")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield PodcastServer(base, folder, files, server.counters, server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
