"""Refresh end to end against the project's feed corpus served on 127.0.0.1.

The corpus generator and the loopback server are `tests/support/feedcorpus.py` and
`feedserver.py`; the server is started by these tests on a free port and stopped by them.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.paths import FEEDCORPUS, FEEDSERVER
from tui_reader.__main__ import main
from tui_reader.feeds import parse_pool
from tui_reader.feeds.fetch import FetchLimits
from tui_reader.feeds.refresh import RefreshSummary, refresh_feeds
from tui_reader.feeds.subscribe import SubscribeError, subscribe
from tui_reader.opml import read_subscriptions
from tui_reader.store import Store


@dataclass
class Served:
    root: Path
    url: str
    process: subprocess.Popen[str]


def generate(root: Path, feeds: int, items: int, epoch: int = 0) -> None:
    subprocess.run(
        [sys.executable, str(FEEDCORPUS), "gen", "--out", str(root)]
        + ["-n", str(feeds), "-m", str(items), "--seed", "1", "--epoch", str(epoch), "-q"],
        check=True,
    )


def serve(root: Path, *extra: str) -> Served:
    process = subprocess.Popen(
        [sys.executable, str(FEEDSERVER), str(root), "--port", "0"]
        + ["--max-seconds", "300", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    subprocess.run(
        [sys.executable, str(FEEDCORPUS), "relink", str(root), "--base-url", url],
        check=True,
        capture_output=True,
    )
    return Served(root, url, process)


def stop(served: Served) -> None:
    served.process.terminate()
    served.process.wait(timeout=10)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The issue's corpus: 200 feeds x 50 items, served on loopback."""
    root = tmp_path_factory.mktemp("corpus")
    generate(root, 200, 50)
    served = serve(root)
    try:
        yield served
    finally:
        stop(served)


def import_into(store: Store, path: Path) -> None:
    plan = read_subscriptions(path.read_bytes(), path.name)
    for sub in plan.subscriptions:
        store.add_feed(sub.url, sub.title, sub.category)


def refresh(store: Store, **limits: float) -> RefreshSummary:
    fetch_limits = FetchLimits(**limits) if limits else None  # type: ignore[arg-type]
    return asyncio.run(refresh_feeds(store, store.feeds(), limits=fetch_limits))


def test_corpus_refresh_304_and_epoch_keep_every_flag(corpus: Served, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "lib")
    try:
        import_into(store, corpus.root / "feeds.opml")
        first = refresh(store)
        assert first.failed == []
        assert first.new_articles == 10_000
        assert len(store) == 10_000
        # Every article sits in its OPML category.
        opml = read_subscriptions((corpus.root / "feeds.opml").read_bytes())
        expected = {s.url: s.category for s in opml.subscriptions}
        assert {f.url: f.category for f in store.feeds()} == expected

        # Second refresh: every feed answers 304 and nothing changes.
        second = refresh(store)
        assert second.unchanged == 200 and second.new_articles == 0
        assert len(store) == 10_000

        # Read and star a spread of articles, then move the corpus on one epoch.
        articles = store.articles()
        read = [a.id for a in articles[::7]]
        starred = [a.id for a in articles[::11]]
        store.set_read(read)
        store.set_starred(starred)
        generate(corpus.root, 200, 50, epoch=1)
        subprocess.run(
            [sys.executable, str(FEEDCORPUS), "relink", str(corpus.root)]
            + ["--base-url", corpus.url],
            check=True,
            capture_output=True,
        )
        third = refresh(store)
        assert third.failed == []
        assert 0 < third.updated < 200  # only the feeds that moved on
        assert third.new_articles > 0
        assert len(store) == 10_000 + third.new_articles
        assert all(store.is_read(i) for i in read)
        assert all(store.is_starred(i) for i in starred)
        store.flush()
    finally:
        store.close()
    # ... and on disk.
    reopened = Store.open(tmp_path / "lib", read_only=True)
    assert all(reopened.is_read(i) for i in read)
    assert all(reopened.is_starred(i) for i in starred)
    reopened.close()


