"""TuiReader: a thin App. The main screen owns the state; this holds the store and config."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from . import __version__
from .screens.main import MainScreen
from .store import Store


class TuiReader(App[None]):
    """The terminal feed reader."""

    CSS_PATH = "tui_reader.tcss"
    TITLE = "tui-reader"
    SUB_TITLE = __version__
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, store: Store, *, browser_command: str | None = None) -> None:
        super().__init__()
        self.store = store
        # The configured browser command; None means $BROWSER or the system default.
        self.browser_command = browser_command

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.store)
