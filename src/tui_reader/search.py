"""Running a query over the library: the glue between `query` and the store.

Search has to stay quick at 100,000 articles, so words are matched in two passes:

1. against a cached, lower-cased "haystack" per article (title, authors, feed name),
   which decides most articles without touching a body;
2. only for the articles still undecided, against their bodies, feed by feed: the raw
   bodies file is first checked for the query's words as bytes (`Store.bodies_mention`),
   so a feed that cannot match is skipped without being parsed, and the bodies of a feed
   that can are read once for all of its articles.

The pre-filter compares ASCII words only (a word with other letters always goes to the
real comparison), so it can skip a feed only when the answer is certain.
"""

from __future__ import annotations

import html
import re
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .models import Article
from .query import MatchContext, Query, Term, matches
from .store import Store

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")


def html_to_search_text(body: str) -> str:
    """Lower-cased plain text of an HTML body, for substring search."""
    text = _TAG.sub(" ", body)
    if "&" in text:
        text = html.unescape(text)
    return _SPACE.sub(" ", text).lower()


def _ascii_words(value: str) -> list[str]:
    return _WORD.findall(value) if value.isascii() else []


@dataclass
class SearchIndex:
    """Per-library caches that make repeated searches cheap (one per screen or command).

    `haystacks` holds, per article, its lower-cased title, authors and feed name; the
    body texts of feeds already searched are kept (see `FeedText`) up to `text_budget`
    bytes, so a second body search does not parse HTML again.
    """

    store: Store
    text_budget: int = 80 * 1024 * 1024  # compressed bytes of body text kept in memory
    _haystacks: dict[str, tuple[Article, str]] = field(default_factory=dict)
    _feed_titles: dict[str, str] = field(default_factory=dict)
    _texts: dict[str, FeedText] = field(default_factory=dict)
    _text_bytes: int = 0
    _list_key: tuple[int, ...] = ()
    _list_haystacks: list[str] = field(default_factory=list)

    def _context(self) -> MatchContext:
        feeds = {f.id: f for f in self.store.feeds()}
        titles = {fid: f.display_title for fid, f in feeds.items()}
        if titles != self._feed_titles:
            # A renamed feed changes every haystack of its articles.
            self._feed_titles = titles
            self._haystacks.clear()
            self._list_key = ()
        return MatchContext(
            is_read=self.store.is_read,
            is_starred=self.store.is_starred,
            feed_title=lambda fid: titles.get(fid, ""),
            category=lambda fid: feeds[fid].category if fid in feeds else "",
        )

    def _haystack_list(self, articles: list[Article]) -> list[str]:
        # Keyed by the identity of the article objects: the store replaces an article's
        # object when it changes, so a changed or reordered list misses the cache. Typing
        # a search re-runs it over the same list many times; this makes that cheap.
        key = tuple(map(id, articles))
        if key == self._list_key:
            return self._list_haystacks
        cache = self._haystacks
        titles = self._feed_titles
        result = []
        append = result.append
        for article in articles:
            cached = cache.get(article.id)
            if cached is not None and cached[0] is article:
                append(cached[1])
                continue
            # Several authors: every name (their display form is cut at 300 characters).
            names = "\n".join(article.authors) if len(article.authors) > 1 else article.author
            hay = f"{article.title}\n{names}\n{titles.get(article.feed_id, '')}".lower()
            cache[article.id] = (article, hay)
            append(hay)
        self._list_key, self._list_haystacks = key, result
        return result

    def search(
        self, query: Query, articles: Iterable[Article], *, include_bodies: bool = True
    ) -> list[Article]:
        """The articles of `articles` that match `query`, in their order."""
        ctx = self._context()
        words = [t for t in query.terms if t.kind == "text"]
        filters = Query(query.raw, tuple(t for t in query.terms if t.kind != "text"))
        candidates = list(articles)
        if not filters.is_empty:
            candidates = [a for a in candidates if matches(filters, a, ctx)]
        if not words:
            return candidates
        haystacks = self._haystack_list(candidates)
        if not include_bodies or all(not t.negated for t in words):
            # Fast path, one C-level comparison per article and word: an article whose
            # haystack has every word is a match without looking at its body.
            found = [True] * len(candidates)
            for term in words:
                value = term.value
                found = [
                    f and (value in h) != term.negated
                    for f, h in zip(found, haystacks, strict=True)
                ]
            if not include_bodies:
                return [a for a, f in zip(candidates, found, strict=True) if f]
        else:
            found = [False] * len(candidates)
        verdict: dict[str, bool] = {}
        undecided: dict[str, list[tuple[Article, list[Term]]]] = {}
        for article, hay, hit in zip(candidates, haystacks, found, strict=True):
            if hit:
                verdict[article.id] = True
                continue
            pending: list[Term] = []
            ok = True
            for term in words:
                if term.value in hay:
                    if term.negated:
                        ok = False
                        break
                else:
                    pending.append(term)
            if not ok:
                verdict[article.id] = False
            elif not pending:
                verdict[article.id] = True
            elif not include_bodies:
                # Without bodies a word not in the haystack is simply absent.
                verdict[article.id] = all(t.negated for t in pending)
            else:
                undecided.setdefault(article.feed_id, []).append((article, pending))
        for feed_id, items in undecided.items():
            self._decide_by_body(feed_id, items, verdict)
        return [a for a in candidates if verdict.get(a.id)]

    def _decide_by_body(
        self,
        feed_id: str,
        items: list[tuple[Article, list[Term]]],
        verdict: dict[str, bool],
    ) -> None:
        feed_text = self._texts.get(feed_id)
        if feed_text is None:
            tokens = {w for _, pending in items for t in pending for w in _ascii_words(t.value)}
            present = self.store.bodies_mention(feed_id, tokens) if tokens else None
            still: list[tuple[Article, list[Term]]] = []
            for article, pending in items:
                decided = _decide_from_file(pending, present) if present is not None else None
                if decided is None:
                    still.append((article, pending))
                else:
                    verdict[article.id] = decided
            if not still:
                return
            feed_text = self.feed_text(feed_id)
            items = still
        text = feed_text.text()
        values = {t.value for _, pending in items for t in pending}
        holders = {value: feed_text.holders(text, value) for value in values}
        for article, pending in items:
            index = feed_text.position.get(article.id, -1)
            verdict[article.id] = all((index in holders[t.value]) != t.negated for t in pending)

    def feed_text(self, feed_id: str) -> FeedText:
        """The searchable text of a feed's bodies, built once and kept (compressed)."""
        cached = self._texts.get(feed_id)
        if cached is not None:
            return cached
        bodies = self.store.bodies_of_feed(feed_id)
        feed_text = FeedText.build({aid: html_to_search_text(b) for aid, b in bodies.items()})
        if self._text_bytes + len(feed_text.blob) <= self.text_budget:
            self._texts[feed_id] = feed_text
            self._text_bytes += len(feed_text.blob)
        return feed_text

    def warm_up(self, feed_ids: Iterable[str], cancelled: Callable[[], bool]) -> None:
        """Build every feed's search text ahead of the first body search (a thread)."""
        for feed_id in feed_ids:
            if cancelled() or self._text_bytes >= self.text_budget:
                return
            self.feed_text(feed_id)

    def forget_feed(self, feed_id: str) -> None:
        """Drop the cached text of a feed whose articles changed (after a refresh)."""
        feed_text = self._texts.pop(feed_id, None)
        if feed_text is not None:
            self._text_bytes -= len(feed_text.blob)


