"""`E` (play or download an article's file) and `D` (the download queue) on the main screen.

`PodcastActions` is mixed into `MainScreen` so that its two actions live here, not in the
screen's file; `PodcastController` holds the session's `DownloadQueue` (made on first
use; it lists the paused and failed downloads the library remembers). Each download runs
in a Textual thread worker (`DownloadQueue.run`), never on the UI's thread; the queue's
changes come back through the event loop (`call_soon_threadsafe`), and go to the queue
screen when it is open, to a notification when a file is done or failed, and to the
reading pane's list of files.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from functools import partial
from typing import TYPE_CHECKING

from ...models import Article, Enclosure
from ...podcasts.player import PlayerError, plan_play, start_player
from ...podcasts.queue import DownloadQueue, Job, downloaded_paths
from ...podcasts.setup import download_folder, download_settings
from ...ui_text import plain_str

if TYPE_CHECKING:
    from ...config import Config
    from ...store import Store
    from .host import MainHost


class PodcastController:
    """The download queue of the reader's session, and what E and D do."""

    def __init__(self, screen: MainHost, store: Store, config: Config) -> None:
        self.screen = screen
        self.store = store
        self.config = config
        self._queue: DownloadQueue | None = None
        self._loop = asyncio.get_running_loop()
        self._ui_thread = threading.get_ident()
        self._told_done: dict[int, bool] = {}  # jobs whose "Downloaded" was notified

    @property
    def queue(self) -> DownloadQueue:
        if self._queue is None:
            config = self.config
            self._queue = DownloadQueue(
                self.store,
                download_folder(config),
                download_settings(config),
                max_parallel=config.max_downloads,
                start=self._start,
                on_change=self._changed,
            )
            if not self.store.read_only:
                self._queue.restore(self.store.downloads.all())
        return self._queue

    def _start(self, job: Job) -> None:
        self.screen.run_worker(
            partial(self.queue.run, job),
            thread=True,
            group="downloads",
            name=f"download {job.id}",
            exit_on_error=False,
        )

    def _changed(self, job: Job) -> None:
        if threading.get_ident() == self._ui_thread:
            self._show(job)
            return
        # A closed loop: the reader has ended; the queue records the outcome itself.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._show, job)

    def _show(self, job: Job) -> None:
        from ..downloads import DownloadsScreen

        screen = self.screen
        active = screen.app.screen
        if isinstance(active, DownloadsScreen):
            active.job_changed(job)
        title = plain_str(job.title or job.url, 80)
        if job.state == "done" and job.id not in self._told_done:
            self._told_done[job.id] = True
            screen.notify(plain_str(f"Downloaded: {title}"), timeout=4, markup=False)
            shown = screen.reader.current
            if shown is not None and shown.article_id == job.article_id:
                screen.reader.show_downloaded(downloaded_paths(self.store, job.article_id))
        elif job.state == "failed":
            error = plain_str(job.error, 200)
            message = plain_str(f"Download failed: {title}: {error}", 400)
            screen.notify(message, severity="error", timeout=8, markup=False)

    # ------------------------------------------------------------------ E

    def enclosure(self, article: Article | None) -> None:
        if article is None:
            return
        media = self.store.media_of_feed(article.feed_id) if article.enclosure_count else {}
        found = media.get(article.id)
        files = found.enclosures if found else ()
        if not files:
            self.screen.notify("This article has no file to play or download.", timeout=3)
            return
        from ..enclosure_dialog import EnclosureScreen

        downloaded = downloaded_paths(self.store, article.id)

        def chosen(choice: tuple[int, str] | None) -> None:
            if choice is None:
                return
            index, what = choice
            enclosure = files[min(index, len(files) - 1)]
            if what == "play":
                self.play(enclosure, downloaded.get(enclosure.url))
            else:
                self.download(article, enclosure)

        self.screen.app.push_screen(
            EnclosureScreen(article.title, files, frozenset(downloaded)), chosen
        )

    def play(self, enclosure: Enclosure, path: str | None) -> None:
        try:
            start_player(plan_play(self.config.player, enclosure.url, path))
        except PlayerError as exc:
            self.screen.notify(plain_str(exc, 300), severity="warning", timeout=8, markup=False)
            return
        message = "Playing the downloaded file." if path else "Playing from the web."
        self.screen.notify(message, timeout=3, markup=False)

    def download(self, article: Article, enclosure: Enclosure) -> None:
        if self.store.read_only:
            self.screen.notify("The library is read-only: nothing is downloaded.", timeout=4)
            return
        job = self.queue.enqueue(article.id, enclosure)
        if job.state == "done":
            where = plain_str(f"Already downloaded: {job.path}", 300)
            self.screen.notify(where, timeout=5, markup=False)
        else:
            self.screen.notify("Downloading in the background (D: the queue).", timeout=4)

    # ------------------------------------------------------------------ D

    def show_queue(self) -> None:
        from ..downloads import DownloadsScreen

        self.screen.app.push_screen(DownloadsScreen(self.queue))

    def stop(self) -> None:
        if self._queue is not None:
            # Parts are kept and recorded before the library closes: the next session
            # resumes them. A transfer stops at once; this waits at most a second.
            self._queue.stop_all(wait=1.0)


class PodcastActions:
    """`MainScreen`'s E and D (a mixin: the actions Textual finds on the screen). The
    screen has `store`, `config` and `target_article`; it is a `MainHost`."""

    if TYPE_CHECKING:
        store: Store
        config: Config

        def target_article(self) -> Article | None: ...

    @property
    def podcasts(self) -> PodcastController:
        controller = self.__dict__.get("_podcasts")
        if controller is None:
            host: MainHost = self  # type: ignore[assignment]
            controller = PodcastController(host, self.store, self.config)
            self.__dict__["_podcasts"] = controller
        return controller

    def action_enclosure(self) -> None:
        self.podcasts.enclosure(self.target_article())

    def action_downloads(self) -> None:
        self.podcasts.show_queue()

    def on_unmount(self) -> None:
        controller = self.__dict__.get("_podcasts")
        if controller is not None:
            controller.stop()
