"""The reading pane: the article's header, its body as Markdown, and Continue reading.

Header lines are `Content` built from sanitised strings (no markup). The body comes from
`render.html_to_markdown`, which keeps only policy-approved links; the Markdown widget's
own link opening is off, and clicks come back to the screen as `LinkChosen`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Markdown, Static

from ..render import html_to_markdown, reading_minutes
from ..text import check_url, clean_line

WELCOME = """\
# Welcome to tui-reader

Your library has no feeds yet. To add some:

- press **a** to subscribe to a feed or a website's address,
- or import your subscriptions from another reader:
  `tui-reader import subscriptions.opml` (OPML from any reader),
  `tui-reader import ~/.newsboat/urls` (newsboat),
- then press **r** to fetch articles.

Press **?** for every key, **q** to quit. To look around first, run `tui-reader --demo`.
"""

NOTHING_SELECTED = "Select an article to read it here."


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

    class LinkChosen(Message):
        """A link in the body was clicked; `href` is untrusted until it passes the policy."""

        def __init__(self, href: str) -> None:
            super().__init__()
            self.href = href

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.current: ArticleView | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="reader-category", classes="reader-meta", markup=False)
        yield Static(id="reader-title", markup=False)
        yield Static(id="reader-byline", classes="reader-meta", markup=False)
        yield Markdown(NOTHING_SELECTED, id="reader-body", open_links=False)
        yield Static(id="reader-attribution", classes="reader-meta", markup=False)
        with Horizontal(id="reader-actions"):
            # Not focusable: Tab cycles the three panes; `o` is the keyboard way to press it.
            button = Button("Continue reading", id="continue-reading", variant="primary")
            button.can_focus = False
            yield button

    def on_mount(self) -> None:
        self._show_chrome(False)

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
        self.current = None
        self._show_chrome(False)
        self.query_one("#reader-body", Markdown).update(WELCOME)

    def show_nothing(self, message: str = NOTHING_SELECTED) -> None:
        self.current = None
        self._show_chrome(False)
        self.query_one("#reader-body", Markdown).update(message)

    def show(self, article: ArticleView) -> None:
        """Render `article` and scroll to its top."""
        self.current = article
        self._show_chrome(True)
        source = clean_line(article.source, 200)
        self.query_one("#reader-category", Static).update(Content(clean_line(article.category)))
        self.query_one("#reader-title", Static).update(
            Content(clean_line(article.title) or "(untitled)")
        )
        byline = [source]
        if article.author:
            byline.append(f"by {clean_line(article.author, 300)}")
        byline.append(long_date(article.published))
        byline.append(f"{reading_minutes(article.words)} min read")
        self.query_one("#reader-byline", Static).update(Content(" · ".join(byline)))
        rendered = html_to_markdown(article.body_html, article.link)
        body = rendered.markdown.strip() or "*This article has no text in the feed.*"
        self.query_one("#reader-body", Markdown).update(body)
        link = check_url(article.link)
        button = self.query_one("#continue-reading", Button)
        if link.ok:
            attribution = f"Read the rest of this article on {source or link.host}."
            button.disabled = False
            button.tooltip = link.url
        else:
            attribution = "This article has no web address that can be opened" + (
                f": {link.shown}" if link.shown else "."
            )
            button.disabled = True
            button.tooltip = None
        self.query_one("#reader-attribution", Static).update(Content(attribution))
        self.scroll_home(animate=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "continue-reading":
            event.stop()
            self.post_message(self.ContinueReading())

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.post_message(self.LinkChosen(event.href))
