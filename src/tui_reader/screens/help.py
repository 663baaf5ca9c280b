"""The `?` screen: every key, grouped, made from `keys.KEYS` with the user's remaps."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import help_lines

KEY_COLUMN = 24  # two spaces, then the keys padded to 22: descriptions start here
DEFAULT_WIDTH = 78  # the help box's text width at 120 columns


def help_content(remapped: Mapping[str, str] | None = None, width: int = DEFAULT_WIDTH) -> Content:
    """The help's text for `width` cells; `remapped` (binding id -> keys, from the
    config) shows the keys in use instead of the defaults. A long description wraps
    under its own column; keys too long for theirs get a line to themselves."""
    room = max(20, width - KEY_COLUMN)
    indent = " " * KEY_COLUMN
    lines: list[Content] = []
    for group, keys in help_lines(remapped or {}):
        lines.append(Content.styled(group, "bold $accent"))
        for key, description in keys:
            wrapped = textwrap.wrap(description, room) or [""]
            key_cell = f"  {key:<22}"
            if len(key) > KEY_COLUMN - 3:  # no room for a space after the keys
                lines.append(Content.styled(f"  {key}", "bold"))
                key_cell = indent
            lines.append(Content.assemble((key_cell, "bold"), wrapped[0]))
            lines.extend(Content(indent + more) for more in wrapped[1:])
        lines.append(Content(""))
    lines.append(Content.styled("Esc, q or ? closes this help.", "dim"))
    return Content("\n").join(lines)


class HelpKeys(Static):
    """The key table, laid out again for the width it gets."""

    def __init__(self, remapped: Mapping[str, str], *, id: str | None = None) -> None:
        super().__init__(help_content(remapped), id=id)
        self.remapped = dict(remapped)
        self._laid_out_for = DEFAULT_WIDTH

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width and event.size.width != self._laid_out_for:
            self._laid_out_for = event.size.width
            self.update(help_content(self.remapped, event.size.width))


class HelpScreen(ModalScreen[None]):
    """All keys. Any of Esc, q, ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: round $accent; background: $panel; padding: 1 2;
    }
    """

    def __init__(self, remapped: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.remapped = dict(remapped or {})

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            yield HelpKeys(self.remapped, id="help-keys")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
