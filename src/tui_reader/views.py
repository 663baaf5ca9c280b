"""What the sidebar can select (smart views, saved searches, categories, feeds) and how
a view's articles are chosen and sorted. No Textual here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Literal

from . import clock
from .models import Article
from .store import Store

if TYPE_CHECKING:
    from .search import SearchIndex

ViewKind = Literal["all", "unread", "starred", "today", "saved", "category", "feed"]

SMART_VIEWS: tuple[tuple[ViewKind, str], ...] = (
    ("all", "All"),
    ("unread", "Unread"),
    ("starred", "Starred"),
    ("today", "Today"),
)


@dataclass(frozen=True, slots=True)
class View:
    """A selection in the sidebar. `key` is the category name, feed id or saved query."""

    kind: ViewKind
    key: str = ""
    label: str = ""

    @property
    def node_id(self) -> str:
        return f"{self.kind}:{self.key}"


ALL = View("all", label="All")


def start_of_today(now: datetime | None = None) -> datetime:
    """Local midnight, as an aware datetime (what "Today" means to the user)."""
    local_now = (now or clock.now()).astimezone()
    return datetime.combine(local_now.date(), time(0), tzinfo=local_now.tzinfo)


FOLDER_SEPARATOR = "/"


def folder_path(category: str) -> list[str]:
    """The folders a category sits in, outermost first, itself last: "Tech/Python" is
    ["Tech", "Tech/Python"]. A name with an empty part ("a//b", "/x") is one flat folder."""
    parts = category.split(FOLDER_SEPARATOR)
    if len(parts) == 1 or not all(part.strip() for part in parts):
        return [category]
    return [FOLDER_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def in_folder(category: str, folder: str) -> bool:
    """True if `category` is `folder` or one of its subfolders (as `cat:` matches)."""
    if category == folder:
        return True
    # The prefix test first: it rules out nearly every feed without splitting names.
    return category.startswith(folder + FOLDER_SEPARATOR) and folder in folder_path(category)


def feed_ids_for(store: Store, view: View) -> list[str] | None:
    """The feeds a view covers (None = every feed); a folder covers its subfolders."""
    if view.kind == "category":
        return [f.id for f in store.feeds() if in_folder(f.category, view.key)]
    if view.kind == "feed":
        return [view.key]
    return None


def articles_for(
    store: Store,
    view: View,
    *,
    unread_only: bool = False,
    keep: str | None = None,
    index: SearchIndex | None = None,
    merge_copies: bool = True,
) -> list[Article]:
    """The articles a view shows, newest first.

    `keep` is an article id that stays in an unread-only list after it was read, so the
    row the user is on does not vanish under the cursor. `index` is the caller's search
    caches, for saved searches (without it each call builds them again). Copies of one
    story in several feeds show once (`merged`), except in a feed's own view, which
    shows its own copy; `merge_copies=False` keeps them all (a search merges its results).
    """
    want_unread = unread_only or view.kind == "unread"
    articles = store.articles(
        feed_ids_for(store, view),
        unread_only=want_unread and keep is None,
        starred_only=view.kind == "starred",
        since=start_of_today() if view.kind == "today" else None,
    )
    if view.kind == "saved":
        # The query language and search are imported for saved searches only: the
        # reader's first screen (All) needs neither.
        from .query import QueryError, parse_query
        from .search import SearchIndex

        try:
            index = index or SearchIndex(store)
            articles = index.search(parse_query(view.key, clock.now()), articles)
        except QueryError:
            articles = []
    if want_unread and keep is not None:
        articles = [a for a in articles if a.id == keep or not store.is_read(a.id)]
    if merge_copies and view.kind != "feed":
        articles = merged(store, articles)
    return articles


def merged(store: Store, articles: list[Article]) -> list[Article]:
    """`articles` with the copies of one story in several feeds once (when the reader
    tracks them, config `merge_duplicates`): the first-seen copy among those present."""
    dups = store.duplicates
    return articles if dups is None else dups.merge(articles)


def also_in(store: Store, article: Article) -> tuple[str, ...]:
    """The other feeds that carry `article`'s story (titles, unsanitised), in order."""
    dups = store.duplicates
    if dups is None:
        return ()
    names: dict[str, None] = {}
    for aid in dups.copies(article.id):
        if store.hidden.contains(aid):  # a copy the ignore rules hide is not named
            continue
        copy = store.article(aid)
        feed = store.feed(copy.feed_id) if copy is not None else None
        if feed is not None and feed.id != article.feed_id:
            names[feed.display_title] = None
    return tuple(names)


