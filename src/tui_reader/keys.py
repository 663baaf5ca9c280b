"""Every key of the main screen in one table: the bindings, the `?` help and the command
palette are all made from `KEYS`, so a `[keys]` remap in the config shows everywhere.

A row with an `id` is a binding of `MainScreen` (remappable by that id); a row without
one is a line of the help only (keys that widgets or Textual handle: Tab, j / k, ...).
`help_key` is the label the help shows while the row's keys are the defaults; once the
user remaps one of them, the label is made from the keys in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import format_key


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One key (or one line of the help)."""

    id: str  # binding id ("" for a help-only line)
    key: str  # default keys, Textual names, comma-separated
    action: str  # action on MainScreen ("" for a help-only line)
    short: str  # the footer's word
    long: str  # the help's description ("" keeps it out of the help)
    group: str  # the help's heading
    footer: bool = False  # shown in the footer
    tooltip: str | None = None
    help_key: str = ""  # the help's key label while not remapped ("" = made from `key`)
    joins: tuple[str, ...] = ()  # ids of bindings that share this help line
    palette: str = ""  # the palette's label ("" keeps it out of the palette)
    palette_note: str = ""  # said after the key in the palette ("on a feed in the sidebar")


GROUPS = ("Moving", "Articles", "Finding", "Feeds", "App")

_SIDEBAR_FEED = "on a feed in the sidebar"

