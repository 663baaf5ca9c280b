"""TuiReader: a thin App. The main screen owns the state; this holds the store and config."""

from __future__ import annotations

import gc

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from . import __version__
from .commands import ReaderCommands
from .config import Config
from .screens.main import MainScreen
from .store import Store, StoreError


class TuiReader(App[None]):
    """The terminal feed reader."""

    CSS_PATH = "tui_reader.tcss"
    TITLE = "tui-reader"
    SUB_TITLE = __version__
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {ReaderCommands}

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, store: Store, config: Config | None = None) -> None:
        super().__init__()
        self.store = store
        self.config = config or Config()

    def on_mount(self) -> None:
        known = binding_ids()
        keymap = {}
        for binding_id, keys in self.config.keys:
            if binding_id in known:
                keymap[binding_id] = keys
            else:
                self.notify(
                    f"Config: [keys] {binding_id!r} is not a binding id; ignored.",
                    severity="warning",
                    markup=False,
                )
        if keymap:
            self.set_keymap(keymap)
        # A theme chosen in the app (palette: "Change theme") wins over the config's.
        chosen = self.store.setting("theme")
        if isinstance(chosen, str) and chosen in self.available_themes:
            self.theme = chosen
        elif self.config.theme in self.available_themes:
            self.theme = self.config.theme
        else:
            self.notify(f"Unknown theme {self.config.theme!r} in the config file.", markup=False)
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for warning in self.config.warnings:
            self.notify(warning, title="Config", severity="warning", timeout=10, markup=False)
        self.call_after_refresh(self._started)

    def _started(self) -> None:
        """After the first frame: garbage collection back on, if start-up turned it off."""
        if not gc.isenabled():
            # launch.py paused the collector for start-up. What exists now (modules, the
            # library) lives as long as the app: frozen, later collections skip it.
            gc.freeze()
            gc.enable()

    def _remember_theme(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if isinstance(name, str) and name != self.store.setting("theme"):
            try:
                self.store.set_setting("theme", name)
            except StoreError as exc:
                self.notify(str(exc), severity="error", markup=False)

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.store, self.config)


def binding_ids() -> frozenset[str]:
    """Every binding id the reader declares: what the config's [keys] table may remap."""
    from .widgets.article_list import ArticleList
    from .widgets.category_sidebar import CategorySidebar
    from .widgets.reading_pane import ReadingPane

    owners = (TuiReader, MainScreen, ArticleList, CategorySidebar, ReadingPane)
    return frozenset(
        binding.id
        for owner in owners
        for binding in owner.BINDINGS
        if isinstance(binding, Binding) and binding.id
    )
