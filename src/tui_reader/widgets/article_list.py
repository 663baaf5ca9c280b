"""The article list: a virtual list that renders only the rows on screen.

A `DataTable` or `OptionList` builds an object per row up front (100,000 rows took 12 s to
first paint); this widget keeps a reference to the screen's tuple of articles and draws
each visible line on demand with the Line API, so its cost is the height of the terminal.
Feed text is drawn as plain `Segment`s: no markup is ever parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import clock
from ..models import Article
from ..text import clean_line

UNREAD_MARK = "●"
STAR_MARK = "★"
DATE_WIDTH = 8  # "Mar 2024", the longest short date
# The title comes first: the feed column gets at most a quarter of the row and only what
# is left once the title has TITLE_MIN cells; under SOURCE_MIN it goes (the reading pane
# names the feed).
TITLE_MIN = 28
SOURCE_MIN = 8
SOURCE_MAX = 16


def short_date(when: datetime, now: datetime | None = None) -> str:
    """`14:05` today, `Nov 27` this year, `Mar 2024` before; never raises."""
    try:
        local = when.astimezone()
        today = (now or clock.now()).astimezone()
    except (OverflowError, OSError, ValueError):
        return "unknown"
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return local.strftime("%b %d")
    return local.strftime("%b %Y")


class ArticleList(ScrollView, can_focus=True):
    """Newest-first rows: unread mark, star, title, source, date."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "cursor_first", "First", show=False, id="list.first"),
        Binding("G,end", "cursor_last", "Last", show=False, id="list.last"),
        Binding("ctrl+d,ctrl+f", "page_down_list", "Page list", show=False, id="list.page_down"),
        Binding("ctrl+u,ctrl+b", "page_up_list", "Page list up", show=False, id="list.page_up"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--unread",
        "article-list--read",
        "article-list--mark",
        "article-list--star",
        "article-list--meta",
        "article-list--empty",
    }

    DEFAULT_CSS = """
    ArticleList { background: $surface; overflow-x: hidden; }
    ArticleList > .article-list--cursor { background: $block-cursor-blurred-background; }
    ArticleList:focus > .article-list--cursor {
        background: $block-cursor-background; color: $block-cursor-foreground;
    }
    ArticleList > .article-list--unread { text-style: bold; }
    ArticleList > .article-list--read { color: $text-muted; }
    ArticleList > .article-list--mark { color: $accent; }
    ArticleList > .article-list--star { color: $warning; }
    ArticleList > .article-list--meta { color: $text-muted; }
    ArticleList > .article-list--empty { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, repaint=True, init=False)
    # Bound from `MainScreen.flags_version`: bumped when read / starred flags change, so
    # the rows (drawn from the live `is_read` / `is_starred` lookups) repaint.
    flags_version: reactive[int] = reactive(0, repaint=True, init=False)

    @dataclass(eq=False)
    class Highlighted(Message):
        """The cursor moved onto an article."""

        article: Article

    @dataclass(eq=False)
    class Opened(Message):
        """The user opened an article (Enter or click)."""

        article: Article

    def __init__(
        self,
        is_read: Callable[[str], bool],
        is_starred: Callable[[str], bool],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._is_read = is_read
        self._is_starred = is_starred
        self._articles: Sequence[Article] = ()
        self._sources: Mapping[str, str] = {}
        self.empty_message = "No articles here."
        # False in a single-feed view: a feed column would repeat one name on every row.
        self.show_source = True
        # Lower-cased search terms to underline in titles.
        self.highlight: tuple[str, ...] = ()

    # ---------------------------------------------------------------- data

    @property
    def articles(self) -> Sequence[Article]:
        return self._articles

    @property
    def highlighted(self) -> Article | None:
        if 0 <= self.cursor < len(self._articles):
            return self._articles[self.cursor]
        return None

    def set_articles(
        self,
        articles: Sequence[Article],
        sources: Mapping[str, str],
        *,
        select_id: str | None = None,
        highlight: tuple[str, ...] = (),
    ) -> None:
        """Show `articles`; keep the cursor on `select_id` (or the same row) if possible."""
        current = select_id or (self.highlighted.id if self.highlighted else None)
        self._articles = articles
        self._sources = sources
        self.highlight = highlight
        self.virtual_size = Size(self.size.width, len(articles))
        index = 0
        if current is not None:
            for position, article in enumerate(articles):
                if article.id == current:
                    index = position
                    break
        self.set_reactive(ArticleList.cursor, min(index, max(len(articles) - 1, 0)))
        self._scroll_cursor_into_view(center=True)
        self.refresh()

    def select_article(self, article_id: str) -> bool:
        for position, article in enumerate(self._articles):
            if article.id == article_id:
                self.cursor = position
                return True
        return False

    # ---------------------------------------------------------------- movement

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        article = self.highlighted
        if article is not None:
            self.post_message(self.Highlighted(article))

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = self.scroll_offset.y
        if center and not (top <= self.cursor < top + height):
            self.scroll_to(y=max(self.cursor - height // 2, 0), animate=False)
        elif self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _move(self, delta: int) -> None:
        if self._articles:
            self.cursor = max(0, min(len(self._articles) - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_cursor_first(self) -> None:
        self._move(-len(self._articles))

    def action_cursor_last(self) -> None:
        self._move(len(self._articles))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # PgDn / PgUp (ScrollView's page_down / page_up) go on to the screen, which pages
        # the reading pane, as the help says; Ctrl+D / Ctrl+U page this list.
        if action in ("page_down", "page_up"):
            return False
        return super().check_action(action, parameters)

    def action_page_down_list(self) -> None:
        self._move(max(self.scrollable_content_region.height - 1, 1))

    def action_page_up_list(self) -> None:
        self._move(-max(self.scrollable_content_region.height - 1, 1))

    def action_open(self) -> None:
        article = self.highlighted
        if article is not None:
            self.post_message(self.Opened(article))

    def on_click(self, event: events.Click) -> None:
        row = event.y + self.scroll_offset.y
        if 0 <= row < len(self._articles):
            self.cursor = row
            self.post_message(self.Opened(self._articles[row]))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self._articles))
        self._scroll_cursor_into_view()

    # ---------------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + self.scroll_offset.y
        base = self.rich_style
        if not self._articles:
            if y == 1:
                style = base + self.get_component_rich_style("article-list--empty")
                return Strip([Segment(set_cell_size(f"  {self.empty_message}", width), style)])
            return Strip([Segment(" " * width, base)])
        if index >= len(self._articles):
            return Strip([Segment(" " * width, base)])
        return self._render_row(self._articles[index], index == self.cursor, width)

    def _render_row(self, article: Article, is_cursor: bool, width: int) -> Strip:
        read = self._is_read(article.id)
        starred = self._is_starred(article.id)
        style = self.rich_style
        if is_cursor:
            style = style + self.get_component_rich_style("article-list--cursor")
        text_style = style + self.get_component_rich_style(
            "article-list--read" if read else "article-list--unread"
        )
        meta_style = style + self.get_component_rich_style("article-list--meta")
        mark_style = style + self.get_component_rich_style("article-list--mark")
        star_style = style + self.get_component_rich_style("article-list--star")
        if is_cursor:
            # On the cursor row the cursor colours win, so the row reads as one bar.
            meta_style = mark_style = star_style = text_style = style + Style(
                bold=not read, dim=False
            )

        date = short_date(article.published)
        title_width, source_width = column_widths(width, self.show_source)
        title = clean_line(article.title, 400) or "(untitled)"
        segments = [
            Segment(" ", style),
            Segment(" " if read else UNREAD_MARK, mark_style),
            Segment(STAR_MARK if starred else " ", star_style),
            Segment(" ", style),
            *_highlighted(_fit(title, title_width), self.highlight, text_style),
        ]
        if source_width:
            source = clean_line(self._sources.get(article.feed_id, ""), 60)
            segments += [Segment("  ", style), Segment(_fit(source, source_width), meta_style)]
        # Two spaces before the date, so "Ko Notes" and "Jun 2024" never read as one.
        segments += [Segment("  ", style), Segment(date.rjust(DATE_WIDTH), meta_style)]
        return Strip(segments).adjust_cell_length(width, style)


def column_widths(width: int, show_source: bool = True) -> tuple[int, int]:
    """(title, feed) widths in cells for a row `width` wide; the feed's is 0 when the
    column is dropped. Fixed parts: marks (4), the gaps (2 each) and the date."""
    fixed = 4 + 2 + DATE_WIDTH
    room = max(0, width - fixed)
    source = min(SOURCE_MAX, room // 4, room - 2 - TITLE_MIN) if show_source else 0
    if source < SOURCE_MIN:
        return room, 0
    return room - 2 - source, source


def _highlighted(text: str, terms: tuple[str, ...], style: Style) -> list[Segment]:
    """`text` as segments, with every occurrence of a search term underlined."""
    if not terms:
        return [Segment(text, style)]
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        return [Segment(text, style)]
    marks = [False] * len(text)
    for term in terms:
        start = lowered.find(term)
        while term and start != -1:
            for index in range(start, min(start + len(term), len(text))):
                marks[index] = True
            start = lowered.find(term, start + len(term))
    match_style = style + Style(underline=True, bold=True)
    segments: list[Segment] = []
    run_start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or marks[index] != marks[run_start]:
            piece = text[run_start:index]
            segments.append(Segment(piece, match_style if marks[run_start] else style))
            run_start = index
    return segments


def _fit(text: str, width: int) -> str:
    """Exactly `width` cells: truncated with an ellipsis, or padded."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)