KEYS: tuple[KeySpec, ...] = (
    # ---------------------------------------------------------------- help-only: moving
    KeySpec(
        "", "", "", "", "move down / up in the focused pane", "Moving", help_key="j / k, ↓ / ↑"
    ),
    KeySpec("", "", "", "", "next / previous pane", "Moving", help_key="Tab / Shift+Tab"),
    KeySpec(
        "",
        "",
        "",
        "",
        "show the view / article (the list keeps the focus)",
        "Moving",
        help_key="Enter",
    ),
    KeySpec("", "", "", "", "sidebar: open / close a category", "Moving", help_key="l / h, → / ←"),
    KeySpec("", "", "", "", "list: first / last article", "Moving", help_key="g / G, Home / End"),
    KeySpec("", "", "", "", "list: page down / up", "Moving", help_key="Ctrl+D / Ctrl+U"),
    # ---------------------------------------------------------------- bindings
    KeySpec(
        "article.toggle_read",
        "m",
        "toggle_read",
        "Read",
        "toggle read / unread",
        "Articles",
        footer=True,
        tooltip="Toggle read / unread",
        palette="Toggle read / unread",
    ),
    KeySpec(
        "article.toggle_star",
        "s",
        "toggle_star",
        "Star",
        "toggle starred",
        "Articles",
        footer=True,
        palette="Toggle starred",
    ),
    KeySpec(
        "article.open_in_browser",
        "o",
        "open_in_browser",
        "Web",
        "continue reading: open the article in your browser",
        "Articles",
        footer=True,
        tooltip="Continue reading in your browser",
        palette="Continue reading in the browser",
    ),
    KeySpec(
        "article.bookmark",
        "b",
        "bookmark",
        "Bookmark",
        "bookmark: send the article to your bookmark_command",
        "Articles",
        palette="Bookmark the article (bookmark_command)",
    ),
    KeySpec(
        "view.toggle_unread_only",
        "u",
        "toggle_unread_only",
        "Unread",
        "show only unread articles (toggle)",
        "Articles",
        footer=True,
        tooltip="Show only unread articles",
        palette="Show only unread articles (toggle)",
    ),
    KeySpec(
        "article.next_unread",
        "n",
        "next_unread",
        "Next",
        "next / previous unread article in the whole library",
        "Moving",
        footer=True,
        tooltip="Next unread article",
        joins=("article.previous_unread",),
        palette="Next unread article",
    ),
    KeySpec(
        "article.previous_unread",
        "p",
        "previous_unread",
        "Prev unread",
        "",
        "Moving",
        palette="Previous unread article",
    ),
    KeySpec(
        "reader.page_down",
        "space,pagedown",
        "page_reader_down",
        "Page",
        "page the reading pane (from the list too)",
        "Moving",
        help_key="Space / PgDn, PgUp",
        joins=("reader.page_up",),
    ),
    KeySpec("reader.page_up", "pageup", "page_reader_up", "Page up", "", "Moving"),
    KeySpec(
        "feeds.refresh_all",
        "r",
        "refresh_all",
        "Refresh",
        "refresh every feed in the background",
        "Feeds",
        footer=True,
        palette="Refresh all feeds",
    ),
    KeySpec(
        "feeds.refresh_selected",
        "R",
        "refresh_selected",
        "Refresh this",
        "refresh the selected feed or category",
        "Feeds",
        palette="Refresh the selected feed or category",
    ),
    KeySpec(
        "feeds.add",
        "a",
        "add_feed",
        "Add",
        "add a feed",
        "Feeds",
        footer=True,
        tooltip="Add a feed",
        palette="Add a feed",
    ),
    KeySpec(
        "feeds.import",
        "i",
        "import_feeds",
        "Import",
        "import subscriptions: an OPML file or newsboat's urls",
        "Feeds",
        palette="Import subscriptions (OPML or newsboat urls)",
    ),
    KeySpec(
        "feeds.rename",
        "e",
        "rename_feed",
        "Rename",
        "on a feed in the sidebar: rename / move / unsubscribe",
        "Feeds",
        footer=True,
        tooltip="Rename the feed",
        help_key="e / c / d",
        joins=("feeds.move", "feeds.unsubscribe"),
        palette="Rename the selected feed",
        palette_note=_SIDEBAR_FEED,
    ),
    KeySpec(
        "feeds.move",
        "c",
        "move_feed",
        "Move",
        "",
        "Feeds",
        footer=True,
        tooltip="Move the feed to a category",
        palette="Move the selected feed to a category",
        palette_note=_SIDEBAR_FEED,
    ),
    KeySpec(
        "feeds.unsubscribe",
        "d,delete",
        "unsubscribe",
        "Unsubscribe",
        "",
        "Feeds",
        footer=True,
        palette="Unsubscribe from the selected feed",
        palette_note=_SIDEBAR_FEED,
    ),
    KeySpec(
        "feeds.health",
        "H",
        "feed_health",
        "Health",
        "feed health: every feed's last status and error",
        "Feeds",
        palette="Feed health",
    ),
    KeySpec(
        "view.search",
        "slash",
        "search",
        "Find",
        "search as you type; Enter: to the list, Esc: close",
        "Finding",
        footer=True,
        tooltip="Search as you type",
        palette="Search",
    ),
    KeySpec("view.end_search", "escape", "end_search", "Close search", "", "Finding"),
    KeySpec(
        "view.search_scope",
        "ctrl+l",
        "toggle_search_scope",
        "Scope",
        "in search: whole library or this view / save",
        "Finding",
        joins=("view.save_search",),
    ),
    KeySpec("view.save_search", "ctrl+s", "save_search", "Save search", "", "Finding"),
    KeySpec(
        "view.sort",
        "t",
        "cycle_sort",
        "Sort",
        "sort: newest, oldest, title, feed, length",
        "Finding",
        palette="Cycle the sort order",
    ),
    KeySpec(
        "layout.sidebar_narrower",
        "less_than_sign",
        "resize('sidebar', -2)",
        "Narrower sidebar",
        "narrower / wider sidebar / article list (remembered)",
        "App",
        help_key="< > / [ ]",
        joins=("layout.sidebar_wider", "layout.list_narrower", "layout.list_wider"),
    ),
    KeySpec(
        "layout.sidebar_wider",
        "greater_than_sign",
        "resize('sidebar', 2)",
        "Wider sidebar",
        "",
        "App",
    ),
    KeySpec(
        "layout.list_narrower",
        "left_square_bracket",
        "resize('list', -5)",
        "Narrower list",
        "",
        "App",
    ),
    KeySpec(
        "layout.list_wider", "right_square_bracket", "resize('list', 5)", "Wider list", "", "App"
    ),
    KeySpec(
        "view.mark_all_read",
        "A",
        "mark_view_read",
        "All read",
        "mark every article in the view read (asks first)",
        "Articles",
        palette="Mark every article in this view read",
    ),
    KeySpec(
        "article.undo",
        "z",
        "undo",
        "Undo",
        "undo the last read/star change (up to 50)",
        "Articles",
        palette="Undo the last flag change",
    ),
    # Not in the footer (no room at 80 columns); the pane's Full text button shows it.
    KeySpec(
        "article.full_text",
        "f",
        "full_text",
        "Full text",
        "full text here / again: the feed's text",
        "Articles",
        palette="Full text of the article (toggle)",
    ),
    *(
        KeySpec(f"article.open_link_{n}", str(n), f"open_link({n})", f"Link {n}", "", "Articles")
        for n in range(1, 10)
    ),
    KeySpec(
        "article.links",
        "L",
        "links",
        "Links",
        "open link N of the article / pick from all its links",
        "Articles",
        help_key="1-9 / L",
        joins=tuple(f"article.open_link_{n}" for n in range(1, 10)),
        palette="Links in the article",
        palette_note="or 1-9",
    ),
    # Podcasts and enclosures (issue 18): E and D.
    KeySpec(
        "article.enclosure",
        "E",
        "enclosure",
        "Play / download",
        "the article's file (podcast): play it or download it",
        "Articles",
        palette="Play or download the article's file",
    ),
    KeySpec(
        "app.downloads",
        "D",
        "downloads",
        "Downloads",
        "downloads: progress, pause / resume, cancel, retry",
        "Articles",
        palette="Downloads (the queue)",
    ),
    KeySpec(
        "",
        "",
        "",
        "",
        "in the L picker: view an image here (inline_images)",
        "Articles",
        help_key="v",
    ),
    KeySpec(
        "feeds.full_text",
        "F",
        "toggle_feed_full_text",
        "Always full text",
        "on a feed: always fetch full text (toggle)",
        "Feeds",
        palette="Always fetch full text for the selected feed (toggle)",
        palette_note=_SIDEBAR_FEED,
    ),
    KeySpec(
        "app.help",
        "question_mark",
        "show_help",
        "Keys",
        "this help",
        "App",
        footer=True,
        palette="Keys",
    ),
    # ---------------------------------------------------------------- help-only and palette-only
    KeySpec(
        "",
        "",
        "mark_older_read",
        "",
        "",
        "Articles",
        palette="Mark articles older than… read",
        palette_note="asks for an age",
    ),
    KeySpec(
        "",
        "",
        "",
        "",
        'words "phrases" is:unread is:starred feed:X cat:X',
        "Finding",
        help_key="Query",
    ),
    KeySpec(
        "", "", "", "", "author:X after:2026-11-01 before:… @7d @2w -not", "Finding", help_key=" "
    ),
    KeySpec("", "", "", "", "quit", "App", help_key="q"),  # the App's binding "app.quit"
    KeySpec(
        "", "", "", "", "command palette: every action, go to any feed", "App", help_key="Ctrl+P"
    ),
)

