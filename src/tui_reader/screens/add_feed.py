"""The add-feed dialog: an address and a category; subscribes with discovery.

The dialog stays open while the address is checked (fetched and parsed): a mistake is
shown under the field, where it can be corrected, instead of closing the dialog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from ..ui_text import plain
from ..widgets.footer import ReaderFooter
from ..workers import report_worker_error


@dataclass(frozen=True, slots=True)
class AddFeedRequest:
    url: str
    category: str


# Subscribes to a request: None when done, else what went wrong, in plain words.
Attempt = Callable[[AddFeedRequest], Awaitable[str | None]]


class AddFeedScreen(ModalScreen[AddFeedRequest | None]):
    """Returns the request once `attempt` has subscribed to it; until then the dialog
    stays open and shows `attempt`'s error under the address (without `attempt`, it
    returns the request at once)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    DEFAULT_CSS = """
    AddFeedScreen { align: center middle; }
    AddFeedScreen > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    AddFeedScreen Label { margin-top: 1; }
    AddFeedScreen #add-error { color: $text-muted; height: auto; }
    AddFeedScreen #add-error.-error { color: $error; }
    AddFeedScreen #add-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    AddFeedScreen #add-buttons Button { margin-left: 1; }
    """

    def __init__(
        self, categories: list[str], default_category: str = "", attempt: Attempt | None = None
    ) -> None:
        super().__init__()
        self._categories = categories
        self._default_category = default_category
        self._attempt = attempt

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Add a feed"
            yield Label("Feed or website address")
            yield Input(placeholder="https://example.com/feed.xml", id="add-url")
            yield Static(id="add-error", markup=False)
            yield Label("Category")
            yield Input(
                value=self._default_category,
                placeholder="Uncategorized",
                id="add-category",
                suggester=SuggestFromList(self._categories, case_sensitive=False),
            )
            with Horizontal(id="add-buttons"):
                yield Button("Cancel", id="add-cancel")
                yield Button("Subscribe", id="add-ok", variant="primary")
        yield ReaderFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#add-error").display = False
        self.query_one("#add-url", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#add-error", Static)
        error.set_class(True, "-error")
        error.update(plain(message, multiline=True))
        error.display = True

    def _show_busy(self, message: str) -> None:
        status = self.query_one("#add-error", Static)
        status.set_class(False, "-error")
        status.update(plain(message, multiline=True))
        status.display = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#add-ok")
    def _submit(self) -> None:
        url = self.query_one("#add-url", Input).value.strip()
        if not url:
            self.show_error("Type the address of a feed or of a website.")
            return
        category = self.query_one("#add-category", Input).value.strip()
        request = AddFeedRequest(url, category)
        if self._attempt is None:
            self.dismiss(request)
            return
        if self.query_one("#add-ok", Button).disabled:
            return  # already checking
        self.query_one("#add-ok", Button).disabled = True
        self._show_busy(f"Checking {url}…")
        self.run_worker(self._try(request), group="add-feed", exit_on_error=False)

    async def _try(self, request: AddFeedRequest) -> None:
        assert self._attempt is not None
        error = await self._attempt(request)  # Escape meanwhile cancels this worker
        self.query_one("#add-ok", Button).disabled = False
        if error is None:
            self.dismiss(request)
            return
        self.show_error(error)
        self.query_one("#add-url", Input).focus()

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#add-ok", Button).disabled = False
        report_worker_error(self, event)

    @on(Button.Pressed, "#add-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