def test_urls_file_gives_the_same_feeds_as_opml(corpus: Served) -> None:
    opml = read_subscriptions((corpus.root / "feeds.opml").read_bytes(), "feeds.opml")
    urls = read_subscriptions((corpus.root / "urls").read_bytes(), "urls")
    assert {(s.url, s.category) for s in urls.subscriptions} == {
        (s.url, s.category) for s in opml.subscriptions
    }


def test_broken_feeds_are_reported_and_never_stop_the_others(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    generate(root, 24, 5)
    served = serve(
        root,
        *("--bad-404", "2", "--bad-500", "2", "--bad-malformed", "2"),
        *("--bad-slow", "2", "--slow-seconds", "20"),
    )
    store = Store.open(tmp_path / "lib")
    try:
        import_into(store, root / "feeds.opml")
        summary = refresh(store, deadline=2.0)
        failed = {o.title: o.error for o in summary.failed}
        assert len(failed) == 8, failed
        errors = " | ".join(e or "" for e in failed.values())
        assert "404" in errors and "500" in errors and "timed out" in errors
        assert "not well-formed" in errors
        assert summary.updated == 16
        # The malformed feeds keep what could be read of them.
        assert 16 * 5 < len(store) < 18 * 5
        broken = [f for f in store.feeds() if f.is_broken]
        assert len(broken) == 8 and all(f.last_error for f in broken)
    finally:
        store.close()
        stop(served)


def test_cli_add_discovers_the_feed_of_a_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "corpus"
    generate(root, 2, 3)
    feed_file = sorted((root / "feeds").iterdir())[0].name
    (root / "index.html").write_text(
        "<html><head><title>Home</title>"
        f'<link rel="alternate" type="application/rss+xml" href="feeds/{feed_file}">'
        "</head><body>hi</body></html>"
    )
    served = serve(root)
    try:
        db = str(tmp_path / "lib")
        assert main(["--db", db, "add", served.url + "index.html", "--category", "Web"]) == 0
        out = capsys.readouterr().out
        assert f"feeds/{feed_file}" in out and "Subscribed" in out
        store = Store.open(db, read_only=True)
        (feed,) = store.feeds()
        assert feed.category == "Web" and feed.url.endswith(feed_file)
        assert len(store) == 3
        store.close()
        # Adding it again says so and adds nothing.
        assert main(["--db", db, "add", feed.url]) == 0
        assert "Already subscribed" in capsys.readouterr().out
    finally:
        stop(served)


def test_add_refuses_a_page_without_a_feed(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    generate(root, 1, 1)
    (root / "plain.html").write_text("<html><body>no feed here</body></html>")
    served = serve(root)
    store = Store.open(tmp_path / "lib")
    try:
        with pytest.raises(SubscribeError, match="neither a feed nor a page"):
            subscribe(store, served.url + "plain.html")
        with pytest.raises(SubscribeError, match="404"):
            subscribe(store, served.url + "missing.xml")
        assert store.feeds() == []
    finally:
        store.close()
        stop(served)


def test_cli_refresh_piped_prints_lines_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "corpus"
    generate(root, 5, 4)
    served = serve(root, "--bad-404", "1")
    try:
        db = str(tmp_path / "lib")
        assert main(["--db", db, "import", str(root / "feeds.opml")]) == 0
        assert "5 added" in capsys.readouterr().out
        assert main(["--db", db, "refresh"]) == 0
        out = capsys.readouterr().out
        assert "[5/5]" in out
        assert "Refreshed 5 feeds: 4 updated, 0 unchanged, 1 failed; 16 new articles." in out
        assert "failed:" in out and "404" in out
        assert main(["--db", db, "feeds"]) == 0
        assert "failing" in capsys.readouterr().out
    finally:
        stop(served)


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    """A 429 with Retry-After is recorded, and the feed is not fetched again before then."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(429)
            self.send_header("Retry-After", "3600")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    store = Store.open(tmp_path / "lib")
    try:
        feed, _ = store.add_feed(f"http://127.0.0.1:{server.server_port}/feed.xml", "Busy")
        first = refresh(store)
        assert [o.status for o in first.outcomes] == ["failed"]
        assert "429" in (first.outcomes[0].error or "")
        assert store.feed(feed.id).retry_until is not None  # type: ignore[union-attr]
        second = refresh(store)
        assert [o.status for o in second.outcomes] == ["waiting"]
        assert "waiting" in second.describe()
        assert len(hits) == 1
    finally:
        store.close()
        server.shutdown()


_FORK_CHECK = """
import os, sys
from datetime import UTC, datetime
from tui_reader.feeds.parse import parse_feed
from tui_reader.feeds.parse_pool import POOL_MIN_FEEDS
from tui_reader.feeds.refresh import early_parser
from tui_reader.models import Feed

never = [Feed(id=f"f{n}", url=f"http://127.0.0.1/{n}.xml", title="t")
         for n in range(POOL_MIN_FEEDS)]
fetched = [Feed(id=f"g{n}", url=f"http://127.0.0.1/{n}.xml", title="t", etag='"x"')
           for n in range(POOL_MIN_FEEDS)]
quiet = early_parser(fetched)
assert quiet._pool is None, "feeds with validators: no pool before a document arrives"
quiet.close()
parser = early_parser(never)
pool = parser._pool
assert pool is not None, "never-fetched feeds: the workers start at once"
assert pool._mp_context.get_start_method() == "fork"
pids = {pool.submit(os.getppid).result() for _ in range(8)}
assert pids == {os.getpid()}, pids  # forked by this process, no fork server between
import asyncio
body = open(sys.argv[1], "rb").read()
now = datetime(2026, 12, 1, tzinfo=UTC)
got = asyncio.run(parser.parse(body, "http://127.0.0.1/f.xml", now, None))
assert got == parse_feed(body, url="http://127.0.0.1/f.xml", fetched_at=now)
parser.close()
import concurrent.futures
def refuse(*args, **kwargs):
    raise OSError("no semaphores here")
concurrent.futures.ProcessPoolExecutor = refuse
broken = early_parser(never)  # the pool cannot be made: threads parse instead
assert broken._pool is None
got = asyncio.run(broken.parse(body, "http://127.0.0.1/f.xml", now, None))
assert got == parse_feed(body, url="http://127.0.0.1/f.xml", fetched_at=now)
assert not broken.in_processes
broken.close()
print("ok")
"""


@pytest.mark.skipif(not parse_pool.pool_is_possible("fork"), reason="needs 2 cores and fork")
def test_a_cold_refresh_forks_its_parsers_before_any_thread(tmp_path: Path) -> None:
    """Run in a fresh interpreter: forking is only allowed while it is the only thread."""
    generate(tmp_path / "c", 1, 5)
    document = next((tmp_path / "c" / "feeds").iterdir())
    done = subprocess.run(
        [sys.executable, "-c", _FORK_CHECK, str(document)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


@pytest.mark.skipif(not parse_pool.pool_is_possible("fork"), reason="needs 2 cores and fork")
def test_parsers_die_with_a_killed_refresh_and_free_the_library(tmp_path: Path) -> None:
    """Forked parser processes hold copies of the command's descriptors, the library's
    lock among them: killed, the command must not leave them behind, locking it."""
    root, db = tmp_path / "c", tmp_path / "lib"
    generate(root, parse_pool.POOL_MIN_FEEDS + 10, 5)
    served = serve(root, "--latency-ms", "400")
    try:
        assert main(["--db", str(db), "import", str(root / "feeds.opml")]) == 0
        command = subprocess.Popen(
            [sys.executable, "-m", "tui_reader", "--db", str(db), "refresh"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while len(workers := _children(command.pid)) < 2:
                assert command.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
        finally:
            command.kill()
            command.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "parser processes outlived the command"
            time.sleep(0.05)
        Store.open(db).close()  # not LibraryLocked
    finally:
        stop(served)
