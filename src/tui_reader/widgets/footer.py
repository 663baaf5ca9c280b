"""The key footer: Textual's `Footer`, rebuilt at most once per refresh.

Textual's footer rebuilds all its keys for every "bindings changed" signal, and the
reader sends several in one frame (at start: focus, the list's cursor, the sidebar's
cursor). Each rebuild takes 15 ms, and they all run before the next key is handled; one
rebuild, reading the bindings as they are by then, shows the same keys.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class ReaderFooter(Footer):
    """`Footer` whose rebuilds requested before the next refresh are merged into one."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._rebuild_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
