"""The one way a failed worker is reported: a plain-words notification and the traceback
in the log.

Every `@work` / `run_worker` of the reader runs with `exit_on_error=False` (one failure
must never end the app); the node that owns the workers sends its `Worker.StateChanged`
here, so an unexpected error is seen instead of vanishing.
"""

from __future__ import annotations

import logging
import traceback

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from .ui_text import plain_str

log = logging.getLogger("tui_reader")

# What the user is told each kind of work was doing (worker group -> words).
WHAT = {
    "refresh": "The refresh",
    "subscribe": "Adding the feed",
    "search": "The search",
    "search-warm-up": "Reading articles for search",
    "saved-counts": "Counting saved searches",
    "full-text": "Fetching the full text",
    "browser": "Opening the browser",
    "reader-render": "Showing the article",
    "reader-settle": "Showing the article",
}


def describe_failure(worker: Worker[object]) -> str:
    """The notification's text: what failed and the error, in plain words (no markup)."""
    what = WHAT.get(worker.group, "A background task")
    error = worker.error
    reason = str(error) or type(error).__name__ if error is not None else "an unknown error"
    return f"{what} failed unexpectedly: {reason}"


def report_worker_error(node: DOMNode, event: Worker.StateChanged) -> bool:
    """If `event` says a worker failed, notify and log it; returns whether it did."""
    if event.state != WorkerState.ERROR:
        return False
    worker = event.worker
    error = worker.error
    if error is not None:
        trace = "".join(traceback.format_exception(error))
        log.error("worker %r (%s) failed:\n%s", worker.name, worker.group, trace)
        node.log.error(f"worker {worker.name!r} ({worker.group}) failed:\n{trace}")
    # markup=False: the error can quote a feed's text or a server's words.
    node.notify(
        plain_str(describe_failure(worker), multiline=True),
        title="Error",
        severity="error",
        markup=False,
    )
    return True
