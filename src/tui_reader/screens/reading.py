"""Reading for `MainScreen`: full text (`f`), numbered links (`1`-`9`, `L`), "always full
text" per feed (`F`) and the reading position of every article.

A mixin, like `subscriptions.py`: message handlers use `on_<message>` names (found through
the MRO) and the bindings live on `MainScreen.BINDINGS`. Fetching and extracting run in a
thread worker (`feeds/fulltext.fetch_full_text_sync`) and come back as `FullTextFetched`; the
result is cached in the store, so an article is fetched once and reads offline after.
Every link opened here goes through `MainScreen.open_url`, that is through the URL policy
and `browser.plan_launch`; link texts from pages are shown as `Content`, never markup.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ..models import Article
from ..store import StoreError
from ..text import check_url, clean_line
from ..widgets.reading_pane import ArticleView, ReadingPane

if TYPE_CHECKING:
    from ..feeds.fulltext import FullText
    from ..render import Image, Link
    from .main import MainScreen

    _Base = MainScreen
else:
    _Base = object

# Actions whose availability `check_reading_action` decides.
READING_ACTIONS = frozenset({"full_text", "open_link", "links", "toggle_feed_full_text"})


class FullTextFetched(Message):
    """A full-text fetch ended; `result.error` is plain words when it failed."""

    def __init__(self, article_id: str, result: FullText, save_error: str = "") -> None:
        super().__init__()
        self.article_id = article_id
        self.result = result
        self.save_error = save_error


class LinkPickerScreen(ModalScreen[str | None]):
    """The numbered links (and images) of the article; Enter opens one, Esc closes.

    Returns the chosen URL (already vetted by the renderer; the screen checks it again
    when opening). Texts and URLs come from the page: shown as `Content`, never markup.
    With `view_images` (config `inline_images`), `v` on an image shows it here instead,
    in `ImageViewScreen` on top of the picker; without it the key does nothing.
    """

    BINDINGS = [
        Binding("escape,q,L", "cancel", "Close", id="links.close"),
        Binding("v", "view_image", "View image", id="links.view_image"),
    ]

    DEFAULT_CSS = """
    LinkPickerScreen { align: center middle; }
    LinkPickerScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    LinkPickerScreen #links-title { text-style: bold; color: $accent; }
    LinkPickerScreen OptionList { height: auto; max-height: 30; border: none; }
    LinkPickerScreen #links-hint { color: $text-muted; }
    """

    def __init__(
        self, links: tuple[Link, ...], images: tuple[Image, ...], view_images: bool = False
    ) -> None:
        super().__init__()
        self.view_images = view_images
        self.urls: list[str] = []
        # Option index -> alt text, for the entries that are images (`v` views those).
        self.image_alts: dict[int, str] = {}
        self._options: list[Option] = []
        for link in links:
            self._add(f"{link.number:>3}  {clean_line(link.text, 200) or '(no text)'}", link.url)
        for image in images:
            if image.url:
                alt = clean_line(image.alt, 200) or "no description"
                self.image_alts[len(self.urls)] = alt
                self._add(f"img {image.number}  {alt}", image.url)

    def _add(self, label: str, url: str) -> None:
        prompt = Content.assemble(label, "\n", (f"      {clean_line(url, 300)}", "dim"))
        self._options.append(Option(prompt))
        self.urls.append(url)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("Links in this article"), id="links-title")
            yield OptionList(*self._options, id="links")
            hint = "Enter: open in the browser · 1-9 in the reader · Esc: close"
            if self.view_images:
                hint = "Enter: open in the browser · v: view an image here · Esc: close"
            yield Static(Content(hint), id="links-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.urls[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_view_image(self) -> None:
        if not self.view_images:
            return  # inline images are off: `v` stays a key that does nothing here
        index = self.query_one(OptionList).highlighted
        if index is None or index not in self.image_alts:
            self.notify("Highlight an image (img N) to view it here.", timeout=3)
            return
        # Imported here: only needed once an image is asked for.
        from .image_view import ImageViewScreen

        self.app.push_screen(ImageViewScreen(self.urls[index], self.image_alts[index]))


class ReadingActions(_Base):
    """Full text, links and reading positions for `MainScreen`."""

    # Article ids whose full text is being fetched (immutable: reassigned, never shared).
    _full_text_pending: frozenset[str] = frozenset()

    def check_reading_action(self, action: str) -> bool | None:
        """Whether a reading action can run now (None hides it from the footer)."""
        view = self.reader.current
        if action == "full_text":
            return True if view is not None and check_url(view.link).ok else None
        if action == "open_link":
            return True if self.reader.links else None
        if action == "links":
            return True if self.reader.links or self.reader.images else None
        if action == "toggle_feed_full_text":
            return self.focused is self.sidebar and self.selected_feed() is not None
        return True

    # ---------------------------------------------------------------- full text

    def action_full_text(self) -> None:
        """Toggle the reading pane between the feed's text and the full text."""
        view = self.reader.current
        if view is None:
            return
        if self.reader.showing_full:
            self.reader.show_body(view.body_html, view.link, full=False)
            return
        record = self.store.full_text(view.article_id)
        if record is not None and record["html"]:
            self._show_full_text(view, record)
            return
        if view.article_id in self._full_text_pending:
            self.notify("The full text is on its way.", timeout=3)
            return
        if not check_url(view.link).ok:
            self.notify("This article has no web address to fetch.", severity="warning")
            return
        self._full_text_pending = self._full_text_pending | {view.article_id}
        self.reader.set_full_text_button(busy=True)
        self._fetch_full_text(view.article_id, view.link)

    @work(thread=True, group="full-text", exit_on_error=False)
    def _fetch_full_text(self, article_id: str, link: str) -> None:
        # Imported here: the fetcher and trafilatura are not needed to show the reader.
        from ..feeds.fulltext import fetch_full_text_sync

        result = fetch_full_text_sync(link, cancelled=get_current_worker().cancelled_event)
        if result.cancelled:
            return  # the app is closing (or the screen went away): nothing to record
        save_error = ""
        try:
            # Failures are cached too, so a refresh does not fetch the page again; `f`
            # does (only a cached success short-cuts it).
            self.store.set_full_text(
                article_id, html=result.html, url=result.url, error=result.error
            )
        except StoreError as exc:
            save_error = str(exc)
        self.post_message(FullTextFetched(article_id, result, save_error))

    def on_full_text_fetched(self, event: FullTextFetched) -> None:
        self._full_text_pending = self._full_text_pending - {event.article_id}
        view = self.reader.current
        if event.save_error:
            self.notify(event.save_error, severity="error", markup=False)
        if view is None or view.article_id != event.article_id:
            return  # the reader moved on; the text is cached for when it comes back
        if not event.result.ok:
            self.reader.set_full_text_button(busy=False)
            self.notify(
                f"No full text: {event.result.error}. The feed's text stays.",
                title="Full text",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return
        self._show_full_text(view, {"html": event.result.html, "url": event.result.url})

    def _show_full_text(self, view: ArticleView, record: dict[str, Any], scroll_y: int = 0) -> None:
        base = record.get("url") or view.link
        host = check_url(base).host
        note = f"Full text from {host} · f: back to the feed's text"
        self.reader.show_body(record["html"], base, full=True, note=note, scroll_y=scroll_y)

    def on_reading_pane_full_text_requested(self, event: ReadingPane.FullTextRequested) -> None:
        event.stop()
        self.action_full_text()

    def action_toggle_feed_full_text(self) -> None:
        """Turn "always full text" on or off for the feed under the sidebar cursor."""
        feed = self.selected_feed()
        if feed is None:
            self.notify("Choose a feed in the sidebar first.", timeout=3)
            return
        enabled = feed.id not in self.store.full_text_feeds()
        try:
            self.store.set_full_text_feed(feed.id, enabled)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if enabled:
            message = (
                f"Always full text for {feed.display_title}: each refresh fetches the pages "
                "of its newest articles."
            )
        else:
            message = f"Full text for {feed.display_title} only when you press f."
        self.notify(message, title="Full text", markup=False)

    # ---------------------------------------------------------------- links

    def action_open_link(self, number: int) -> None:
        links = self.reader.links
        if not 1 <= number <= len(links):
            self.notify(f"This article has no link {number}.", timeout=3)
            return
        self.open_url(links[number - 1].url)

    def action_links(self) -> None:
        reader = self.reader
        if not reader.links and not any(image.url for image in reader.images):
            self.notify("This article has no links.", timeout=3)
            return

        def chosen(url: str | None) -> None:
            if url:
                self.open_url(url)

        picker = LinkPickerScreen(reader.links, reader.images, self.config.inline_images)
        self.app.push_screen(picker, chosen)

    # ---------------------------------------------------------------- position

    def on_reading_pane_position_changed(self, event: ReadingPane.PositionChanged) -> None:
        event.stop()
        # A read-only or closing library: the position is a nicety, not data.
        with contextlib.suppress(StoreError):
            self.store.set_reading_position(event.article_id, event.y, event.full)

    def restore_reading_position(self, article: Article) -> None:
        """Show `article` where it was left: in its full text if it was read that way."""
        y, full = self.store.reading_position(article.id)
        view = self.reader.current
        if full and view is not None and view.article_id == article.id:
            record = self.store.full_text(article.id)
            if record is not None and record["html"]:
                self._show_full_text(view, record, scroll_y=y)
                return
        if y:
            self.reader.restore_scroll(y)
