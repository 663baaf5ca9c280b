"""TuiReader: a thin App. The main screen owns the state; this holds the store and config."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from . import __version__
from .config import Config
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

    def __init__(self, store: Store, config: Config | None = None) -> None:
        super().__init__()
        self.store = store
        self.config = config or Config()

    def on_mount(self) -> None:
        if self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notify(f"Unknown theme {self.config.theme!r} in the config file.", markup=False)
        for warning in self.config.warnings:
            self.notify(warning, title="Config", severity="warning", timeout=10, markup=False)

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.store, self.config)
