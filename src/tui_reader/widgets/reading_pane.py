"""The reading pane: the article's header, its body as Markdown, and Continue reading.

Header lines are `Content` built from sanitised strings (no markup). The body comes from
`render.html_to_markdown`, which keeps only policy-approved links; the Markdown widget's
own link opening is off, and clicks come back to the screen as `LinkChosen`.

The body is either the feed's text or the article's full text (fetched by the screen,
see `screens/main/reading.py`); both go through the same renderer. Small bodies render at
once; big ones (up to 2 s of work for a hostile 200 KB body) render in a worker thread so
the UI keeps going. The numbered links and images of the shown body are in `links` and
`images`; the article's files (enclosures) are listed under the body and numbered after
its links, in `links` too (`FileLink`), so the number keys and `L` open them alike.
Scrolling is reported (debounced) as `PositionChanged` so the screen can remember where
each article was left, and `show_body(..., scroll_y=)` restores it once
the new body has been laid out.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Static
from textual.worker import Worker

from ..models import Enclosure, join_names, reading_minutes
from ..text import check_url, clean_line
from ..ui_text import plain
from ..workers import report_worker_error

if TYPE_CHECKING:
    from textual.widgets import Markdown

    from ..render import Image, Link, RenderedBody

WELCOME = """\
# Welcome to tui-reader

Your library has no feeds yet. To add some:

