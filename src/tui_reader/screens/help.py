"""The `?` screen: every key, grouped, built from the bindings themselves where possible."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Moving",
        (
            ("j / k, ↓ / ↑", "move down / up in the focused pane"),
            ("Tab / Shift+Tab", "next / previous pane"),
            ("Enter", "show the view / article (the list keeps the focus)"),
            ("l / h, → / ←", "sidebar: open / close a category"),
            ("g / G, Home / End", "list: first / last article"),
            ("Ctrl+D / Ctrl+U", "list: page down / up"),
            ("Space / PgDn, PgUp", "page the reading pane (from the list too)"),
            ("n / p", "next / previous unread article in the whole library"),
        ),
    ),
    (
        "Articles",
        (
            ("m", "toggle read / unread"),
            ("s", "toggle starred"),
            ("o", "continue reading: open the article in your browser"),
            ("f", "full text here / again: the feed's text"),
            ("1-9 / L", "open link N of the article / pick from all its links"),
            ("v", "in the L picker: view an image here (inline_images)"),
            ("u", "show only unread articles (toggle)"),
            ("A", "mark every article in the view read (asks first)"),
            ("z", "undo the last read/star change (up to 50)"),
        ),
    ),
    (
        "Finding",
        (
            ("/", "search as you type; Enter: to the list, Esc: close"),
            ("Ctrl+L / Ctrl+S", "in search: whole library or this view / save"),
            ("t", "sort: newest, oldest, title, feed, length"),
            ("Query", 'words "phrases" is:unread is:starred feed:X cat:X'),
            ("", "author:X after:2026-11-01 before:… @7d @2w -not"),
        ),
    ),
    (
        "Feeds",
        (
            ("r", "refresh every feed in the background"),
            ("R", "refresh the selected feed or category"),
            ("a", "add a feed"),
            ("e / c / d", "on a feed in the sidebar: rename / move / unsubscribe"),
            ("H", "feed health: every feed's last status and error"),
            ("F", "on a feed: always fetch full text (toggle)"),
        ),
    ),
    (
        "App",
        (
            ("?", "this help"),
            ("q", "quit"),
            ("Ctrl+P", "command palette: every action, go to any feed"),
            ("< > / [ ]", "narrower / wider sidebar / article list (remembered)"),
        ),
    ),
)


def help_content() -> Content:
    lines: list[Content] = []
    for group, keys in KEYS:
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

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys"
            yield Static(help_content())

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