# The order of the help's lines within each group (ids, or the help label of help-only lines).
HELP_ORDER: dict[str, tuple[str, ...]] = {
    "Moving": (
        "j / k, ↓ / ↑",
        "Tab / Shift+Tab",
        "Enter",
        "l / h, → / ←",
        "g / G, Home / End",
        "Ctrl+D / Ctrl+U",
        "reader.page_down",
        "article.next_unread",
    ),
    "Articles": (
        "article.toggle_read",
        "article.toggle_star",
        "article.open_in_browser",
        "article.bookmark",
        "article.full_text",
        "article.links",
        "v",
        "article.enclosure",
        "app.downloads",
        "view.toggle_unread_only",
        "view.mark_all_read",
        "article.undo",
    ),
    "Finding": ("view.search", "view.search_scope", "view.sort", "Query", " "),
    "Feeds": (
        "feeds.refresh_all",
        "feeds.refresh_selected",
        "feeds.add",
        "feeds.import",
        "feeds.rename",
        "feeds.health",
        "feeds.full_text",
    ),
    "App": ("app.help", "q", "Ctrl+P", "layout.sidebar_narrower"),
}

# The palette's order (by action): the most used first.
PALETTE_ORDER: tuple[str, ...] = (
    "refresh_all",
    "refresh_selected",
    "add_feed",
    "import_feeds",
    "search",
    "toggle_read",
    "toggle_star",
    "open_in_browser",
    "bookmark",
    "full_text",
    "links",
    "enclosure",
    "downloads",
    "toggle_unread_only",
    "next_unread",
    "previous_unread",
    "mark_view_read",
    "mark_older_read",
    "undo",
    "cycle_sort",
    "feed_health",
    "rename_feed",
    "move_feed",
    "unsubscribe",
    "toggle_feed_full_text",
    "show_help",
)

