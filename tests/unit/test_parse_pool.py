"""The parser process pool (`feeds/parse_pool.py`): same results as parsing in-process,
made only where it helps, and a broken pool never loses a feed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.paths import FEEDCORPUS, HOSTILE
from tui_reader.feeds import parse_pool
from tui_reader.feeds.common import FeedParseError
from tui_reader.feeds.parse import parse_feed
from tui_reader.feeds.parse_pool import POOL_MIN_FEEDS, FeedParser, expand, parse_compact
from tui_reader.htmltext import word_count
from tui_reader.store.records import article_id, decode_bodies

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

needs_pool = pytest.mark.skipif(
    not parse_pool.pool_is_possible(), reason="needs 2 cores and the forkserver start method"
)


def _documents(tmp_path: Path) -> list[tuple[str, bytes]]:
    """A small corpus from the project's generator plus every static hostile case."""
    out = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(FEEDCORPUS), "gen", "--out", str(out)]
        + ["-n", "6", "-m", "5", "--seed", "3", "-q"],
        check=True,
    )
    docs = [(p.name, p.read_bytes()) for p in sorted((out / "feeds").iterdir())]
    docs += [
        (p.name, p.read_bytes())
        for p in sorted(HOSTILE.iterdir())
        if p.suffix in (".rss", ".atom", ".xml", ".json")
    ]
    return docs


def _direct(body: bytes) -> object:
    try:
        return parse_feed(body, url="http://127.0.0.1/f.xml", fetched_at=NOW)
    except FeedParseError as exc:
        return ("error", str(exc))


def test_compact_form_round_trips_exactly(tmp_path: Path) -> None:
    for name, body in _documents(tmp_path):
        try:
            compact = parse_compact(body, "http://127.0.0.1/f.xml", NOW, None)
        except FeedParseError as exc:
            assert _direct(body) == ("error", str(exc)), name
            continue
        assert expand(compact) == _direct(body), name


def test_words_are_counted_by_the_parser(tmp_path: Path) -> None:
    _name, body = _documents(tmp_path)[0]
    parsed = parse_feed(body, url="http://127.0.0.1/f.xml", fetched_at=NOW)
    # The one word count (htmltext.word_count): markup is not words, CJK counts.
    assert parsed.articles and all(a.words == word_count(a.body_html) for a in parsed.articles)


async def test_small_refreshes_parse_in_a_thread() -> None:
    parser = FeedParser(POOL_MIN_FEEDS - 1)
    body = b"<rss><channel><title>t</title><item><title>a</title></item></channel></rss>"
    try:
        parsed = await parser.parse(body, "http://127.0.0.1/f.xml", NOW, None)
    finally:
        parser.close()
    assert parsed.title == "t" and not parser.in_processes


@needs_pool
async def test_big_refreshes_parse_in_processes_with_identical_results(tmp_path: Path) -> None:
    parser = FeedParser(POOL_MIN_FEEDS)
    try:
        for name, body in _documents(tmp_path):
            try:
                got: object = await parser.parse(body, "http://127.0.0.1/f.xml", NOW, None)
            except FeedParseError as exc:  # raised in the worker, re-raised here
                got = ("error", str(exc))
            assert got == _direct(body), name
        assert parser.in_processes
        assert parser._pool is not None
        assert parser._pool.submit(os.getpid).result() != os.getpid()
    finally:
        parser.close()


@needs_pool
async def test_a_broken_pool_falls_back_to_threads(tmp_path: Path) -> None:
    parser = FeedParser(POOL_MIN_FEEDS)
    name, body = _documents(tmp_path)[0]
    try:
        await parser.parse(body, "http://127.0.0.1/f.xml", NOW, None)
        # A worker dying (the out-of-memory killer, a crash in C) breaks the whole pool.
        assert parser._pool is not None
        os.kill(parser._pool.submit(os.getpid).result(), signal.SIGKILL)
        parsed = await parser.parse(body, "http://127.0.0.1/f.xml", NOW, None)
    finally:
        parser.close()
    assert parsed == _direct(body), name
    assert not parser.in_processes


def test_a_new_feeds_bodies_come_back_as_its_encoded_file(tmp_path: Path) -> None:
    """With a feed id, the bodies are staged as that feed's bodies file, not sent back."""
    for name, body in _documents(tmp_path)[:20]:
        try:
            plain = expand(parse_compact(body, "http://127.0.0.1/f.xml", NOW, None))
        except FeedParseError:
            continue
        new_feed = ("feed0001", str(tmp_path))
        encoded = expand(parse_compact(body, "http://127.0.0.1/f.xml", NOW, None, new_feed))
        assert encoded.encoded_bodies is not None, name
        assert all(a.body_html == "" for a in encoded.articles), name
        assert [replace(a, body_html="") for a in plain.articles] == list(encoded.articles)
        want: dict[str, str] = {}
        for a in plain.articles:  # the first of two items with one id wins, as in a merge
            want.setdefault(article_id("feed0001", a.key), a.body_html)
        assert encoded.encoded_bodies.ids == tuple(sorted(want)), name
        assert decode_bodies(encoded.encoded_bodies) == want, name
        assert Path(encoded.encoded_bodies.staged).parent == tmp_path
        Path(encoded.encoded_bodies.staged).unlink()


@needs_pool
async def test_quiet_parser_processes_have_no_stderr() -> None:
    """The reader's screen is drawn on stderr: its parser processes must not write there."""
    body = b"<rss><channel><title>t</title><item><title>a</title></item></channel></rss>"
    for quiet in (True, False):
        parser = FeedParser(POOL_MIN_FEEDS, quiet=quiet)
        try:
            await parser.parse(body, "http://127.0.0.1/f.xml", NOW, None)
            assert parser._pool is not None
            target = parser._pool.submit(os.readlink, "/proc/self/fd/2").result()
        finally:
            parser.close()
        assert (target == os.devnull) is quiet, target


def test_a_bodies_file_that_cannot_be_staged_comes_back_as_text(tmp_path: Path) -> None:
    """Staging is a shortcut: when the file cannot be written (a full disk, a directory
    gone), the bodies come back as text and the refresh goes on as without it."""
    _name, body = _documents(tmp_path)[0]
    plain = expand(parse_compact(body, "http://127.0.0.1/f.xml", NOW, None))
    missing = ("feed0001", str(tmp_path / "no-such-directory"))
    got = expand(parse_compact(body, "http://127.0.0.1/f.xml", NOW, None, missing))
    assert got == plain and got.encoded_bodies is None
