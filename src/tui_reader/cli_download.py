"""`tui-reader download [--feed URL] [--new]`: download the library's enclosures (issue 18).

For scripts and cron, what `D` does in the reader: every enclosure of the library (or of
one feed) that is not downloaded yet, `max_downloads` at a time, into `download_dir`.
A paused or failed download is taken up again (a part resumes from its size); `--new`
leaves those alone and takes only enclosures never tried. One line per file as it starts,
progresses (every quarter) and ends; exit status 1 when any failed, 130 on Ctrl+C (parts
are kept, the next run resumes them). The parser is built here and registered by
`__main__`.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Enclosure
    from .podcasts.queue import Job
    from .store import Store

EXIT_FAILED = 1


def add_parser(sub: Any, library_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `download` on the top parser's subparsers."""
    p = sub.add_parser(
        "download",
        help="download the enclosures (podcast episodes) of the library's articles",
        description="Download enclosures not downloaded yet into download_dir (config), "
        "max_downloads at a time. Exit status 1 when a download failed. "
        "See README 'Podcasts'.",
    )
    library_options(p)
    p.add_argument("--feed", metavar="URL", help="only this feed's enclosures")
    p.add_argument(
        "--new",
        action="store_true",
        help="only enclosures never tried (leave paused and failed downloads alone)",
    )


def wanted(store: Store, feed_url: str | None, new_only: bool) -> list[tuple[str, Enclosure]]:
    """(article id, enclosure) to download, oldest article first."""
    from .cli import CommandError

    if feed_url:
        feed = store.find_feed_by_url(feed_url)
        if feed is None:
            raise CommandError(f"no subscription with the address {feed_url!r}")
        articles = store.articles([feed.id])
    else:
        articles = store.articles()
    found: list[tuple[str, Enclosure]] = []
    media: dict[str, Any] = {}
    for article in sorted(articles, key=lambda a: a.published):
        if not article.enclosure_count:
            continue
        if article.feed_id not in media:
            media[article.feed_id] = store.media_of_feed(article.feed_id)
        files = media[article.feed_id].get(article.id)
        for enclosure in files.enclosures if files else ():
            record = store.downloads.get(article.id, enclosure.url)
            if record is not None and (record.state == "done" or new_only):
                continue
            found.append((article.id, enclosure))
    return found


class _Printer:
    """Progress lines, one writer at a time (jobs run on threads of their own)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.quarter: dict[int, int] = {}

    def line(self, text: str) -> None:
        from rich.text import Text

        from .cli import _console

        with self.lock:
            _console().print(Text(text), soft_wrap=True)

    def changed(self, job: Job) -> None:
        from .text import clean_line

        title = clean_line(job.title, 120) or clean_line(job.url, 200)
        if job.state == "downloading":
            if job.id not in self.quarter:
                self.quarter[job.id] = 0
                self.line(f"downloading {title}")
            fraction = job.fraction
            step = int(fraction * 4) if fraction is not None else 0
            if 0 < step < 4 and step > self.quarter[job.id]:
                self.quarter[job.id] = step
                self.line(f"  {step * 25}% {title}")
        elif job.state == "done":
            self.line(f"done {title} -> {job.path}")
        elif job.state == "failed":
            self.line(f"failed {title}: {job.error}")
        elif job.state == "paused":
            self.line(f"paused {title} (run again to resume)")


def cmd_download(args: argparse.Namespace) -> int:
    from .cli import _err, open_store
    from .config import load_config
    from .paths import config_file
    from .podcasts.queue import DownloadQueue
    from .podcasts.setup import download_folder, download_settings

    config = load_config(config_file(getattr(args, "config", None)))
    printer = _Printer()
    threads: list[threading.Thread] = []
    with open_store(args, read_only=False) as store:
        todo = wanted(store, args.feed, args.new)
        if not todo:
            printer.line("Nothing to download.")
            return 0

        def start(job: Job) -> None:
            thread = threading.Thread(target=queue.run, args=(job,), daemon=True)
            threads.append(thread)
            thread.start()

        folder = download_folder(config)
        queue = DownloadQueue(
            store,
            folder,
            download_settings(config),
            max_parallel=config.max_downloads,
            start=start,
            on_change=printer.changed,
        )
        printer.line(f"{len(todo)} to download into {folder}")
        jobs = [queue.enqueue(aid, enclosure) for aid, enclosure in todo]
        try:
            _wait(threads)
        except KeyboardInterrupt:
            queue.stop_all()  # parts are kept and recorded: the next run resumes them
            _wait(threads)
            raise
        store.flush()
    failed = [job for job in jobs if job.state == "failed"]
    done = sum(job.state == "done" for job in jobs)
    if failed:
        _err(f"{len(failed)} of {len(jobs)} downloads failed")
        return EXIT_FAILED
    print(f"{done} downloaded", file=sys.stdout)
    return 0


def _wait(threads: list[threading.Thread]) -> None:
    # New threads are started as others finish: wait until none is left.
    while threads:
        thread = threads[0]
        while thread.is_alive():
            thread.join(timeout=0.5)  # a timeout, so that Ctrl+C is seen meanwhile
        threads.remove(thread)


def run(args: argparse.Namespace) -> int:
    from .cli import run_handler

    return run_handler(cmd_download, args)