- press **a** to subscribe to a feed or a website's address,
- or press **i** to import your subscriptions from another reader
  (an OPML file from any reader, or newsboat's `urls` file),
- then press **r** to fetch articles.

Press **?** for every key, **q** to quit. To look around first, run `tui-reader --demo`.
"""

NOTHING_SELECTED = "Select an article to read it here."
NO_FEED_TEXT = "*This article has no text in the feed.*"
NO_FULL_TEXT = "*No text was extracted from the page.*"


def _render(html: str, base_url: str) -> RenderedBody:
    # Imported on first use: the HTML converter (BeautifulSoup, markdownify) is the
    # biggest import of the reader and nothing needs it before an article is opened.
    from ..render import html_to_markdown

    # Links point at `#link-N`: a click is looked up in the numbered, vetted links.
    return html_to_markdown(html, base_url, link_refs=True)


# Bodies longer than this (characters of HTML) are rendered in a worker thread.
SYNC_RENDER_CHARS = 20_000
# Seconds of scrolling quiet before the position is reported.
POSITION_DEBOUNCE = 0.5


@dataclass(frozen=True, slots=True)
class ArticleView:
    """Everything the pane shows for one article (strings already sanitised)."""

    article_id: str
    title: str
    category: str
    source: str
    author: str
    published: datetime
    link: str
    body_html: str
    words: int
    # Every author's name (`author` is their display form); the article's files.
    authors: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    # Enclosure URL -> the downloaded file's path (issue 18), for the files on disk.
    downloaded: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FileLink:
    """One of the article's files as a numbered link, after the body's links: `number`,
    `text` and `url` as `render.Link` has them (`url` passed the URL policy when stored),
    so the number keys and the `L` picker open it like any link."""

    number: int
    text: str
    url: str
    enclosure: Enclosure


def byline_names(author: str, authors: tuple[str, ...]) -> str:
    """The authors for the byline, "A, B and C" (sanitised), or "" when nobody."""
    if len(authors) > 1:
        return clean_line(join_names([clean_line(name, 100) for name in authors]), 300)
    return clean_line(author, 300)


def file_links(enclosures: tuple[Enclosure, ...], first: int) -> tuple[FileLink, ...]:
    """The files as links numbered from `first` (the body's links come before them)."""
    return tuple(
        FileLink(first + n, clean_line(f.describe(), 200), f.url, f)
        for n, f in enumerate(enclosures)
    )


def files_text(files: tuple[FileLink, ...], downloaded: dict[str, str] | None = None) -> str:
    """The pane's list of files: "[5] Audio (audio/mpeg) · 12.3 MB · 1:02:03" and the
    address below it, and "downloaded: PATH" for a file on disk (shown as plain text
    through `ui_text.plain`, never markup)."""
    lines = ["Files" if len(files) > 1 else "File"]
    for link in files:
        lines.append(f"[{link.number}] {link.text}")
        lines.append(f"    {clean_line(link.url, 300)}")
        path = (downloaded or {}).get(link.url)
        if path:
            lines.append(f"    downloaded: {clean_line(path, 300)}")
    return "\n".join(lines)


def long_date(when: datetime) -> str:
    try:
        return when.astimezone().strftime("%A %d %B %Y, %H:%M")
    except (OverflowError, OSError, ValueError):
        return "date unknown"


class ReadingPane(VerticalScroll, can_focus=True):
    """Scrollable article view. Posts `ContinueReading` and `LinkChosen`."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="reader.down"),
        Binding("k", "scroll_up", "Up", show=False, id="reader.up"),
    ]

    class ContinueReading(Message):
        """The user asked to open the article's source."""

    class FullTextRequested(Message):
        """The user pressed the Full text / Feed text button."""

    @dataclass(eq=False)
    class PositionChanged(Message):
        """The reader came to rest at line `y` of an article (`full`: in its full text)."""

        article_id: str
        y: int
        full: bool

    DEFAULT_CSS = """
    ReadingPane #full-text { margin-left: 2; }
    """

    @dataclass(eq=False)
    class LinkChosen(Message):
        """A link in the body was clicked: `href` is the URL of that numbered link, as the
        URL policy gave it (the screen checks it again before opening)."""

        href: str

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.current: ArticleView | None = None
        # The body's links, then the article's files (`FileLink`), numbered in that order.
        self.links: tuple[Link | FileLink, ...] = ()
        self.images: tuple[Image, ...] = ()
        self.showing_full = False
        # False from a new body until it is laid out and scrolled where it belongs;
        # positions are not reported meanwhile (they would be the old body's).
        self.body_settled = True
        self._token = 0
        self._pending_scroll = 0
        self._position_timer: Timer | None = None
        # The body's Markdown widget, made when the first body is shown: until then a
        # Static draws "Select an article" the same way, and Textual's Markdown (its
        # import, CSS and parser) stays out of the reader's start-up.
        self._body: Markdown | None = None
        self._action_buttons: tuple[Button, Button] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="reader-category", classes="reader-meta", markup=False)
        yield Static(id="reader-title", markup=False)
        yield Static(id="reader-byline", classes="reader-meta", markup=False)
        yield Static(id="reader-mode", classes="reader-meta", markup=False)
        yield Static(NOTHING_SELECTED, id="reader-placeholder", markup=False)
        # The article's files, under its body (numbered after the body's links).
        yield Static(id="reader-enclosures", classes="reader-meta", markup=False)
        yield Static(id="reader-attribution", classes="reader-meta", markup=False)
        # Its buttons come with the first article (`_buttons`): hidden until then anyway.
        yield Horizontal(id="reader-actions")

    def _buttons(self) -> tuple[Button, Button]:
        """Continue reading and Full text, mounted the first time an article is shown."""
        if self._action_buttons is None:
            # Not focusable: Tab cycles the three panes; `o` is the keyboard way to press it.
            button = Button("Continue reading", id="continue-reading", variant="primary")
            button.can_focus = False
            full = Button("Full text", id="full-text", tooltip="Read the whole article here (f)")
            full.can_focus = False
            self.query_one("#reader-actions").mount(button, full)
            self._action_buttons = (button, full)
        return self._action_buttons

    def on_mount(self) -> None:
        self._show_chrome(False)
        self.query_one("#reader-mode").display = False
        self.query_one("#reader-enclosures").display = False

    def _show_chrome(self, visible: bool) -> None:
        for selector in (
            "#reader-category",
            "#reader-title",
            "#reader-byline",
            "#reader-attribution",
            "#reader-actions",
        ):
            self.query_one(selector).display = visible

    def show_welcome(self) -> None:
        self.show_nothing(WELCOME)

    def show_nothing(self, message: str = NOTHING_SELECTED) -> None:
        self._report_position()
        self.current = None
        self._new_body(full=False, scroll_y=0)
        self.body_settled = True
        self._show_chrome(False)
        self.query_one("#reader-mode").display = False
        if self._body is None and message == NOTHING_SELECTED:
            return  # the placeholder says it already
        self._set_body(message)

    def show(self, article: ArticleView) -> None:
        """Render `article` (the feed's text) and scroll to its top."""
        self._report_position()
        self.current = article
        self._show_chrome(True)
        source = clean_line(article.source, 200)
        self.query_one("#reader-category", Static).update(Content(clean_line(article.category)))
        self.query_one("#reader-title", Static).update(
            plain(clean_line(article.title) or "(untitled)")
        )
        byline = [source]
        names = byline_names(article.author, article.authors)
        if names:
            byline.append(f"by {names}")
        byline.append(long_date(article.published))
        byline.append(f"{reading_minutes(article.words)} min read")
        self.query_one("#reader-byline", Static).update(plain(" · ".join(byline)))
        link = check_url(article.link)
        button, full = self._buttons()
        if link.ok:
            attribution = f"Read the rest of this article on {source or link.host}."
            button.disabled = False
            # The URL policy keeps `[`, `]`, `@` and `=`: literal text, never markup.
            button.tooltip = plain(link.url)
        else:
            attribution = "This article has no web address that can be opened" + (
                f": {link.shown}" if link.shown else "."
            )
            button.disabled = True
            button.tooltip = None
        self.query_one("#reader-attribution", Static).update(plain(attribution))
        full.disabled = not link.ok
        self.show_body(article.body_html, article.link, full=False)

    # ---------------------------------------------------------------- body

    def show_body(
        self, html: str, base_url: str, *, full: bool, note: str = "", scroll_y: int = 0
    ) -> None:
        """Show `html` (untrusted) as the body of the current article, then scroll to line
        `scroll_y`. `full` says it is the full text; `note` is a line shown above it."""
        token = self._new_body(full=full, scroll_y=scroll_y)
        mode = self.query_one("#reader-mode", Static)
        mode.display = bool(note)
        mode.update(Content(clean_line(note, 500)))
        self.set_full_text_button(busy=False)
        self.scroll_home(animate=False)
        if len(html) <= SYNC_RENDER_CHARS:
            self._apply(token, _render(html, base_url))
        else:
            self._set_body("*Rendering…*")
            self._render_in_thread(token, html, base_url)

    def restore_scroll(self, y: int) -> None:
        """Scroll to line `y` once the body being shown is laid out."""
        if self.body_settled:
            self.scroll_to(y=y, animate=False, immediate=True)
        else:
            self._pending_scroll = y

    def set_full_text_button(self, *, busy: bool) -> None:
        _, button = self._buttons()
        if busy:
            button.label = "Fetching full text…"
            button.disabled = True
            return
        button.label = "Feed text" if self.showing_full else "Full text"
        if self.showing_full:
            button.tooltip = "Back to the feed's text (f)"
        else:
            button.tooltip = "Read the whole article here (f)"
        button.disabled = self.current is None or not check_url(self.current.link).ok

    def _new_body(self, *, full: bool, scroll_y: int) -> int:
        self._token += 1
        self.showing_full = full
        self.body_settled = False
        self._pending_scroll = scroll_y
        self.links = ()
        self.images = ()
        self.query_one("#reader-enclosures").display = False  # until the body is in
        return self._token

    def _set_body(self, markdown: str) -> Awaitable[object]:
        """Show `markdown` as the body; the awaitable is done when its blocks are mounted."""
        if self._body is not None:
            return self._body.update(markdown)
        from textual.widgets import Markdown

        self._body = Markdown(markdown, id="reader-body", open_links=False)
        placeholder = self.query_one("#reader-placeholder")
        # Markdown renders its first text while mounting: the mount is the update.
        mounted = self.mount(self._body, after=placeholder)
        placeholder.remove()
        return mounted

    @work(thread=True, exclusive=True, group="reader-render", exit_on_error=False)
    def _render_in_thread(self, token: int, html: str, base_url: str) -> None:
        rendered = _render(html, base_url)
        if token == self._token:
            self.app.call_from_thread(self._apply, token, rendered)

    def _apply(self, token: int, rendered: RenderedBody) -> None:
        if token != self._token:
            return  # another article (or the other text) was asked for meanwhile
        files = file_links(self.current.enclosures, len(rendered.links) + 1) if self.current else ()
        self.links, self.images = rendered.links + files, rendered.images
        section = self.query_one("#reader-enclosures", Static)
        section.display = bool(files)
        downloaded = dict(self.current.downloaded) if self.current else {}
        section.update(plain(files_text(files, downloaded) if files else "", multiline=True))
        body = rendered.markdown.strip() or (NO_FULL_TEXT if self.showing_full else NO_FEED_TEXT)
        update = self._set_body(body)

        async def settle() -> None:
            await update
            if token == self._token:
                # After the next refresh the new blocks have their heights.
                self.call_after_refresh(self._settled, token)

        self.run_worker(settle(), group="reader-settle", exit_on_error=False)

    def show_downloaded(self, downloaded: dict[str, str]) -> None:
        """A file of the article being read was downloaded: its line says so now."""
        if self.current is None:
            return
        from dataclasses import replace

        self.current = replace(self.current, downloaded=tuple(downloaded.items()))
        files = tuple(link for link in self.links if isinstance(link, FileLink))
        if files:
            section = self.query_one("#reader-enclosures", Static)
            section.update(plain(files_text(files, downloaded), multiline=True))

    def _settled(self, token: int) -> None:
        if token != self._token:
            return
        if self._pending_scroll:
            self.scroll_to(y=self._pending_scroll, animate=False, immediate=True)
        self.body_settled = True

    # ---------------------------------------------------------------- position

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.current is None or not self.body_settled:
            return
        if self._position_timer is not None:
            self._position_timer.stop()
        self._position_timer = self.set_timer(POSITION_DEBOUNCE, self._report_position)

    def _report_position(self) -> None:
        """Post where the current article is (now, not after the debounce)."""
        if self._position_timer is not None:
            self._position_timer.stop()
            self._position_timer = None
        if self.current is not None and self.body_settled:
            y = round(self.scroll_y)
            self.post_message(self.PositionChanged(self.current.article_id, y, self.showing_full))

    @on(Button.Pressed, "#continue-reading")
    def _continue_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ContinueReading())

    @on(Button.Pressed, "#full-text")
    def _full_text_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.FullTextRequested())

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    # By name, not `@on(Markdown.LinkClicked)`: the Markdown widget (and markdown-it) is
    # imported when the first article is shown, not at start-up.
    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        # Textual percent-decodes the href, so the clicked text is not the URL we vetted:
        # every link we emit is `#link-N`; open the vetted URL number N, nothing else.
        from ..render import link_ref_number

        number = link_ref_number(event.href, len(self.links))
        if number is not None:
            self.post_message(self.LinkChosen(self.links[number - 1].url))
