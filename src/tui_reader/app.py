"""TuiReader: a thin App. The main screen owns the state; this holds the store and config."""

from __future__ import annotations

import gc

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from . import __version__
from .commands import ReaderCommands
from .config import Config, KnownBinding, check_config
from .screens.main import MainScreen
from .store import Store, StoreError
from .ui_text import plain_str


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
        known = known_bindings()
        # The same check as `tui-reader config --check` (config.check_config).
        problems = check_config(self.config, bindings=known, themes=self.available_themes)
        keymap = {binding_id: keys for binding_id, keys in self.config.keys if binding_id in known}
        if keymap:
            self.set_keymap(keymap)
        # A theme chosen in the app (palette: "Change theme") wins over the config's.
        chosen = self.store.setting("theme")
        if isinstance(chosen, str) and chosen in self.available_themes:
            self.theme = chosen
        elif self.config.theme in self.available_themes:
            self.theme = self.config.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for warning in problems:
            self.notify(
                plain_str(warning, multiline=True),
                title="Config",
                severity="warning",
                timeout=10,
                markup=False,
            )
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
                self.notify(plain_str(exc, multiline=True), severity="error", markup=False)

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.store, self.config)


def binding_ids() -> frozenset[str]:
    """Every binding id the reader declares: what the config's [keys] table may remap."""
    return frozenset(known_bindings())


def known_bindings() -> dict[str, KnownBinding]:
    """Every binding the reader declares, by id, with its default keys and where it
    works: what `check_config` needs to check the config's [keys] table."""
    from .widgets.article_list import ArticleList
    from .widgets.category_sidebar import CategorySidebar
    from .widgets.reading_pane import ReadingPane

    screen_wide = (TuiReader, MainScreen)
    owners = (*screen_wide, ArticleList, CategorySidebar, ReadingPane)
    return {
        binding.id: KnownBinding(binding.key, "" if owner in screen_wide else owner.__name__)
        for owner in owners
        for binding in owner.BINDINGS
        if isinstance(binding, Binding) and binding.id
    }
