"""Pane widths chosen with < > [ ] and remembered in the library: `PaneWidths`.

Until the user chooses, the stylesheet decides (and adapts to narrow terminals). A saved
width is a wish, not an order: it is applied only as far as it fits the terminal of the
moment, so a width chosen at 120 columns never breaks the reader at 80 (the panes keep
the minimums below), and `[` always undoes `]` because the saved value itself is never
clamped to a particular terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...store import Store

if TYPE_CHECKING:
    from .host import MainHost

LAYOUT_LIMITS = {"sidebar": (14, 60, 26), "list": (20, 80, 55)}  # min, max, default
NARROW_BELOW = 100  # columns; matches MainScreen.HORIZONTAL_BREAKPOINTS
# What the panes beside the sidebar need to stay usable: side by side (wide) the list
# needs room for a title, a feed and a date, the reading pane for a line of prose;
# stacked (narrow) one column holds both.
MIN_CONTENT = {"wide": 80, "narrow": 58}
MIN_LIST = 40
MIN_READER = 36
# Narrow terminals stack the list above the reading pane: the list share becomes the
# list's height in percent: the share less 15 (55, the default, gives the stylesheet's 40%).
NARROW_HEIGHT = (15, 24, 64)  # offset, min %, max %


def fitted(pane: str, saved: int, screen_width: int, sidebar_width: int) -> int:
    """`saved` (a sidebar width in cells, or the list's share of the content in percent)
    reduced as far as needed for every pane to keep its minimum at `screen_width`."""
    low, _, _ = LAYOUT_LIMITS[pane]
    narrow = screen_width < NARROW_BELOW
    if pane == "sidebar":
        room = screen_width - MIN_CONTENT["narrow" if narrow else "wide"]
        return max(low, min(saved, room))
    content = max(1, screen_width - sidebar_width - 2)  # borders and padding
    least = -(-MIN_LIST * 100 // content)  # ceil
    most = 100 - -(-MIN_READER * 100 // content)
    if least > most:  # too narrow for both minimums: split evenly
        return 50
    return max(least, min(most, saved))


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
        """Give the panes the widths the user chose, as far as they fit the terminal.
        Called at mount and on every resize."""
        saved = self.store.setting("layout", {}) or {}
        width = self.host.app.size.width
        sidebar = self.host.sidebar
        list_column = self.host.query_one("#list-column")
        reader = self.host.reader
        sidebar_width = 22 if width < NARROW_BELOW else 26  # the stylesheet's widths
        if "sidebar" in saved:
            sidebar_width = fitted("sidebar", self._value("sidebar"), width, 0)
            sidebar.styles.width = sidebar_width
        else:
            sidebar.styles.width = None
        if "list" not in saved:
            list_column.styles.width = list_column.styles.height = reader.styles.width = None
            return
        share = self._value("list")
        if width < NARROW_BELOW:
            # Stacked: the widths are the stylesheet's; the share sets the list's height.
            offset, low, high = NARROW_HEIGHT
            list_column.styles.width = reader.styles.width = None
            list_column.styles.height = f"{max(low, min(high, share - offset))}%"
            return
        share = fitted("list", share, width, sidebar_width)
        list_column.styles.height = None
        list_column.styles.width = f"{share}fr"
        reader.styles.width = f"{100 - share}fr"

    def resize(self, pane: str, delta: int) -> None:
        """Widen (`delta` > 0) or narrow `pane`, within its limits; remembered.

        The step starts from what is on screen, so `]` where the saved width does not
        fit changes the panes at once, and `[` undoes it."""
        low, high, _ = LAYOUT_LIMITS[pane]
        layout = dict(self.store.setting("layout", {}) or {})
        layout[pane] = max(low, min(high, self._shown(pane) + delta))
        self.host.save_setting("layout", layout)
        self.apply()

    def _shown(self, pane: str) -> int:
        """The saved value as far as it applies now (what the user sees)."""
        width = self.host.app.size.width
        value = self._value(pane)
        if pane == "sidebar":
            return fitted("sidebar", value, width, 0)
        if width < NARROW_BELOW:
            return value
        sidebar = fitted("sidebar", self._value("sidebar"), width, 0)
        return fitted("list", value, width, sidebar)
