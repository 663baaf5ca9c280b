"""Reading: full text (`f`), numbered links (`1`-`9`, `L`), "always full text" per feed
(`F`) and the reading position of every article: `ReadingController`.

Fetching and extracting run in a thread worker (`feeds/fulltext.fetch_full_text_sync`)
and come back as `messages.FullTextFetched`; the result is cached in the store, so an
article is fetched once and reads offline after. Every link opened here goes through
the screen's `open_url`, that is through the URL policy and `browser.plan_launch`; link
texts from pages are shown as `Content` (`screens/link_picker.py`), never markup.
"""

from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.worker import get_current_worker

from ...config import Config
from ...messages import FullTextFetched
from ...models import Article
from ...store import Store, StoreError
from ...text import check_url
from ...ui_text import plain_str
from ...widgets.reading_pane import ArticleView, ReadingPane

if TYPE_CHECKING:
    from .host import MainHost

# Actions whose availability `ReadingController.check` decides.
READING_ACTIONS = frozenset({"full_text", "open_link", "links", "toggle_feed_full_text"})


class ReadingController:
    """Full text, links and reading positions."""

    def __init__(self, host: MainHost, store: Store, config: Config) -> None:
        self.host = host
        self.store = store
        self.config = config
        # Article ids whose full text is being fetched (immutable: reassigned, never shared).
        self._full_text_pending: frozenset[str] = frozenset()

    @property
    def reader(self) -> ReadingPane:
        return self.host.reader

    def check(self, action: str) -> bool | None:
        """Whether a reading action can run now (None hides it from the footer)."""
        view = self.reader.current
        if action == "full_text":
            return True if view is not None and check_url(view.link).ok else None
        if action == "open_link":
            return True if self.reader.links else None
        if action == "links":
            return True if self.reader.links or self.reader.images else None
        if action == "toggle_feed_full_text":
            return self.host.focused is self.host.sidebar and self.host.selected_feed() is not None
        return True

    # ---------------------------------------------------------------- full text

    def full_text(self) -> None:
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
            self.host.notify("The full text is on its way.", timeout=3)
            return
        if not check_url(view.link).ok:
            self.host.notify("This article has no web address to fetch.", severity="warning")
            return
        self._full_text_pending = self._full_text_pending | {view.article_id}
        self.reader.set_full_text_button(busy=True)
        self.host.run_worker(
            partial(self._fetch_full_text, view.article_id, view.link),
            thread=True,
            group="full-text",
            exit_on_error=False,
        )

    def _fetch_full_text(self, article_id: str, link: str) -> None:
        # Imported here: the fetcher and trafilatura are not needed to show the reader.
        from ...feeds.fulltext import fetch_full_text_sync

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
        self.host.post_message(FullTextFetched(article_id, result, save_error))

    def fetched(self, event: FullTextFetched) -> None:
        self._full_text_pending = self._full_text_pending - {event.article_id}
        view = self.reader.current
        if event.save_error:
            self.host.notify(
                plain_str(event.save_error, multiline=True), severity="error", markup=False
            )
        if view is None or view.article_id != event.article_id:
            return  # the reader moved on; the text is cached for when it comes back
        if not event.result.ok:
            self.reader.set_full_text_button(busy=False)
            self.host.notify(
                plain_str(
                    f"No full text: {event.result.error}. The feed's text stays.", multiline=True
                ),
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

    def toggle_feed_full_text(self) -> None:
        """Turn "always full text" on or off for the feed under the sidebar cursor."""
        feed = self.host.selected_feed()
        if feed is None:
            self.host.notify("Choose a feed in the sidebar first.", timeout=3)
            return
        enabled = feed.id not in self.store.full_text_feeds()
        try:
            self.store.set_full_text_feed(feed.id, enabled)
        except StoreError as exc:
            self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
            return
        if enabled:
            message = (
                f"Always full text for {feed.display_title}: each refresh fetches the pages "
                "of its newest articles."
            )
        else:
            message = f"Full text for {feed.display_title} only when you press f."
        self.host.notify(plain_str(message, multiline=True), title="Full text", markup=False)

    # ---------------------------------------------------------------- links

    def open_link(self, number: int) -> None:
        links = self.reader.links
        if not 1 <= number <= len(links):
            self.host.notify(
                plain_str(f"This article has no link {number}.", multiline=True),
                timeout=3,
                markup=False,
            )
            return
        self.host.open_url(links[number - 1].url)

    def links(self) -> None:
        reader = self.reader
        if not reader.links and not any(image.url for image in reader.images):
            self.host.notify("This article has no links.", timeout=3)
            return

        def chosen(url: str | None) -> None:
            if url:
                self.host.open_url(url)

        from ..link_picker import LinkPickerScreen  # a dialog: imported when first opened

        picker = LinkPickerScreen(reader.links, reader.images, self.config.inline_images)
        self.host.app.push_screen(picker, chosen)

    # ---------------------------------------------------------------- position

    def position_changed(self, event: ReadingPane.PositionChanged) -> None:
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

    # ---------------------------------------------------------------- the browser

    def open_url(self, raw_url: str) -> None:
        """Open `raw_url` through the URL policy; refused URLs are shown as plain text."""
        # The browser module (webbrowser, subprocess) is imported when a link is opened.
        from ...browser import BrowserError, plan_launch

        if not raw_url.strip():
            # Feeds' links that the policy refuses (javascript:, data:...) are stored empty.
            self.host.notify(
                "Not opened: this article has no web address (the feed gave none, or one "
                "that is not http or https, which is never opened).",
                title="Not opened",
                severity="warning",
                markup=False,
            )
            return
        try:
            plan = plan_launch(raw_url, self.config.browser or None, served=self.host.app.is_web)
        except BrowserError as exc:
            self.host.notify(
                plain_str(exc, multiline=True), title="Not opened", severity="warning", markup=False
            )
            return
        if plan.in_tab:  # `tui-reader serve`: a new tab of the user's browser
            self.host.app.open_url(plan.url, new_tab=True)
            return
        if plan.console:
            with self.host.app.suspend():
                self._launch(plan)
        else:
            self.host.run_worker(
                partial(self._launch, plan, from_thread=True),
                thread=True,
                exit_on_error=False,
                group="browser",
            )

    def _launch(self, plan: object, from_thread: bool = False) -> None:
        from ...browser import BrowserError, launch

        try:
            launch(plan)  # type: ignore[arg-type]
        except BrowserError as exc:
            if from_thread:
                self.host.app.call_from_thread(
                    self.host.notify, plain_str(exc, multiline=True), severity="error", markup=False
                )
            else:
                self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
