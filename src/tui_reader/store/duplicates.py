"""Copies of one story in several feeds: `Duplicates`, kept up to date with the index.

Built only when the reader asks for it (`Store.track_duplicates`, config
`merge_duplicates`): off, nothing here runs. On, `Index` calls `add` / `remove` /
`replace` as articles are loaded, merged, pruned by retention or unsubscribed, under
its state lock, so that nothing is rescanned when a view is painted.

What is kept per article is small: each story key (`dedupe.story_keys`: the canonical
link, a trustworthy guid) is held as its hash in `holders` (hash -> the article id, or
the list of ids when several articles carry it). A 64-bit hash instead of the key string
saves ~10 MB at 100k articles; two different keys with the same hash (odds about 1 in
10^9 at 100k articles) would make two stories one group until the next start.

A key is *shared* when articles of at least two feeds hold it and no feed holds it twice
(a link that one feed gives to several of its own articles, such as its home page, does
not name a story). Groups are the connected articles through shared keys; they are
computed from the shared keys alone (a few thousand articles at most, not the library)
the first time they are asked for after a change, and cached until the next one.

The representative of a group is its first-seen copy (the earliest `fetched`, then the
id): a row already on screen keeps its identity when a later copy arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from threading import RLock

from ..dedupe import story_keys
from ..models import Article

Group = tuple[str, ...]  # article ids, the representative first
FILL_CHUNK = 5_000  # articles added per hold of the index's lock while filling


class Duplicates:
    """The story keys of every loaded article, and the groups of copies among them.

    Mutators expect the caller to hold the index's lock; readers take it."""

    def __init__(
        self,
        lock: RLock,
        articles: Mapping[str, Article],
        read: set[str],
        starred: set[str],
        hidden: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        # The index's own lock, articles and flag sets (never copied: they change), and
        # what the ignore rules hide now (called with the lock held): counts leave those
        # out, as the store's own counts do.
        self.lock = lock
        self.articles = articles
        self.read = read
        self.starred = starred
        self.hidden = hidden
        self.holders: dict[int, str | list[str]] = {}
        self.shared: set[int] = set()
        self.version = 0
        self._groups: dict[str, Group] | None = None
        self._distinct: list[Group] | None = None
        # New articles (from a merge, not a load) that joined a key held elsewhere.
        self._arrived: list[str] = []
        # False until `fill` has indexed every article: views use no groups before.
        self.ready = False

    def fill(self, keys: Mapping[str, str]) -> None:
        """Index every loaded article once (`keys`: article id -> feed-local key); `Index`
        keeps it up to date after, and already does while this runs.

        The reader calls it in a thread after its first paint: the story keys (a URL
        parse each, most of the cost: ~0.4 s at 100k articles) are worked out outside
        the index's lock, then added in chunks under it, so the screen never waits long
        for the lock. An article merged, replaced or removed meanwhile was handled by
        the hooks; `add` is idempotent, so one the hooks added is not added twice."""
        with self.lock:
            snapshot = [(article, keys.get(aid, "")) for aid, article in self.articles.items()]
        hashed = [
            (article, [hash(story) for story in story_keys(article.link, key)])
            for article, key in snapshot
        ]
        for start in range(0, len(hashed), FILL_CHUNK):
            with self.lock:
                articles = self.articles
                for article, hashes in hashed[start : start + FILL_CHUNK]:
                    if articles.get(article.id) is article:  # still the stored one
                        self._add_hashes(article, hashes, arrived=False)
        with self.lock:
            self.ready = True
            self._changed()

    # ------------------------------------------------------------------ upkeep

    def add(self, article: Article, key: str, *, arrived: bool = False) -> None:
        """Index `article` (whose feed-local key is `key`) under its story keys."""
        self._add_hashes(article, [hash(s) for s in story_keys(article.link, key)], arrived=arrived)

    def _add_hashes(self, article: Article, hashes: list[int], *, arrived: bool) -> None:
        holders = self.holders
        for h in hashes:
            held = holders.get(h)
            if held is None:
                holders[h] = article.id
                continue
            if isinstance(held, str):
                if held == article.id:
                    continue
                held = holders[h] = [held]
            elif article.id in held:
                continue
            held.append(article.id)
            self._check(h, held, grown=True)
            if arrived:
                self._arrived.append(article.id)

    def remove(self, article: Article, key: str) -> None:
        """Forget `article` (pruned, unsubscribed, or about to be replaced)."""
        holders = self.holders
        for story in story_keys(article.link, key):
            h = hash(story)
            held = holders.get(h)
            if held is None:
                continue
            if isinstance(held, str):
                if held == article.id:
                    del holders[h]
                continue
            if article.id not in held:
                continue
            held.remove(article.id)
            if len(held) == 1:
                holders[h] = held[0]
                if h in self.shared:
                    self.shared.discard(h)
                    self._changed()
            else:
                self._check(h, held, grown=False)

    def replace(self, old: Article | None, new: Article, key: str) -> None:
        """A merge put `new` in place of `old` (None: a new article)."""
        if old is not None:
            if old.link == new.link:
                return  # same keys; `fetched` is kept by a merge, so the rank too
            self.remove(old, key)
        self.add(new, key, arrived=old is None)

    def _check(self, h: int, held: list[str], *, grown: bool) -> None:
        """Is the key held by several ids shared (several feeds, none twice)? `grown`:
        an id was just added to `held` (else one was taken out)."""
        articles = self.articles
        feeds = [articles[i].feed_id for i in held if i in articles]
        is_shared = len(feeds) == len(held) and len(set(feeds)) == len(feeds) > 1
        was_shared = h in self.shared
        if is_shared:
            self.shared.add(h)
        else:
            self.shared.discard(h)
        if is_shared and grown:
            self._join(held)  # a copy arrived: groups only grow
        elif is_shared or was_shared:
            self._changed()  # a group may split: built again when next asked for

    def _join(self, held: list[str]) -> None:
        """Make `held` and their groups one group, without building them all again (a
        refresh brings copies one by one). The dict is replaced, never changed in
        place: a reader may be looking things up in the old one."""
        self.version += 1
        self._distinct = None
        if self._groups is None:
            return
        groups = dict(self._groups)
        members = {m for aid in held for m in groups.get(aid, (aid,))}
        articles = self.articles
        group = tuple(sorted(members, key=lambda i: (articles[i].fetched, i)))
        for aid in group:
            groups[aid] = group
        self._groups = groups

    def _changed(self) -> None:
        self.version += 1
        self._groups = None
        self._distinct = None

    def take_arrived(self) -> list[str]:
        """The new articles since the last call that joined a key held elsewhere."""
        with self.lock:
            arrived, self._arrived = self._arrived, []
        return arrived

    def read_elsewhere(self) -> list[str]:
        """The articles arrived since the last call whose every copy is read: the
        story was read in another feed, so these are read too."""
        arrived = self.take_arrived()
        if not arrived:
            return []
        read = self.read
        out = []
        for aid in arrived:
            others = [m for m in self.copies(aid) if m != aid]
            if others and aid not in read and all(m in read for m in others):
                out.append(aid)
        return out

    # ------------------------------------------------------------------ groups

    def groups(self) -> dict[str, Group]:
        """Article id -> its group, for every article that has copies (cached)."""
        with self.lock:
            if self._groups is None:
                self._groups = self._build()
            return self._groups

    def _build(self) -> dict[str, Group]:
        parent: dict[str, str] = {}

        def root(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for h in self.shared:
            held = self.holders[h]
            assert isinstance(held, list)
            first = held[0]
            parent.setdefault(first, first)
            for other in held[1:]:
                parent.setdefault(other, other)
                a, b = root(first), root(other)
                if a != b:
                    parent[b] = a
        members: dict[str, list[str]] = {}
        for aid in parent:
            members.setdefault(root(aid), []).append(aid)
        articles = self.articles
        groups: dict[str, Group] = {}
        for ids in members.values():
            group = tuple(sorted(ids, key=lambda i: (articles[i].fetched, i)))
            for aid in group:
                groups[aid] = group
        return groups

    def copies(self, article_id: str) -> Group:
        """The article's group (itself included, the representative first), or ()."""
        return self.groups().get(article_id, ())

    def with_copies(self, article_ids: Iterable[str]) -> list[str]:
        """`article_ids` and every copy of them, each once, in that order."""
        groups = self.groups()
        out = dict.fromkeys(article_ids)
        for aid in list(out):
            out.update(dict.fromkeys(groups.get(aid, ())))
        return list(out)

    def merge(self, articles: list[Article]) -> list[Article]:
        """`articles` with each group once: of the copies present, the best-ranked one
        (the representative when it is there), at its own place in the order."""
        groups = self.groups()
        if not groups:
            return articles
        present = {a.id for a in articles if a.id in groups}
        drop: set[str] = set()
        for aid in present:
            # Dropped when a copy ranked before it is present; most groups are two.
            for member in groups[aid]:
                if member == aid:
                    break
                if member in present:
                    drop.add(aid)
                    break
        return [a for a in articles if a.id not in drop] if drop else articles

    def unread_surplus(self, feed_ids: Collection[str] | None = None) -> int:
        """How many unread articles (of `feed_ids`, None: all) are extra copies: for
        each group, its unread members but one (hidden ones are not counted)."""
        extra = 0
        for feeds in self.unread_groups():
            n = len(feeds) if feed_ids is None else sum(1 for f in feeds if f in feed_ids)
            if n > 1:
                extra += n - 1
        return extra

    def starred_surplus(self) -> int:
        """How many starred articles are extra copies (a pass over the stars, which
        are few, not over the groups)."""
        groups = self.groups()
        starred_in: dict[str, int] = {}
        with self.lock:
            hidden = self.hidden()
            for aid in self.starred:
                group = groups.get(aid) if aid not in hidden else None
                if group is not None:
                    starred_in[group[0]] = starred_in.get(group[0], 0) + 1
        return sum(n - 1 for n in starred_in.values())

    def unread_groups(self) -> list[list[str]]:
        """The feed ids of the unread members of each group with two or more unread
        (members the ignore rules hide left out)."""
        read, articles = self.read, self.articles
        out = []
        with self.lock:
            hidden = self.hidden()
            for group in self.distinct_groups():
                feeds = [articles[m].feed_id for m in group if m not in read and m not in hidden]
                if len(feeds) > 1:
                    out.append(feeds)
        return out

    def distinct_groups(self) -> list[Group]:
        """Each group once (cached with the groups)."""
        with self.lock:
            if self._distinct is None:
                groups = self.groups()
                self._distinct = list({group[0]: group for group in groups.values()}.values())
            return self._distinct
