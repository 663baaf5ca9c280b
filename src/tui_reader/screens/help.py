"""The `?` screen: every key, grouped, made from `keys.KEYS` with the user's remaps."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import help_lines


def help_content(remapped: Mapping[str, str] | None = None) -> Content:
    """The help's text; `remapped` (binding id -> keys, from the config) shows the keys
    in use instead of the defaults."""
    lines: list[Content] = []
    for group, keys in help_lines(remapped or {}):
        lines.append(Content.styled(group, "bold $accent"))
        for key, description in keys:
            lines.append(Content.assemble((f"  {key:<22}", "bold"), description))
        lines.append(Content(""))
    lines.append(Content.styled("Esc, q or ? closes this help.", "dim"))
    return Content("\n").join(lines)


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
            yield Static(help_content(self.remapped), id="help-keys")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