# The footer never drops these (actions): the way to every other key, and the way out.
FOOTER_KEEP: frozenset[str] = frozenset({"show_help", "quit", "app.quit"})

# When the footer is too narrow, keys leave it in this order (actions, least useful
# first): Enter and the toggles are the ones a user learns first and needs least shown.
FOOTER_DROP_ORDER: tuple[str, ...] = (
    "select_cursor",  # the sidebar's Enter
    "open",  # the list's Enter
    "toggle_unread_only",
    "add_feed",
    "refresh_all",
    "search",
    "next_unread",
    "open_in_browser",
    "toggle_star",
    "move_feed",
    "rename_feed",
    "unsubscribe",
    "toggle_read",
)

_BY_ID = {spec.id: spec for spec in KEYS if spec.id}


def bindings() -> list[Binding]:
    """`MainScreen.BINDINGS`, in the table's order (which is the footer's order)."""
    return [
        Binding(
            spec.key,
            spec.action,
            spec.short,
            show=spec.footer,
            tooltip=spec.tooltip or "",
            id=spec.id,
        )
        for spec in KEYS
        if spec.id
    ]


def remaps(configured: Iterable[tuple[str, str]], known: Iterable[str]) -> dict[str, str]:
    """The config's `[keys]` entries whose id is a known binding id."""
    ids = frozenset(known)
    return {binding_id: keys for binding_id, keys in configured if binding_id in ids}


# How the help names keys that are not one character (Textual's own names are lower case).
_NAMES = {
    "space": "Space",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "delete": "Del",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "home": "Home",
    "end": "End",
    "backspace": "Backspace",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}


def key_display(keys: str) -> str:
    """`ctrl+l,question_mark` as the help writes it: `Ctrl+L, ?`."""
    shown = []
    for name in keys.split(","):
        *modifiers, last = name.strip().split("+")
        if last in _NAMES:
            last = _NAMES[last]
        else:
            last = format_key(last)  # question_mark -> ?, slash -> /
            if len(last) > 1:
                last = last.title()  # f1 -> F1
            elif modifiers:
                last = last.upper()  # ctrl+l -> Ctrl+L, as keyboards label it
        shown.append("+".join([*(m.title() for m in modifiers), last]))
    return ", ".join(shown)


def keys_of(binding_id: str, remapped: Mapping[str, str], *, first: bool = False) -> str:
    """The keys in use for `binding_id`, shown as the help writes them (`first`: only
    the first of them, as the palette's short help does)."""
    keys = remapped.get(binding_id, _BY_ID[binding_id].key)
    return key_display(keys.split(",")[0] if first else keys)


def help_lines(remapped: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The help's groups of (key label, description), with the keys in use."""
    lines: dict[str, tuple[str, str]] = {}
    for spec in KEYS:
        if not spec.long:
            continue
        ids = (spec.id, *spec.joins) if spec.id else ()
        if ids and any(i in remapped for i in ids):
            label = " / ".join(keys_of(i, remapped) for i in ids)
        else:
            label = spec.help_key or (" / ".join(key_display(_BY_ID[i].key) for i in ids))
        lines[spec.id or spec.help_key] = (label.strip(), spec.long)
    return [(group, [lines[key] for key in HELP_ORDER[group]]) for group in GROUPS]


def palette_actions(remapped: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The palette's (label, action, help) rows, the help naming the keys in use."""
    by_action = {spec.action: spec for spec in KEYS if spec.palette}
    rows = []
    for action in PALETTE_ORDER:
        spec = by_action[action]
        parts = [keys_of(spec.id, remapped, first=True)] if spec.id else []
        if spec.palette_note:
            parts.append(spec.palette_note)
        rows.append((spec.palette, action, ", ".join(parts)))
    return rows