SORTS: tuple[tuple[str, str], ...] = (
    ("newest", "newest first"),
    ("oldest", "oldest first"),
    ("title", "title"),
    ("feed", "feed, then newest"),
    ("length", "longest first"),
)


def sort_articles(articles: list[Article], how: str, feed_title: dict[str, str]) -> list[Article]:
    """`articles` (newest first, as the store gives them) in the order `how` names."""
    if how == "oldest":
        return articles[::-1]
    if how == "title":
        return sorted(articles, key=lambda a: a.title.casefold())
    if how == "feed":
        # sorted() is stable: within a feed the newest-first order stays.
        return sorted(articles, key=lambda a: feed_title.get(a.feed_id, "").casefold())
    if how == "length":
        return sorted(articles, key=lambda a: a.words, reverse=True)
    return articles


def unread_in(store: Store, view: View, unread_by_feed: dict[str, int]) -> int:
    """The count shown beside a sidebar row (Starred shows its starred count)."""
    # A story in several feeds is one row in these views, so it counts once; a feed's
    # own count counts its own copy.
    dups = store.duplicates
    if view.kind in ("all", "unread"):
        return sum(unread_by_feed.values()) - (dups.unread_surplus() if dups else 0)
    if view.kind == "starred":
        return store.starred_count() - (dups.starred_surplus() if dups else 0)
    if view.kind == "today":
        return len(merged(store, store.articles(unread_only=True, since=start_of_today())))
    ids = feed_ids_for(store, view) or []
    extra = dups.unread_surplus(set(ids)) if dups and view.kind == "category" else 0
    return sum(unread_by_feed.get(i, 0) for i in ids) - extra


def _folder_surplus(
    unread_groups: list[list[str]], category_of_feed: Mapping[str, str]
) -> dict[str, int]:
    """Per folder, the unread copies beyond the first of each story in it."""
    extra: dict[str, int] = {}
    folders_of: dict[str, list[str]] = {}
    for feeds in unread_groups:
        in_folder: dict[str, int] = {}
        for feed_id in feeds:
            folders = folders_of.get(feed_id)
            if folders is None:
                folders = folders_of[feed_id] = folder_path(category_of_feed.get(feed_id, ""))
            for folder in folders:
                in_folder[folder] = in_folder.get(folder, 0) + 1
        for folder, n in in_folder.items():
            if n > 1:
                extra[folder] = extra.get(folder, 0) + n - 1
    return extra


def sidebar_counts(
    store: Store,
    category_of_feed: Mapping[str, str],
    unread_by_feed: Mapping[str, int],
    saved_members: Mapping[str, Collection[str]],
) -> dict[str, int]:
    """Every sidebar row's unread count by node id: the smart views, each feed, each
    folder with its subfolders rolled up (`Tech` counts `Tech/Python`), saved searches."""
    counts: dict[str, int] = {}
    # One pass over the copies of stories for every count that merges them.
    dups = store.duplicates
    unread_groups = dups.unread_groups() if dups else []
    for kind, label in SMART_VIEWS:
        view = View(kind, label=label)
        if kind in ("all", "unread"):
            surplus = sum(len(feeds) - 1 for feeds in unread_groups)
            counts[view.node_id] = sum(unread_by_feed.values()) - surplus
        else:
            counts[view.node_id] = unread_in(store, view, dict(unread_by_feed))
    by_category: dict[str, int] = {}
    for feed_id, category in category_of_feed.items():
        unread = unread_by_feed.get(feed_id, 0)
        by_category[category] = by_category.get(category, 0) + unread
        counts[f"feed:{feed_id}"] = unread
    by_folder: dict[str, int] = {}
    for category, unread in by_category.items():
        for folder in folder_path(category):  # a folder counts its subfolders too
            by_folder[folder] = by_folder.get(folder, 0) + unread
    extra = _folder_surplus(unread_groups, category_of_feed)
    for folder, unread in by_folder.items():
        counts[f"category:{folder}"] = unread - extra.get(folder, 0)
    for query, members in saved_members.items():
        counts[f"saved:{query}"] = sum(1 for i in members if not store.is_read(i))
    return counts
