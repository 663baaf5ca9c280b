"""What the main screen's feature controllers may use of it: the `MainHost` protocol.

The controllers (`finding.py`, `flagging.py`, `reading.py`, `subscriptions.py`) are
plain classes. Each gets the store, the config and this narrow view of the screen in its
constructor; none imports `MainScreen`, so there is no import circle, and what a feature
touches is written here rather than being "all of the screen".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget
    from textual.worker import Worker

    from ...models import Article, Feed
    from ...views import View
    from ...widgets.article_list import ArticleList
    from ...widgets.category_sidebar import CategorySidebar
    from ...widgets.reading_pane import ReadingPane


class MainHost(Protocol):
    """The state and widgets of `MainScreen` that its controllers read and change."""

    # State (vars on the screen: setting one updates what the widgets show).
    view: View
    unread_only: bool
    refreshing: bool
    sub_title: str | None

    @property
    def app(self) -> App[Any]: ...

    @property
    def focused(self) -> Widget | None: ...

    @property
    def sidebar(self) -> CategorySidebar: ...

    @property
    def article_list(self) -> ArticleList: ...

    @property
    def reader(self) -> ReadingPane: ...

    @property
    def searching(self) -> bool: ...

    def notify(self, message: str, **kwargs: Any) -> None: ...

    def run_worker(self, work: Any, **kwargs: Any) -> Worker[Any]: ...

    def post_message(self, message: Any) -> bool: ...

    def query_one(self, selector: str) -> Any: ...

    def set_timer(self, delay: float, callback: Callable[[], object]) -> Any: ...

    def set_interval(self, interval: float, callback: Callable[[], object]) -> Any: ...

    # Coordination the screen does for every feature.
    def reload_feeds(self) -> None:
        """Feeds, categories or saved searches changed: rebuild the sidebar and counts."""

    def recount(self, *, flags: bool = True, title: bool = True) -> None:
        """Flags or articles changed: counts and rows are drawn again from the store."""

    def load_view(self, select_id: str | None, keep: str | None = None) -> None:
        """Fill the list for the current view (or the running search)."""

    def follow_pane(self, articles: Sequence[Article]) -> str | None:
        """Before the list shows `articles`: the shown article's id if among them, else
        None (and the pane is cleared)."""

    def reload_list_keeping_cursor(self) -> None:
        """`load_view` keeping the row under the cursor and the article being read."""

    def save_setting(self, name: str, value: object) -> None:
        """Remember a setting in the library; a failure is told, never raised."""

    def selected_feed(self) -> Feed | None:
        """The feed under the sidebar cursor, if the cursor is on a feed row."""

    def show_article(self, article: Article) -> None:
        """Show `article` in the reading pane (and mark it read, if configured)."""

    def open_url(self, raw_url: str) -> None:
        """Open a URL through the URL policy."""

    def sort_for(self, view: View) -> str:
        """The sort order chosen for `view`."""
