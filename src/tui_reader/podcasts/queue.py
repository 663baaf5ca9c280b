"""The download queue: jobs, their states, the parallel limit and the library's records.

A `Job` is one enclosure of one article. States:

    queued -> downloading -> done
                          -> failed     (retry -> queued)
                          -> paused     (resume -> queued: goes on from the .part's size)
                          -> cancelled  (retry -> queued: from nothing)

`DownloadQueue` starts at most `max_parallel` jobs at a time through the `start`
callback it is given, which must call `run(job)` on a thread of its own (the reader uses
a Textual thread worker, `tui-reader download` a plain thread): a download never runs on
the caller's thread. `run` makes the job's folder and `.part` file, downloads
(`download.py`), moves the finished file to its name, and records the outcome in the
library (`store.downloads`), so "downloaded" (and a paused part) survives a restart.
Every change is told to `on_change(job)`, from whichever thread made it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..models import Enclosure
from ..store import Store
from ..store.downloads import DownloadRecord
from ..text import clean_line
from .download import (
    Control,
    DownloadFailed,
    DownloadSettings,
    Stopped,
    download,
    open_session,
)
from .naming import extension_for, inside, publish, reserve_part, safe_stem

State = Literal["queued", "downloading", "paused", "done", "failed", "cancelled"]
ACTIVE: frozenset[str] = frozenset({"queued", "downloading"})
# Progress is told at most this often per job (seconds): a 100 MB file comes in
# hundreds of pieces, and a screen needs only a few updates a second.
PROGRESS_INTERVAL = 0.2


@dataclass(eq=False)
class Job:
    """One enclosure to download. Fields change under the queue's lock."""

    id: int
    article_id: str
    feed_id: str
    feed_title: str
    title: str
    url: str
    mime_type: str
    origin: str  # the feed's URL: the private-address rule's origin
    state: State = "queued"
    done: int = 0
    total: int | None = None
    part: Path | None = None
    path: Path | None = None  # the finished file
    error: str = ""
    validator: str | None = None
    control: Control = field(default_factory=Control)
    _told: float = 0.0

    @property
    def fraction(self) -> float | None:
        if self.state == "done":
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class DownloadQueue:
    """Every download of a session (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        folder: Path,
        settings: DownloadSettings,
        *,
        max_parallel: int = 2,
        start: Callable[[Job], None],
        on_change: Callable[[Job], None] | None = None,
    ) -> None:
        self.store = store
        self.folder = folder
        self.settings = settings
        self.max_parallel = max(1, max_parallel)
        self._start = start
        self._on_change = on_change
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)  # a `run` has ended
        self.jobs: list[Job] = []
        self._stems: set[str] = set()  # .part names reserved by jobs not finished yet
        self._next = 1

    # ------------------------------------------------------------------ adding

    def find(self, article_id: str, url: str) -> Job | None:
        with self._lock:
            for job in self.jobs:
                if job.article_id == article_id and job.url == url:
                    return job
        return None

    def enqueue(self, article_id: str, enclosure: Enclosure, *, start: bool = True) -> Job:
        """Queue `enclosure` of the article (or return its job if it has one already). A
        file the library has as downloaded (and still there) gives a done job; a paused
        part is resumed."""
        existing = self.find(article_id, enclosure.url)
        if existing is not None:
            if existing.state in ("failed", "cancelled", "paused"):
                if existing.state == "paused":
                    self.resume(existing)
                else:
                    self.retry(existing)
            return existing
        store = self.store
        article = store.article(article_id)
        feed = store.feed(article.feed_id) if article else None
        job = Job(
            id=0,
            article_id=article_id,
            feed_id=article.feed_id if article else "",
            feed_title=feed.display_title if feed else "",
            title=clean_line(article.title if article else "", 300),
            url=enclosure.url,
            mime_type=enclosure.mime_type,
            origin=feed.url if feed else enclosure.url,
            total=enclosure.length,
        )
        record = store.downloads.get(article_id, enclosure.url)
        if record is not None:
            self._adopt(job, record)
            if start and job.state in ("paused", "failed"):
                job.state = "queued"  # asked for again: resume or try again
        with self._lock:
            job.id = self._next
            self._next += 1
            self.jobs.append(job)
        self._changed(job)
        if start:
            self.pump()
        return job

    def _adopt(self, job: Job, record: DownloadRecord) -> None:
        """What the library remembers of this file, if it is still where it was."""
        path = Path(record.path) if record.path else None
        here = path is not None and path.is_file() and inside(self.folder, path)
        if record.state == "done" and here:
            job.state, job.path, job.done, job.total = "done", path, record.size, record.size
        elif record.state in ("partial", "failed") and here and record.path.endswith(".part"):
            # A part kept by a pause (or a failure midway): the download goes on from it.
            job.state = "paused" if record.state == "partial" else "failed"
            job.part, job.done, job.error = path, record.size, record.error or ""
            job.total, job.validator = record.total, record.validator
            assert path is not None
            self._stems.add(path.name.removesuffix(".part"))

    def restore(self, records: Iterable[DownloadRecord]) -> None:
        """Show the library's unfinished downloads (paused parts, failures) as paused or
        failed jobs, so that they can be resumed or retried after a restart."""
        for record in records:
            if record.state == "done" or self.find(record.article_id, record.url):
                continue
            article = self.store.article(record.article_id)
            if article is None:
                continue
            enclosure = Enclosure(record.url, "", record.total)
            job = self.enqueue(record.article_id, enclosure, start=False)
            if job.state == "queued":  # its part is gone, or it had failed
                job.state, job.error = "failed", record.error or "stopped"

    # ------------------------------------------------------------------ control

    def pump(self) -> None:
        """Start queued jobs while fewer than `max_parallel` run."""
        starting: list[Job] = []
        with self._lock:
            running = sum(1 for job in self.jobs if job.state == "downloading")
            for job in self.jobs:
                if running >= self.max_parallel:
                    break
                if job.state == "queued":
                    job.state = "downloading"
                    job.error = ""
                    job.control.reset()
                    running += 1
                    starting.append(job)
        for job in starting:
            self._changed(job)
            self._start(job)

    def pause(self, job: Job) -> None:
        with self._lock:
            state = job.state
            if state == "queued":
                job.state = "paused"
        if state == "downloading":
            job.control.stop("pause")  # `run` records the part and says so
        elif state == "queued":
            self._changed(job)

    def resume(self, job: Job) -> None:
        with self._lock:
            if job.state != "paused":
                return
            job.state = "queued"
        self._changed(job)
        self.pump()

    def cancel(self, job: Job) -> None:
        with self._lock:
            state = job.state
            if state in ("queued", "paused", "failed"):
                job.state = "cancelled"
        if state == "downloading":
            job.control.stop("cancel")
        elif state in ("queued", "paused", "failed"):
            self._discard(job)
            self._changed(job)

    def retry(self, job: Job) -> None:
        with self._lock:
            if job.state not in ("failed", "cancelled"):
                return
            job.state, job.error = "queued", ""
        self._changed(job)
        self.pump()

    def stop_all(self, wait: float = 0.0) -> None:
        """Pause every running download (the reader is closing): parts are kept, and
        recorded within `wait` seconds (the library is closed after this)."""
        with self._lock:
            for job in self.jobs:
                if job.state == "queued":
                    job.state = "paused"
            running = [job for job in self.jobs if job.state == "downloading"]
        for job in running:
            job.control.stop("pause")
        if wait > 0:
            with self._ended:
                self._ended.wait_for(
                    lambda: not any(job.state == "downloading" for job in self.jobs), wait
                )

    @property
    def busy(self) -> bool:
        with self._lock:
            return any(job.state in ACTIVE for job in self.jobs)

    # ------------------------------------------------------------------ running

    def run(self, job: Job) -> None:
        """Download `job` (on the caller's thread: never the UI's), then start the next."""
        try:
            self._run(job)
        finally:
            with self._ended:
                self._ended.notify_all()
            self.pump()

    def _run(self, job: Job) -> None:
        try:
            part = self._prepare(job)
        except (OSError, DownloadFailed) as exc:
            self._fail(job, exc)
            return
        try:
            outcome = asyncio.run(self._download(job, part))
        except (asyncio.CancelledError, Stopped):
            self._stopped(job)
            return
        except DownloadFailed as exc:
            self._fail(job, exc)
            return
        except OSError as exc:  # the disk: full, read-only, removed
            self._fail(job, exc)
            return
        try:
            ext = extension_for(outcome.content_type, job.mime_type, job.url)
            final = publish(part, ext)
            if not inside(self.folder, final):
                final.unlink(missing_ok=True)
                raise DownloadFailed("the file's name left the download folder; removed")
        except (OSError, DownloadFailed) as exc:
            self._fail(job, exc)
            return
        with self._lock:
            job.state, job.path, job.part = "done", final, None
            job.done = job.total = outcome.size
            self._stems.discard(part.name.removesuffix(".part"))
        self._record(job, "done", final, outcome.size)
        self._changed(job)

    def _prepare(self, job: Job) -> Path:
        """The job's `.part` (kept from a pause, else a new one in the feed's folder)."""
        with self._lock:
            if job.part is not None and job.part.exists():
                return job.part
            feed_dir = self.folder / safe_stem(job.feed_title, fallback="feed", max_bytes=120)
            feed_dir.mkdir(parents=True, exist_ok=True)
            if not inside(self.folder, feed_dir):
                raise DownloadFailed("the feed's folder is not inside the download folder")
            part = reserve_part(feed_dir, safe_stem(job.title), self._stems)
            if not inside(self.folder, part):
                raise DownloadFailed("the file's name left the download folder")
            self._stems.add(part.name.removesuffix(".part"))
            job.part, job.done, job.validator = part, 0, None
            return part

    async def _download(self, job: Job, part: Path) -> object:
        task = asyncio.current_task()
        assert task is not None
        job.control.attach(asyncio.get_running_loop(), task)
        try:
            async with open_session(self.settings) as session:
                return await download(
                    session,
                    self.settings,
                    job.url,
                    part,
                    origin=job.origin,
                    validator=job.validator,
                    on_progress=lambda done, total: self._progress(job, done, total),
                    on_validator=lambda found: setattr(job, "validator", found),
                    control=job.control,
                )
        finally:
            job.control.detach()

    def _progress(self, job: Job, done: int, total: int | None) -> None:
        job.done, job.total = done, total if total is not None else job.total
        now = time.monotonic()
        if now - job._told >= PROGRESS_INTERVAL:
            job._told = now
            self._changed(job)

    def _stopped(self, job: Job) -> None:
        reason = job.control.reason or "pause"
        if reason == "cancel":
            with self._lock:
                job.state = "cancelled"
            self._discard(job)
        else:
            with self._lock:
                job.state = "paused"
                if job.part is not None:
                    with contextlib.suppress(OSError):
                        job.done = job.part.stat().st_size
            if job.part is not None:
                self._record(job, "partial", job.part, job.done)
        self._changed(job)

    def _fail(self, job: Job, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, DownloadFailed) else _os_words(exc)
        kept = job.part if job.part is not None and job.part.exists() else None
        with self._lock:
            job.state, job.error = "failed", message
            if kept is None:
                job.part, job.done = None, 0
        self._record(job, "failed", kept, job.done if kept else 0, error=message)
        self._changed(job)

    def _discard(self, job: Job) -> None:
        """A cancelled job: its part goes, and so does its record."""
        part = job.part
        with self._lock:
            job.part, job.done = None, 0
            if part is not None:
                self._stems.discard(part.name.removesuffix(".part"))
        if part is not None:
            with contextlib.suppress(OSError):
                part.unlink()
        with contextlib.suppress(Exception):  # a read-only library keeps no records
            self.store.downloads.forget(job.article_id, job.url)

    def _record(
        self, job: Job, state: str, path: Path | None, size: int, error: str | None = None
    ) -> None:
        record = DownloadRecord(
            article_id=job.article_id,
            feed_id=job.feed_id,
            url=job.url,
            path=str(path) if path is not None else "",
            size=size,
            total=job.total,
            state=state,
            error=error,
            validator=job.validator,
        )
        with contextlib.suppress(Exception):  # the file is there; a failed save is told
            self.store.downloads.put(record)  # by the store's own error listeners

    def _changed(self, job: Job) -> None:
        if self._on_change is not None:
            self._on_change(job)


def _os_words(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"could not write the file: {exc.strerror}"
    return f"could not write the file ({type(exc).__name__})"


def downloaded_paths(store: Store, article_id: str) -> dict[str, str]:
    """Enclosure URL -> the downloaded file's path, for the article's finished downloads
    whose file is still there."""
    return {
        r.url: r.path
        for r in store.downloads.of_article(article_id)
        if r.state == "done" and r.path and Path(r.path).is_file()
    }
