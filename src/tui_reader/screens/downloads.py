"""The `D` screen: the download queue, one row per file with its progress bar.

Keys act on the highlighted row: `p` pause / resume, `c` cancel, `r` retry, Esc closes
(downloads go on in the background). Rows follow the queue: the main screen's podcast
controller calls `job_changed` as jobs move (from the UI thread). Titles and errors come
from feeds and servers: shown as `Content`, never markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, ListItem, ListView, ProgressBar, Static

from ..models import human_size
from ..podcasts.queue import DownloadQueue, Job
from ..text import clean_line
from ..ui_text import plain

_STATE_WORDS = {
    "queued": "waiting",
    "downloading": "downloading",
    "paused": "paused",
    "done": "done",
    "failed": "failed",
    "cancelled": "cancelled",
}


def job_line(job: Job) -> str:
    """ "Episode 12 · Feed — downloading 3.1 MB of 12.3 MB" (plain text)."""
    title = clean_line(job.title, 120) or clean_line(job.url, 120)
    feed = clean_line(job.feed_title, 60)
    amount = human_size(job.done) if job.done else ""
    if job.total and job.state != "done":
        amount = f"{human_size(job.done)} of {human_size(job.total)}"
    elif job.state == "done" and job.total is not None:
        amount = human_size(job.total)
    state = _STATE_WORDS[job.state]
    if job.state == "failed" and job.error:
        state = f"failed: {clean_line(job.error, 200)}"
    parts = [p for p in (title, feed) if p]
    return " · ".join(parts) + f" — {state}" + (f", {amount}" if amount else "")


class JobRow(ListItem):
    """One download: its line and its bar."""

    DEFAULT_CSS = """
    JobRow { height: auto; padding: 0 1; }
    JobRow Horizontal { height: 1; }
    JobRow ProgressBar Bar { width: 1fr; }
    JobRow ProgressBar { width: 1fr; }
    """

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(job_line(self.job)), classes="job-line", markup=False)
            with Horizontal():
                yield ProgressBar(total=None, show_eta=False, classes="job-bar")

    def on_mount(self) -> None:
        self.update()

    def update(self) -> None:
        job = self.job
        self.query_one(".job-line", Label).update(plain(job_line(job)))
        bar = self.query_one(ProgressBar)
        if job.state == "done":
            bar.update(total=1, progress=1)
        elif job.total:
            bar.update(total=job.total, progress=min(job.done, job.total))
        elif job.state != "downloading":
            bar.update(total=1, progress=0)  # no endless animation while nothing moves


class DownloadsScreen(ModalScreen[None]):
    """Every download of this session (and the paused ones the library remembers)."""

    BINDINGS = [
        Binding("escape,q,D", "close", "Close", id="downloads.close"),
        Binding("p", "pause_resume", "Pause / resume", id="downloads.pause"),
        Binding("c", "cancel_job", "Cancel", id="downloads.cancel"),
        Binding("r", "retry", "Retry", id="downloads.retry"),
    ]
    DEFAULT_CSS = """
    DownloadsScreen { align: center middle; }
    DownloadsScreen > Vertical {
        width: 90%; max-width: 120; height: auto; max-height: 85%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    DownloadsScreen ListView { height: auto; max-height: 30; }
    DownloadsScreen #downloads-hint, DownloadsScreen #downloads-empty { color: $text-muted; }
    """

    def __init__(self, queue: DownloadQueue) -> None:
        super().__init__()
        self.queue = queue

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Downloads"
            yield Static(
                Content("Nothing downloaded yet: E on an article with a file."),
                id="downloads-empty",
            )
            yield ListView(*(JobRow(job) for job in self.queue.jobs), id="downloads")
            yield Static(
                Content("p: pause / resume · c: cancel · r: retry · Esc: close"),
                id="downloads-hint",
            )

    def on_mount(self) -> None:
        self._empty_changed()
        self.query_one(ListView).focus()

    def _empty_changed(self) -> None:
        empty = not self.queue.jobs
        self.query_one("#downloads-empty").display = empty
        self.query_one(ListView).display = not empty

    def rows(self) -> list[JobRow]:
        return list(self.query(JobRow))

    def job_changed(self, job: Job) -> None:
        """A job moved (or is new): its row follows."""
        for row in self.rows():
            if row.job is job:
                row.update()
                return
        self.query_one(ListView).append(JobRow(job))
        self._empty_changed()

    @property
    def selected(self) -> Job | None:
        item = self.query_one(ListView).highlighted_child
        return item.job if isinstance(item, JobRow) else None

    def action_close(self) -> None:
        self.dismiss(None)

    def action_pause_resume(self) -> None:
        job = self.selected
        if job is None:
            return
        if job.state == "paused":
            self.queue.resume(job)
        elif job.state in ("queued", "downloading"):
            self.queue.pause(job)

    def action_cancel_job(self) -> None:
        job = self.selected
        if job is not None and job.state not in ("done", "cancelled"):
            self.queue.cancel(job)

    def action_retry(self) -> None:
        job = self.selected
        if job is not None and job.state in ("failed", "cancelled"):
            self.queue.retry(job)

    @on(ListView.Selected)
    def _selected(self, event: ListView.Selected) -> None:
        event.stop()  # Enter: nothing to open; the keys say what can be done
