"""MainScreen: owns the reader's state and coordinates the three panes.

Widgets render and post messages; this screen handles them, talks to the store and
pushes the results back into the widgets. Every flag change goes to the store at once
(memory) and the store's writer puts it on disk off the UI thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Header, Input

from ..config import Config
from ..messages import SaveFailed
from ..models import Article
from ..store import Store, StoreError
from ..views import ALL, SMART_VIEWS, View, articles_for, sort_articles, unread_in
from ..widgets.article_list import ArticleList
from ..widgets.category_sidebar import CategorySidebar
from ..widgets.footer import ReaderFooter
from ..widgets.reading_pane import ArticleView, ReadingPane
from .find import FindActions
from .flags import FlagActions, FlagChange
from .reading import READING_ACTIONS, ReadingActions
from .subscriptions import SubscriptionActions

if TYPE_CHECKING:
    from ..query import Query
    from ..search import SearchIndex


class MainScreen(FindActions, FlagActions, SubscriptionActions, ReadingActions, Screen[None]):
    """Sidebar | article list | reading pane."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding(
            "m", "toggle_read", "Read", tooltip="Toggle read / unread", id="article.toggle_read"
        ),
        Binding("s", "toggle_star", "Star", id="article.toggle_star"),
        Binding(
            "o",
            "open_in_browser",
            "Web",
            tooltip="Continue reading in your browser",
            id="article.open_in_browser",
        ),
        Binding(
            "u",
            "toggle_unread_only",
            "Unread",
            tooltip="Show only unread articles",
            id="view.toggle_unread_only",
        ),
        Binding(
            "n", "next_unread", "Next", tooltip="Next unread article", id="article.next_unread"
        ),
        Binding("p", "previous_unread", "Prev unread", show=False, id="article.previous_unread"),
        Binding("space,pagedown", "page_reader_down", "Page", show=False, id="reader.page_down"),
        Binding("pageup", "page_reader_up", "Page up", show=False, id="reader.page_up"),
        Binding("r", "refresh_all", "Refresh", id="feeds.refresh_all"),
        Binding("R", "refresh_selected", "Refresh this", show=False, id="feeds.refresh_selected"),
        Binding("a", "add_feed", "Add", tooltip="Add a feed", id="feeds.add"),
        Binding("e", "rename_feed", "Rename", tooltip="Rename the feed", id="feeds.rename"),
        Binding("c", "move_feed", "Move", tooltip="Move the feed to a category", id="feeds.move"),
        Binding("d,delete", "unsubscribe", "Unsubscribe", id="feeds.unsubscribe"),
        Binding("H", "feed_health", "Health", show=False, id="feeds.health"),
        Binding("slash", "search", "Find", tooltip="Search as you type", id="view.search"),
        Binding("escape", "end_search", "Close search", show=False, id="view.end_search"),
        Binding("ctrl+l", "toggle_search_scope", "Scope", show=False, id="view.search_scope"),
        Binding("ctrl+s", "save_search", "Save search", show=False, id="view.save_search"),
        Binding("t", "cycle_sort", "Sort", show=False, id="view.sort"),
        Binding(
            "less_than_sign",
            "resize('sidebar', -2)",
            "Narrower sidebar",
            show=False,
            id="layout.sidebar_narrower",
        ),
        Binding(
            "greater_than_sign",
            "resize('sidebar', 2)",
            "Wider sidebar",
            show=False,
            id="layout.sidebar_wider",
        ),
        Binding(
            "left_square_bracket",
            "resize('list', -5)",
            "Narrower list",
            show=False,
            id="layout.list_narrower",
        ),
        Binding(
            "right_square_bracket",
            "resize('list', 5)",
            "Wider list",
            show=False,
            id="layout.list_wider",
        ),
        Binding("A", "mark_view_read", "All read", show=False, id="view.mark_all_read"),
        Binding("z", "undo", "Undo", show=False, id="article.undo"),
        # Not in the footer (no room at 80 columns); the pane's Full text button shows it.
        Binding("f", "full_text", "Full text", show=False, id="article.full_text"),
        *(
            Binding(str(n), f"open_link({n})", f"Link {n}", show=False, id=f"article.open_link_{n}")
            for n in range(1, 10)
        ),
        Binding("L", "links", "Links", show=False, id="article.links"),
        Binding("F", "toggle_feed_full_text", "Always full text", show=False, id="feeds.full_text"),
        Binding("question_mark", "show_help", "Keys", id="app.help"),
    ]

    view: var[View] = var(ALL, init=False)
    unread_only: var[bool] = var(False, init=False)

    def __init__(self, store: Store, config: Config | None = None) -> None:
        super().__init__()
        self.store = store
        self.config = config or Config()
        self._unread_by_feed: dict[str, int] = {}
        self._sources: dict[str, str] = {}
        self._categories: dict[str, str] = {}
        self._refreshing = False
        self._last_list_reload = 0.0
        self._last_progress_shown = 0.0  # a refresh's progress is shown at most 4 times a second
        self._counts_stale = False  # feeds refreshed since the sidebar's counts were last shown
        self._last_list_reload_cost = 0.0  # seconds the last reload during a refresh took
        self._search_library = False
        self._search_timer: Timer | None = None
        self._query: Query | None = None
        # The search text whose answer the list shows now (answers to older keystrokes
        # can arrive while the user types on; tests and the title wait for this one).
        self.search_answered_for: str | None = None
        self._before_search: str | None = None
        self._saved_members: dict[str, set[str]] = {}
        self._undo: list[FlagChange] = []
        self._warnings_shown = 0  # how many of store.warnings have been toasted
        # Caches for search and saved searches, kept across keystrokes (made on first use).
        self._search_index: SearchIndex | None = None
        self._search_box: Input | None = None  # mounted by the first `/`

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="≡")
        with Horizontal(id="panes"):
            yield CategorySidebar(id="sidebar")
            with Horizontal(id="content"):
                with Vertical(id="list-column"):
                    # The search field is mounted above the list when first opened (find.py).
                    yield ArticleList(self.store.is_read, self.store.is_starred, id="articles")
                yield ReadingPane(id="reader")
        # The palette (Ctrl+P) is listed in `?`; its footer slot is needed at 80 columns.
        yield ReaderFooter(compact=True, show_command_palette=False)

    @property
    def sidebar(self) -> CategorySidebar:
        return self.query_one(CategorySidebar)

    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def reader(self) -> ReadingPane:
        return self.query_one(ReadingPane)

    def on_mount(self) -> None:
        self._apply_layout()
        self.unread_only = bool(self.store.setting("unread_only", False))
        self.reload_feeds()
        self._load_view(select_id=None)
        self.sidebar.focus()
        self.sidebar.move_to(ALL)
        self.show_new_warnings()
        self.store.add_error_listener(lambda error: self.post_message(SaveFailed(error)))
        if self.config.refresh_on_start:
            self.call_after_refresh(self.action_refresh_all)
        if self.config.refresh_interval_minutes:
            self.set_interval(self.config.refresh_interval_minutes * 60, self.action_refresh_all)

    # ---------------------------------------------------------------- state -> widgets

    def reload_feeds(self) -> None:
        """Re-read feeds and counts from the store and rebuild the sidebar."""
        feeds = self.store.feeds()
        self._sources = {f.id: f.display_title for f in feeds}
        self._categories = {f.id: f.category for f in feeds}
        self._unread_by_feed = self.store.unread_counts_by_feed()
        saved = self.saved_searches()
        self._saved_members = {
            query: members
            for query, members in self._saved_members.items()
            if any(query == q for _, q in saved)
        }
        self.sidebar.rebuild(feeds, self._all_counts(), saved)
        self._update_title()
        self._count_saved_searches(saved)

    @work(thread=True, exclusive=True, group="saved-counts", exit_on_error=False)
    def _count_saved_searches(self, saved: list[tuple[str, str]]) -> None:
        """Which articles each saved search matches (bodies too: a thread, off the UI)."""
        members = {}
        for name, query in saved:
            view = View("saved", query, label=name)
            members[query] = {a.id for a in articles_for(self.store, view, index=self.search_index)}
        self.app.call_from_thread(self._saved_counted, members)

    def _saved_counted(self, members: dict[str, set[str]]) -> None:
        self._saved_members = members
        self.sidebar.update_counts(self._all_counts())

    def _all_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind, label in SMART_VIEWS:
            view = View(kind, label=label)
            counts[view.node_id] = unread_in(self.store, view, self._unread_by_feed)
        by_category: dict[str, int] = {}
        for feed_id, category in self._categories.items():
            unread = self._unread_by_feed.get(feed_id, 0)
            by_category[category] = by_category.get(category, 0) + unread
            counts[f"feed:{feed_id}"] = unread
        for category, unread in by_category.items():
            counts[f"category:{category}"] = unread
        for query, members in self._saved_members.items():
            counts[f"saved:{query}"] = sum(1 for i in members if not self.store.is_read(i))
        return counts

    def _update_title(self) -> None:
        total = sum(self._unread_by_feed.values())
        self.title = "tui-reader"
        self.sub_title = f"{self.view.label or 'All'} · {total} unread" + (
            " · unread only" if self.unread_only else ""
        )

    def _load_view(self, select_id: str | None, keep: str | None = None) -> None:
        if self.searching:
            # The search's results replace the view; run it again over the new articles.
            self._run_search(self.search_box.value)
            return
        articles = articles_for(
            self.store,
            self.view,
            unread_only=self.unread_only,
            keep=keep,
            # Only saved searches use the search caches: made when one is first shown.
            index=self.search_index if self.view.kind == "saved" else None,
        )
        articles = sort_articles(articles, self.sort_for(self.view), self._sources)
        article_list = self.article_list
        if not self.store.feeds():
            article_list.empty_message = "No feeds yet: press a to add one."
        elif self.unread_only or self.view.kind == "unread":
            article_list.empty_message = "No unread articles here. Press u to show all."
        else:
            article_list.empty_message = "No articles here."
        article_list.set_articles(tuple(articles), self._sources, select_id=select_id)
        if not self.store.feeds():
            self.reader.show_welcome()
        elif self.reader.current is None:
            self.reader.show_nothing()
        self._update_title()

    def watch_view(self) -> None:
        self._load_view(select_id=None)

    def watch_unread_only(self) -> None:
        current = self.reader.current.article_id if self.reader.current else None
        self._load_view(select_id=None, keep=current)
        if self.store.setting("unread_only", False) != self.unread_only:
            self._save_setting("unread_only", self.unread_only)
        self.refresh_bindings()

    def _save_setting(self, name: str, value: object) -> None:
        try:
            self.store.set_setting(name, value)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)

    def flags_changed(self, articles: Iterable[Article], *, read_delta: int = 0) -> None:
        """Update counts and rows after flags of `articles` changed by the user."""
        had_unread = any(self._unread_by_feed.values())
        if read_delta:
            for article in articles:
                self._unread_by_feed[article.feed_id] = (
                    self._unread_by_feed.get(article.feed_id, 0) - read_delta
                )
        self.sidebar.update_counts(self._all_counts())
        self.article_list.refresh_flags()
        self._update_title()
        if any(self._unread_by_feed.values()) != had_unread:
            # Only n / p depend on flags; rebuilding the footer on every keypress costs
            # more than the change itself.
            self.refresh_bindings()

    # ---------------------------------------------------------------- messages

    @on(CategorySidebar.ViewChosen)
    def _view_chosen(self, event: CategorySidebar.ViewChosen) -> None:
        if event.view != self.view:
            self.view = event.view
        if self.article_list.articles:
            self.article_list.focus()

    @on(ArticleList.Opened)
    def _article_opened(self, event: ArticleList.Opened) -> None:
        self.show_article(event.article)

    @on(ArticleList.Highlighted)
    def _article_highlighted(self, event: ArticleList.Highlighted) -> None:
        self.refresh_bindings()

    @on(ReadingPane.ContinueReading)
    def _continue_reading(self) -> None:
        self.action_open_in_browser()

    @on(ReadingPane.LinkChosen)
    def _link_chosen(self, event: ReadingPane.LinkChosen) -> None:
        self.open_url(event.href)

    def show_article(self, article: Article) -> None:
        """Show `article` in the reading pane and mark it read."""
        feed = self.store.feed(article.feed_id)
        self.reader.show(
            ArticleView(
                article_id=article.id,
                title=article.title,
                category=feed.category if feed else "",
                source=feed.display_title if feed else "",
                author=article.author,
                published=article.published,
                link=article.link,
                body_html=self.store.body(article.id),
                words=article.words,
            )
        )
        self.restore_reading_position(article)
        # Reading a body can find its file damaged (it is set aside): say so now.
        self.show_new_warnings()
        if self.config.mark_read_on_open:
            self.change_flags([article], "read", True, f"opened {article.title!r}")

    def show_new_warnings(self) -> None:
        """Toast the library's warnings not shown yet (damaged files set aside, ...)."""
        warnings = self.store.warnings
        for warning in warnings[self._warnings_shown :]:
            self.notify(warning, title="Library", severity="warning", timeout=15, markup=False)
        self._warnings_shown = len(warnings)

    # ---------------------------------------------------------------- actions

    def target_article(self) -> Article | None:
        """What m / s / o act on: the list's row when the list has focus, else the article
        in the reading pane, else the list's row."""
        if self.focused is self.article_list or self.reader.current is None:
            return self.article_list.highlighted
        return self.store.article(self.reader.current.article_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in READING_ACTIONS:
            return self.check_reading_action(action)
        if action in ("toggle_read", "toggle_star", "open_in_browser"):
            return True if self.target_article() is not None else None
        if action in ("next_unread", "previous_unread"):
            return True if self.store.unread_count() else None
        if action in ("refresh_all", "refresh_selected"):
            return None if self._refreshing or not self.store.feeds() else True
        if action in ("rename_feed", "move_feed", "unsubscribe"):
            # Only on a feed row of the sidebar: hidden from the footer elsewhere.
            return self.focused is self.sidebar and self.selected_feed() is not None
        if action in ("end_search", "toggle_search_scope", "save_search"):
            return self.searching
        return True

    def action_toggle_read(self) -> None:
        article = self.target_article()
        if article is not None:
            read = not self.store.is_read(article.id)
            self.change_flags(
                [article], "read", read, f"marked {article.title!r} {'read' if read else 'unread'}"
            )

    def action_toggle_star(self) -> None:
        article = self.target_article()
        if article is None:
            return
        starred = not self.store.is_starred(article.id)
        verb = "starred" if starred else "unstarred"
        self.change_flags([article], "starred", starred, f"{verb} {article.title!r}")

    def action_toggle_unread_only(self) -> None:
        self.unread_only = not self.unread_only

    def action_open_in_browser(self) -> None:
        article = self.target_article()
        if article is not None:
            self.open_url(article.link)

    def open_url(self, raw_url: str) -> None:
        """Open `raw_url` through the URL policy; refused URLs are shown as plain text."""
        # The browser module (webbrowser, subprocess) is imported when a link is opened.
        from ..browser import BrowserError, plan_launch

        try:
            plan = plan_launch(raw_url, self.config.browser or None)
        except BrowserError as exc:
            self.notify(str(exc), title="Not opened", severity="warning", markup=False)
            return
        if plan.console:
            with self.app.suspend():
                self._launch(plan)
        else:
            self._launch_in_background(plan)

    def _launch(self, plan: object) -> None:
        from ..browser import BrowserError, launch

        try:
            launch(plan)  # type: ignore[arg-type]
        except BrowserError as exc:
            self.notify(str(exc), severity="error", markup=False)

    @work(thread=True, exit_on_error=False, group="browser")
    def _launch_in_background(self, plan: object) -> None:
        from ..browser import BrowserError, launch

        try:
            launch(plan)  # type: ignore[arg-type]
        except BrowserError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)

    def _walk_unread(self, step: int) -> None:
        current = self.article_list.highlighted
        in_view = list(self.article_list.articles)
        start = in_view.index(current) if current in in_view else -1
        shown = self.reader.current
        if current is not None and (shown is None or shown.article_id != current.id):
            # The row under the cursor has not been read yet: it is the first candidate.
            start -= step
        indices = range(start + 1, len(in_view)) if step > 0 else range(start - 1, -1, -1)
        for index in indices:
            if not self.store.is_read(in_view[index].id):
                self.article_list.cursor = index
                self.show_article(in_view[index])
                return
        # Not in this view: look through the whole library, newest first.
        everything = self.store.articles()
        position = everything.index(current) if current in everything else -1
        indices = range(position + 1, len(everything)) if step > 0 else range(position - 1, -1, -1)
        for index in indices:
            candidate = everything[index]
            if not self.store.is_read(candidate.id):
                self.view = ALL
                self.sidebar.move_to(ALL)
                self.article_list.select_article(candidate.id)
                self.show_article(candidate)
                return
        self.notify("No more unread articles that way.", timeout=3)

    def action_next_unread(self) -> None:
        self._walk_unread(1)

    def action_previous_unread(self) -> None:
        self._walk_unread(-1)

    def action_page_reader_down(self) -> None:
        self.reader.scroll_page_down(animate=False)

    def action_page_reader_up(self) -> None:
        self.reader.scroll_page_up(animate=False)

    def _forward_event(self, event: events.Event) -> None:
        # Textual 8.2.8: a mouse press that lands while the reading pane's Markdown is
        # replacing its blocks can hit a block already detached (parent None), and the
        # text-selection code then raises AttributeError, ending the app. Such a click
        # has nothing left to act on: drop it instead. (Private hook; re-check on upgrade.)
        try:
            super()._forward_event(event)
        except AttributeError:
            if not isinstance(event, events.MouseEvent):
                raise

    # ---------------------------------------------------------------- layout

    LAYOUT_LIMITS = {"sidebar": (14, 60, 26), "list": (20, 80, 50)}  # min, max, default

    def _layout_value(self, pane: str) -> int:
        low, high, default = self.LAYOUT_LIMITS[pane]
        saved = (self.store.setting("layout", {}) or {}).get(pane, default)
        return max(low, min(high, saved)) if isinstance(saved, int) else default

    def _apply_layout(self) -> None:
        """Pane widths chosen with < > [ ] (remembered in the library); until the user
        chooses, the stylesheet decides (and adapts to narrow terminals)."""
        saved = self.store.setting("layout", {}) or {}
        if "sidebar" in saved:
            self.sidebar.styles.width = self._layout_value("sidebar")
        if "list" in saved:
            list_share = self._layout_value("list")
            self.query_one("#list-column").styles.width = f"{list_share}fr"
            self.reader.styles.width = f"{100 - list_share}fr"

    def action_resize(self, pane: str, delta: int) -> None:
        low, high, _ = self.LAYOUT_LIMITS[pane]
        layout = dict(self.store.setting("layout", {}) or {})
        layout[pane] = max(low, min(high, self._layout_value(pane) + delta))
        self._save_setting("layout", layout)
        self._apply_layout()

    def go_to(self, view: View) -> None:
        """Show `view` (from the command palette) as if chosen in the sidebar."""
        if self.searching:
            self.action_end_search()
        self.view = view
        self.sidebar.move_to(view)
        self.article_list.focus()

    def action_show_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen())
