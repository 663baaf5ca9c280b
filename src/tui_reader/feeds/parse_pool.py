"""Parse fetched feeds on every core: a process pool for big refreshes.

Parsing is pure-Python work per item (about 50 us), so in one process a refresh of
hundreds of feeds parses on one core while the others idle. A refresh of at least
`POOL_MIN_FEEDS` feeds therefore parses in a pool of processes, one per core; the main
process keeps fetching and saving. Smaller refreshes parse in a thread, as before: a
pool takes ~0.15 s to start, more than a few feeds take to parse.

How the processes start. A pool is normally made when the first document arrives, when
the store's writer thread and the event loop are running; forking a process with threads
can copy a lock some other thread holds, so it uses "forkserver": a fresh interpreter
(started with fork + exec) that preloads the parser, and workers fork from it. As with
every multiprocessing start method but "fork", each worker imports the program's main
module again: `tui_reader.__main__` and the `tui-reader` script only run under
`if __name__ == "__main__"`; a program that does not guard its entry point makes the pool
fail, and the refresh parses in threads instead.

`tui-reader refresh` knows before any thread starts that many feeds will send whole
documents (they have never been fetched): `FeedParser.start_by_fork` then forks the
workers straight from the command's process, while it is still the only thread. They are
ready in milliseconds with the parser imported once, where the fork server takes ~0.1 s
to boot and import it (a tenth of a 200-feed cold refresh) and a resource tracker
process besides.

Results come back as plain tuples rather than dataclasses: they pickle about twice as
fast, and there are 50,000 of them in a 1,000-feed refresh. For a feed's first fetch
the worker also writes (stages) the feed's bodies file and sends back only its name
instead of the bodies (`EncodedBodies`, docs/storage.md): the main process, which saves
every feed, is the busier one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from ..models import Enclosure, EncodedBodies, NewArticle, ParsedFeed

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# multiprocessing is imported when a pool is made: a refresh where every feed answers
# 304 never needs it (it costs ~5 ms to import).

# From this many feeds on, a refresh parses in processes.
POOL_MIN_FEEDS = 20
# Parser processes: one per core, at most this many (the main process, which saves, is
# the limit after that).
MAX_WORKERS = 4

_Compact = tuple[
    str,
    str,
    tuple[str, ...],
    str | None,
    list[
        tuple[
            str,
            str,
            str,
            str,
            datetime,
            str,
            int | None,
            tuple[str, ...],
            tuple[Enclosure, ...],
            str,
        ]
    ],
    tuple[tuple[str, ...], str] | None,
]


def _worker_count() -> int:
    return min(os.cpu_count() or 1, MAX_WORKERS)


def pool_is_possible(start_method: str = "forkserver") -> bool:
    """True where a pool can help and be made: two cores or more, and `start_method`."""
    import multiprocessing

    return (
        _worker_count() >= 2
        and sys.platform.startswith("linux")
        and start_method in multiprocessing.get_all_start_methods()
    )


@contextlib.contextmanager
def _real_stderr(*, quiet: bool) -> Iterator[None]:
    """While a pool is made, `sys.stderr` is a real file.

    Making the pool starts multiprocessing's resource tracker, a process that is handed
    `sys.stderr.fileno()`. Inside the reader `sys.stderr` is Textual's print capture, whose
    descriptor is not a real one: the tracker could not start ("bad value(s) in
    fds_to_keep") and every refresh in the reader parsed in threads. A quiet parser (the
    reader's) hands it /dev/null, the others the process's own stderr.
    """
    saved = sys.stderr
    with open(os.devnull, "w") if quiet else contextlib.nullcontext(sys.__stderr__) as real:
        sys.stderr = real
        try:
            yield
        finally:
            sys.stderr = saved


def _stderr_to_devnull() -> None:
    """Redirects a quiet pool process's stderr (see `FeedParser`)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _ignore_interrupts() -> None:
    """Ctrl+C in a terminal reaches every process of the command's group: the command
    stops the refresh and shuts the pool down, so a worker must not die of it mid-task,
    printing a traceback (`ForkServerProcess-3: ... KeyboardInterrupt`)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _forkserver_worker_start(quiet: bool) -> None:
    """Runs first in each worker started through the fork server."""
    _ignore_interrupts()
    if quiet:
        _stderr_to_devnull()


def _forked_worker_start(parent: int, quiet: bool) -> None:
    """Runs first in each worker forked by `FeedParser.start_by_fork`.

    A forked worker holds copies of every descriptor of the command that forked it, the
    library's lock among them, and would wait forever for work if that process were
    killed: it must die with it (Linux's PR_SET_PDEATHSIG), or the library would stay
    locked until someone found and killed the orphan.
    """
    import ctypes
    import signal

    _ignore_interrupts()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)
    if quiet:
        _stderr_to_devnull()


def parse_compact(
    body: bytes,
    url: str,
    fetched_at: datetime,
    content_type: str | None,
    new_feed: tuple[str, str] | None = None,
) -> _Compact:
    """Runs in a pool process: `parse_feed`, with the result flattened for pickling.

    With `new_feed` (id, directory) for a feed with no articles yet, the bodies are not
    sent back: they are staged as the feed's bodies file in that directory
    (`EncodedBodies`).
    """
    parsed = _parse_here(body, url, fetched_at, content_type)
    encoded = None
    if new_feed is not None:
        from pathlib import Path

        from ..store.records import encode_new_bodies

        feed_id, directory = new_feed
        try:
            found = encode_new_bodies(feed_id, parsed.articles, Path(directory))
        except (OSError, TypeError, ValueError):
            # A full disk, say (or text the encoder refuses): staging is only a shortcut,
            # the bodies go back as text and the store saves (or reports) them as ever.
            pass
        else:
            encoded = (found.ids, found.staged)
    articles = [
        (
            *(a.key, a.title, a.link, a.author, a.published, "" if encoded else a.body_html),
            *(a.words, a.authors, a.enclosures, a.image),  # NewArticle's field order
        )
        for a in parsed.articles
    ]
    return parsed.title, parsed.site_url, parsed.warnings, parsed.incomplete, articles, encoded


def _parse_here(
    body: bytes, url: str, fetched_at: datetime, content_type: str | None
) -> ParsedFeed:
    from .parse import parse_feed

    return parse_feed(body, url=url, fetched_at=fetched_at, content_type=content_type)


def expand(compact: _Compact) -> ParsedFeed:
    """The `ParsedFeed` a `parse_compact` result stands for."""
    title, site_url, warnings, incomplete, articles, encoded = compact
    return ParsedFeed(
        title=title,
        site_url=site_url,
        articles=tuple(NewArticle(*fields) for fields in articles),
        warnings=warnings,
        incomplete=incomplete,
        encoded_bodies=EncodedBodies(*encoded) if encoded else None,
    )


class FeedParser:
    """Parses documents for one refresh: in a process pool when the refresh is big
    enough (made on first use), else in a thread. If the pool breaks (a worker killed,
    say by the out-of-memory killer), the rest of the refresh parses in threads."""

    def __init__(self, feed_count: int, *, quiet: bool = False) -> None:
        # A pool is only considered once a document arrives (`_get_pool`).
        self._want_pool = feed_count >= POOL_MIN_FEEDS and _worker_count() >= 2
        # quiet: the parser processes' stderr goes nowhere. The reader asks for it: its
        # screen is drawn on the stderr they would inherit, so a warning or traceback
        # from one would land on top of it.
        self._quiet = quiet
        self._checked = False
        self._pool: ProcessPoolExecutor | None = None
        self.workers = _worker_count() if self._want_pool else 0

    async def parse(
        self,
        body: bytes,
        url: str,
        fetched_at: datetime,
        content_type: str | None,
        new_feed: tuple[str, str] | None = None,
    ) -> ParsedFeed:
        """Parse one document; raises `FeedParseError` as `parse_feed` does.

        `new_feed` (feed id, directory): the document is the first of a feed with no
        articles; a pool process then stages its bodies file there
        (`ParsedFeed.encoded_bodies`). Threads ignore it: they gain nothing by it.
        """
        args = (body, url, fetched_at, content_type)
        pool = self._get_pool()
        if pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            loop = asyncio.get_running_loop()
            try:
                compact = await loop.run_in_executor(pool, parse_compact, *args, new_feed)
                return expand(compact)
            except BrokenProcessPool:
                self._want_pool = False
        return await asyncio.to_thread(_parse_here, *args)

    def start_by_fork(self) -> bool:
        """Start the parser processes now, forked from this process; True if it did.

        Only while this is the only thread (see the module docstring); otherwise, or if a
        pool is not wanted or cannot be made, nothing happens and a pool (if wanted) is
        made through the fork server when the first document arrives.
        """
        import threading

        if self._pool is not None or not self._want_pool or threading.active_count() != 1:
            return False
        if not pool_is_possible("fork"):
            return False
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # Imported here, once, so that every worker has the parser already.
        from ..store import records  # noqa: F401
        from . import parse  # noqa: F401

        try:
            pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_forked_worker_start,
                initargs=(os.getpid(), self._quiet),
            )
        except (OSError, ValueError):  # no semaphores (/dev/shm), say: as in _get_pool
            return False
        try:
            # A "fork" pool forks all its workers at its first submit, before it starts
            # its own threads: now, while no other thread exists.
            pool.submit(os.getpid)
        except OSError:  # no processes to be had now: the usual way may do later
            pool.shutdown(wait=False, cancel_futures=True)
            return False
        self._pool = pool
        self._checked = True
        return True

    @property
    def in_processes(self) -> bool:
        """True while documents go to the process pool (made or to be made)."""
        return self._want_pool

    def _get_pool(self) -> ProcessPoolExecutor | None:
        if not self._checked:
            self._checked = True
            self._want_pool = self._want_pool and pool_is_possible()
        if self._pool is None and self._want_pool:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            try:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(
                    ["tui_reader.feeds.parse", "tui_reader.store.records"]
                )
                with _real_stderr(quiet=self._quiet):
                    self._pool = ProcessPoolExecutor(
                        max_workers=self.workers,
                        mp_context=context,
                        initializer=_forkserver_worker_start,
                        initargs=(self._quiet,),
                    )
            except (OSError, ValueError):
                self._want_pool = False  # no processes to be had: threads will do
        return self._pool if self._want_pool else None

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