@dataclass(frozen=True, slots=True)
class FeedText:
    """One feed's body texts, lower-cased, joined by NUL and zlib-compressed.

    Compressed, 100,000 bodies fit in a few tens of MiB; decompressing a feed and
    scanning it with `str.find` is faster than parsing its HTML again.
    """

    ids: tuple[str, ...]
    starts: tuple[int, ...]
    position: dict[str, int]
    blob: bytes

    @classmethod
    def build(cls, texts: dict[str, str]) -> FeedText:
        ids = tuple(texts)
        starts: list[int] = []
        offset = 0
        for aid in ids:
            starts.append(offset)
            offset += len(texts[aid]) + 1
        joined = "\x00".join(texts[aid] for aid in ids)
        blob = zlib.compress(joined.encode("utf-8", "surrogatepass"), 1)
        return cls(ids, tuple(starts), {aid: i for i, aid in enumerate(ids)}, blob)

    def text(self) -> str:
        return zlib.decompress(self.blob).decode("utf-8", "surrogatepass")

    def holders(self, text: str, value: str) -> set[int]:
        """Indexes of the articles whose text contains `value`."""
        found: set[int] = set()
        if not value:
            return set(range(len(self.ids)))
        starts = self.starts
        position = text.find(value)
        while position != -1:
            index = bisect_right(starts, position) - 1
            found.add(index)
            following = starts[index + 1] if index + 1 < len(starts) else len(text)
            position = text.find(value, following)
        return found


def _decide_from_file(pending: list[Term], present: dict[str, bool]) -> bool | None:
    """The verdict the raw-file check already gives, or None when the body must be read.

    A positive word with an ASCII token absent from the whole file cannot be in this
    body: no match. A negated word with such a token cannot be there either: satisfied.
    """
    unsure = False
    for term in pending:
        words = _ascii_words(term.value)
        absent = bool(words) and not all(present.get(w, True) for w in words)
        if absent and not term.negated:
            return False
        if not absent:
            unsure = True
    return None if unsure else True


def search(
    store: Store, query: Query, articles: Iterable[Article], *, include_bodies: bool = True
) -> list[Article]:
    """One-off search (the command line); the reader keeps a `SearchIndex` instead."""
    return SearchIndex(store).search(query, articles, include_bodies=include_bodies)
