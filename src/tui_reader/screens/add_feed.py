"""The add-feed dialog: an address and a category; subscribes with discovery."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from ..ui_text import plain


@dataclass(frozen=True, slots=True)
class AddFeedRequest:
    url: str
    category: str


class AddFeedScreen(ModalScreen[AddFeedRequest | None]):
    """Returns the request; the main screen subscribes and reports back with `show_error`."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    DEFAULT_CSS = """
    AddFeedScreen { align: center middle; }
    AddFeedScreen > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    AddFeedScreen Label { margin-top: 1; }
    AddFeedScreen #add-error { color: $error; margin-top: 1; height: auto; }
    AddFeedScreen #add-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    AddFeedScreen #add-buttons Button { margin-left: 1; }
    """

    def __init__(self, categories: list[str], default_category: str = "") -> None:
        super().__init__()
        self._categories = categories
        self._default_category = default_category

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Add a feed"
            yield Label("Feed or website address")
            yield Input(placeholder="https://example.com/feed.xml", id="add-url")
            yield Label("Category")
            yield Input(
                value=self._default_category,
                placeholder="Uncategorized",
                id="add-category",
                suggester=SuggestFromList(self._categories, case_sensitive=False),
            )
            yield Static(id="add-error", markup=False)
            with Horizontal(id="add-buttons"):
                yield Button("Cancel", id="add-cancel")
                yield Button("Subscribe", id="add-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#add-error").display = False
        self.query_one("#add-url", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#add-error", Static)
        error.update(plain(message, multiline=True))
        error.display = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#add-ok")
    def _submit(self) -> None:
        url = self.query_one("#add-url", Input).value.strip()
        if not url:
            self.show_error("Type the address of a feed or of a website.")
            return
        category = self.query_one("#add-category", Input).value.strip()
        self.dismiss(AddFeedRequest(url, category))

    @on(Button.Pressed, "#add-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
