"""Search (`/`), sort (`t`) and saved searches: `FindController`.

The search runs in a thread worker so typing never waits for it: every keystroke (after
a short pause) starts a new search and cancels the one before; results come back as a
`messages.SearchResults`, which the screen hands to `FindController.show_results`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ... import clock
from ...messages import SavedSearchesCounted, SearchResults
from ...models import Article
from ...store import Store
from ...ui_text import plain, plain_str
from ...views import ALL, SORTS, View, articles_for, merged, sort_articles

if TYPE_CHECKING:
    from ...query import Query
    from ...search import SearchIndex
    from .host import MainHost

SEARCH_DELAY = 0.15  # seconds of no typing before the search runs
SEARCH_HELP = 'words, "phrases", is:unread, feed:, cat:, author:, @7d, -not'


class FindController:
    """Search, sort and saved searches. `sources` is the screen's feed id -> title map
    (read, never changed here)."""

    def __init__(self, host: MainHost, store: Store, sources: Callable[[], dict[str, str]]) -> None:
        self.host = host
        self.store = store
        self._sources = sources
        self._search_library = False
        self._search_timer: Timer | None = None
        self.query: Query | None = None
        # The search text whose answer the list shows now (answers to older keystrokes
        # can arrive while the user types on; tests and the title wait for this one).
        self.answered_for: str | None = None
        self._before_search: str | None = None
        # Caches kept across keystrokes, made on first use.
        self._search_index: SearchIndex | None = None
        self._search_box: Input | None = None  # mounted by the first `/`
        self._search_hint: Static | None = None  # mounted with it

    # ---------------------------------------------------------------- search

    @property
    def search_index(self) -> SearchIndex:
        """The screen's search caches (haystacks, body texts), made on first use."""
        if self._search_index is None:
            # Imported on first use, with the query language: not needed to start.
            from ...search import SearchIndex

            self._search_index = SearchIndex(self.store)
        return self._search_index

    @property
    def search_box(self) -> Input:
        """The search field above the list; mounted (hidden) on first use, as most
        sessions never search and the first frame does not need it."""
        if self._search_box is None:
            box = Input(id="search", placeholder="Search")
            box.display = False
            # Under the field, wrapped: the query help and errors, whole (the border's
            # subtitle and the placeholder are one line and get cut at list widths).
            hint = Static(id="search-hint")
            hint.display = False
            column = self.host.query_one("#list-column")
            column.mount(box, hint, before=self.host.article_list)
            self._search_box = box
            self._search_hint = hint
        return self._search_box

    def _show_hint(self, text: str, *, error: bool = False) -> None:
        """Show `text` (plain text, never markup: an error can quote the query) under the
        search field; "" hides the line."""
        _ = self.search_box  # mounts the hint with the field
        hint = self._search_hint
        if hint is None:
            return
        hint.update(plain(text, 500))
        hint.set_class(error, "-error")
        hint.display = bool(text)

    @property
    def searching(self) -> bool:
        return self._search_box is not None and self._search_box.display

    def open(self) -> None:
        """`/`: show the search field (the first time, mount it) and focus it."""
        box = self.search_box
        if not box.display:
            current = self.host.article_list.highlighted
            self._before_search = current.id if current else None
            box.display = True
            self._warm_search_index(self.search_index)
        self._update_search_title()
        if not box.value:
            self._show_hint(SEARCH_HELP)
        box.focus()

    def toggle_scope(self) -> None:
        self._search_library = not self._search_library
        self._update_search_title()
        self.run_search(self.search_box.value)

    def _update_search_title(self) -> None:
        where = "the whole library" if self._search_library else self.host.view.label or "this view"
        box = self.search_box
        # The view's label is a feed or category name: literal text, never markup.
        box.border_title = plain(f"Search {where}", 200)
        box.border_subtitle = plain(
            "Ctrl+L: " + ("this view only" if self._search_library else "whole library")
        )
        box.placeholder = SEARCH_HELP

    def typed(self, event: Input.Changed) -> None:
        """A keystroke in the search field: search after a short pause."""
        if self._search_timer is not None:
            self._search_timer.stop()
        text = event.value
        self._search_timer = self.host.set_timer(SEARCH_DELAY, lambda: self.run_search(text))

    def submitted(self, event: Input.Submitted) -> None:
        self.run_search(event.value)
        self.host.article_list.focus()

    def close(self) -> None:
        """Esc: close the search and put the view back as it was."""
        if not self.searching:
            return
        box = self.search_box
        box.value = ""
        box.display = False
        self._show_hint("")
        self.query = None
        self.answered_for = None
        self.host.load_view(select_id=self._before_search)
        self.host.article_list.focus()

    def _search_base(self) -> list[Article]:
        view = ALL if self._search_library else self.host.view
        # Every copy of a story is searched (their texts can differ); the results show
        # each story once, as the view does (`_search`).
        articles = articles_for(
            self.store,
            view,
            unread_only=self.host.unread_only,
            index=self.search_index,
            merge_copies=False,
        )
        return sort_articles(articles, self.sort_for(view), self._sources())

    def run_search(self, text: str) -> None:
        if not self.searching:
            return
        one_feed = not self._search_library and self.host.view.kind == "feed"
        self.host.run_worker(
            partial(self._search, text, self._search_base(), not one_feed),
            thread=True,
            exclusive=True,
            group="search",
            exit_on_error=False,
        )

    def _warm_search_index(self, index: SearchIndex) -> None:
        self.host.run_worker(
            partial(self._warm_up, index),
            thread=True,
            exclusive=True,
            group="search-warm-up",
            exit_on_error=False,
        )

    def _warm_up(self, index: SearchIndex) -> None:
        """Read every feed's bodies into the index while the user types (a thread), so
        that body searches answer from memory."""
        worker = get_current_worker()
        index.warm_up([f.id for f in self.store.feeds()], lambda: worker.is_cancelled)

    def _search(self, text: str, base: list[Article], merge_copies: bool = True) -> None:
        from ...query import QueryError, parse_query

        worker = get_current_worker()
        try:
            query = parse_query(text, clock.now())
        except QueryError as exc:
            self.host.post_message(SearchResults(text, None, [], str(exc)))
            return
        if query.is_empty:
            base = merged(self.store, base) if merge_copies else base
            self.host.post_message(SearchResults(text, query, base, ""))
            return
        found = self.search_index.search(query, base)
        found = merged(self.store, found) if merge_copies else found
        if not worker.is_cancelled:
            self.host.post_message(SearchResults(text, query, found, ""))

    def show_results(self, event: SearchResults) -> None:
        if not self.searching or event.text != self.search_box.value:
            return  # an answer to a query the user has already changed
        self.answered_for = event.text
        box = self.search_box
        if event.error:
            # The error quotes the user's query: literal text, never markup.
            box.border_subtitle = plain(f"⚠ {event.error}", 300)
            box.add_class("-invalid-query")
            self._show_hint(f"⚠ {event.error}", error=True)
            return
        box.remove_class("-invalid-query")
        self._show_hint("" if event.text.strip() else SEARCH_HELP)
        self.query = event.query if event.query and not event.query.is_empty else None
        count = len(event.articles)
        box.border_subtitle = plain(
            f"{count} match{'es' if count != 1 else ''} · Enter: to the list · Esc: close"
        )
        highlight = self.query.text_terms if self.query else ()
        # A feed's view searched alone keeps to one feed; the whole library does not.
        self.host.article_list.show_source = self._search_library or self.host.view.kind != "feed"
        # The article being read stays selected if it matches; else the pane is cleared.
        select_id = self.host.follow_pane(event.articles)
        self.host.article_list.set_articles(
            tuple(event.articles), self._sources(), select_id=select_id, highlight=highlight
        )

    # ---------------------------------------------------------------- sort

    def sort_for(self, view: View) -> str:
        sorts = self.store.setting("sort", {}) or {}
        how = sorts.get(view.node_id, "newest") if isinstance(sorts, dict) else "newest"
        return how if how in dict(SORTS) else "newest"

    def cycle_sort(self) -> None:
        keys = [key for key, _ in SORTS]
        current = self.sort_for(self.host.view)
        following = keys[(keys.index(current) + 1) % len(keys)]
        self.set_sort(following)

    def set_sort(self, how: str) -> None:
        sorts = dict(self.store.setting("sort", {}) or {})
        sorts[self.host.view.node_id] = how
        self.host.save_setting("sort", sorts)
        self.host.reload_list_keeping_cursor()
        self.host.notify(
            plain_str(f"Sorted by {dict(SORTS)[how]}.", multiline=True), timeout=2, markup=False
        )

    # ---------------------------------------------------------------- saved searches

    def saved_searches(self) -> list[tuple[str, str]]:
        saved = self.store.setting("saved_searches", []) or []
        return [
            (str(item["name"]), str(item["query"]))
            for item in saved
            if isinstance(item, dict) and item.get("name") and item.get("query")
        ]

    def save_search(self) -> None:
        text = self.search_box.value.strip()
        if not text:
            self.host.notify("Type a search first, then save it.", timeout=3)
            return
        from ...query import QueryError, parse_query

        try:
            parse_query(text, clock.now())
        except QueryError as exc:
            self.host.notify(
                plain_str(f"Not saved: {exc}", multiline=True), severity="warning", markup=False
            )
            return

        def named(name: str | None) -> None:
            if not name:
                return
            saved = [(n, q) for n, q in self.saved_searches() if n != name]
            saved.append((name, text))
            self.host.save_setting("saved_searches", [{"name": n, "query": q} for n, q in saved])
            self.host.reload_feeds()
            self.host.notify(
                plain_str(f"Saved search {name!r} is in the sidebar.", multiline=True),
                markup=False,
                timeout=4,
            )

        from ..dialogs import PromptScreen

        self.host.app.push_screen(
            PromptScreen("Save search", f"A name for the search {text!r}:", text), named
        )

    def delete_saved_search(self, query: str) -> None:
        saved = [(n, q) for n, q in self.saved_searches() if q != query]
        self.host.save_setting("saved_searches", [{"name": n, "query": q} for n, q in saved])
        self.host.reload_feeds()

    def count_saved(self, saved: list[tuple[str, str]]) -> None:
        """Find which articles each saved search matches (bodies too: in a thread, off
        the UI); the answer comes back as `SavedSearchesCounted`."""
        self.host.run_worker(
            partial(self._count_saved, saved),
            thread=True,
            exclusive=True,
            group="saved-counts",
            exit_on_error=False,
        )

    def _count_saved(self, saved: list[tuple[str, str]]) -> None:
        members = {}
        for name, query in saved:
            view = View("saved", query, label=name)
            members[query] = {a.id for a in articles_for(self.store, view, index=self.search_index)}
        self.host.post_message(SavedSearchesCounted(members))

    def forget_feed(self, feed_id: str) -> None:
        """A refresh changed the feed's articles: its cached search texts are stale."""
        if self._search_index is not None:
            self._search_index.forget_feed(feed_id)
