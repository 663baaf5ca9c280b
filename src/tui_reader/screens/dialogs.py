"""Small typed modal dialogs: a yes/no question and a one-line text prompt."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Static

from ..ui_text import plain
from ..widgets.footer import ReaderFooter

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 70; max-width: 95%; height: auto;
    border: round $accent; background: $panel; padding: 1 2;
}}
{name} .dialog-buttons {{ height: auto; margin-top: 1; align-horizontal: right; }}
{name} .dialog-buttons Button {{ margin-left: 1; }}
{name} Input {{ margin-top: 1; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Ask a question; returns True for yes. `y`/`n` answer from the keyboard."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")

    def __init__(self, title: str, question: str, yes_label: str = "Yes") -> None:
        super().__init__()
        self._title = title
        self._question = question
        self._yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            # The question names a feed: literal text, never markup (so are the rest).
            box.border_title = plain(self._title)
            yield Static(plain(self._question, multiline=True))
            with Horizontal(classes="dialog-buttons"):
                yield Button("No", id="confirm-no")
                yield Button(plain(self._yes_label), id="confirm-yes", variant="error")
        # Its own footer: the main screen's, below, would offer keys that do nothing here.
        yield ReaderFooter(compact=True, show_command_palette=False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text; returns it stripped, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="PromptScreen")

    def __init__(
        self, title: str, question: str, value: str = "", suggestions: list[str] | None = None
    ) -> None:
        super().__init__()
        self._title = title
        self._question = question
        self._value = value
        self._suggestions = suggestions or []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = plain(self._title)
            yield Static(plain(self._question, multiline=True))
            yield Input(
                value=self._value,
                suggester=SuggestFromList(self._suggestions, case_sensitive=False)
                if self._suggestions
                else None,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="prompt-cancel")
                yield Button("OK", id="prompt-ok", variant="primary")
        yield ReaderFooter(compact=True, show_command_palette=False)

    @on(Input.Submitted)
    @on(Button.Pressed, "#prompt-ok")
    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        self.dismiss(value or None)

    @on(Button.Pressed, "#prompt-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
