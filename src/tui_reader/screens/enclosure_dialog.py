"""The `E` dialog: play or download one of the article's files (enclosures).

With several files, the list picks one first (Enter moves on to the buttons). Returns
`(index, "play" | "download")`, or None when cancelled. File descriptions and URLs come
from the feed: shown as `Content`, never markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from ..models import Enclosure
from ..text import clean_line
from ..ui_text import plain, plain_str
from .dialogs import DIALOG_CSS

Choice = tuple[int, str]


class EnclosureScreen(ModalScreen[Choice | None]):
    """Play / Download / Cancel for the article's files."""

    BINDINGS = [
        Binding("p", "choose('play')", "Play", id="enclosure.play"),
        Binding("d", "choose('download')", "Download", id="enclosure.download"),
        Binding("escape,q", "cancel", "Cancel", id="enclosure.cancel"),
    ]
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="EnclosureScreen")
        + """
    EnclosureScreen OptionList { height: auto; max-height: 12; border: none; }
    EnclosureScreen #enclosure-hint { color: $text-muted; }
    """
    )

    def __init__(
        self, title: str, enclosures: tuple[Enclosure, ...], downloaded: frozenset[str]
    ) -> None:
        super().__init__()
        self._title = title
        self.enclosures = enclosures
        self.downloaded = downloaded

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Play or download"
            yield Static(plain(clean_line(self._title, 200) or "(untitled)"))
            options = []
            for enclosure in self.enclosures:
                mark = "  (downloaded)" if enclosure.url in self.downloaded else ""
                label = clean_line(enclosure.describe(), 200) + mark
                url = "  " + plain_str(enclosure.url, 300)
                options.append(Option(plain(f"{label}\n{url}", multiline=True)))
            yield OptionList(*options, id="enclosure-files")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="enclosure-cancel")
                yield Button("Download", id="enclosure-download")
                yield Button("Play", id="enclosure-play", variant="primary")
            yield Static(
                Content("p: play (the file once downloaded) · d: download · Esc: cancel"),
                id="enclosure-hint",
            )

    def on_mount(self) -> None:
        files = self.query_one(OptionList)
        files.highlighted = 0
        if len(self.enclosures) > 1:
            files.focus()
        else:
            files.display = False  # one file: nothing to pick
            self.query_one("#enclosure-play", Button).focus()

    @property
    def chosen(self) -> int:
        index = self.query_one(OptionList).highlighted
        return index if index is not None else 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#enclosure-play", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "enclosure-cancel":
            self.dismiss(None)
        else:
            play = event.button.id == "enclosure-play"
            self.dismiss((self.chosen, "play" if play else "download"))

    def action_choose(self, what: str) -> None:
        self.dismiss((self.chosen, what))

    def action_cancel(self) -> None:
        self.dismiss(None)
