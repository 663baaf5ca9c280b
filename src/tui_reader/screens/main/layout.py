"""Pane widths chosen with < > [ ] and remembered in the library: `PaneWidths`.

Until the user chooses, the stylesheet decides (and adapts to narrow terminals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...store import Store

if TYPE_CHECKING:
    from .host import MainHost

LAYOUT_LIMITS = {"sidebar": (14, 60, 26), "list": (20, 80, 50)}  # min, max, default


class PaneWidths:
    """Reads, applies and changes the remembered widths of the sidebar and the list."""

    def __init__(self, host: MainHost, store: Store) -> None:
        self.host = host
        self.store = store

    def _value(self, pane: str) -> int:
        low, high, default = LAYOUT_LIMITS[pane]
        saved = (self.store.setting("layout", {}) or {}).get(pane, default)
        return max(low, min(high, saved)) if isinstance(saved, int) else default

    def apply(self) -> None:
        """Give the panes the widths the user chose, if any."""
        saved = self.store.setting("layout", {}) or {}
        if "sidebar" in saved:
            self.host.sidebar.styles.width = self._value("sidebar")
        if "list" in saved:
            list_share = self._value("list")
            self.host.query_one("#list-column").styles.width = f"{list_share}fr"
            self.host.reader.styles.width = f"{100 - list_share}fr"

    def resize(self, pane: str, delta: int) -> None:
        """Widen (`delta` > 0) or narrow `pane`, within its limits; remembered."""
        low, high, _ = LAYOUT_LIMITS[pane]
        layout = dict(self.store.setting("layout", {}) or {})
        layout[pane] = max(low, min(high, self._value(pane) + delta))
        self.host.save_setting("layout", layout)
        self.apply()
