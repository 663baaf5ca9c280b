"""The killfile: `[[ignore]]` rules in the config, each a query in the search language.

    [[ignore]]
    name = "Show HN"                          # optional: names the rule in messages
    query = 'feed:"Hacker News" "Show HN"'
    mode = "hide"                             # or "drop"; "hide" when left out

* `hide`: matching articles stay in the library but no view, search, count or `list`
  shows them (`list --all` does). The store keeps the hidden ids (`store/hidden.py`).
* `drop`: matching articles from a refresh or a sync are never stored, their bodies
  never written; ones already stored are hidden. Starred articles are never dropped
  (nor hidden by a drop rule).

Words match an article's title, authors and feed name, never its body: bodies are not
in memory, and a rule must mean the same in both modes. Ages (`@7d`) count from when the
rules were read. Each query is parsed once, when the config is read (and again when the
open reader sees the file change: `screens/main/ignore_rules.py`); a rule that cannot
work is reported in plain words (`config --check`, the reader's warnings) and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from . import clock
from .models import EPOCH, Article, Feed, NewArticle
from .query import MatchContext, Query, QueryError, Term, matches, parse_query

if TYPE_CHECKING:
    from .store import Store

Mode = Literal["hide", "drop"]
MODES: tuple[Mode, ...] = ("hide", "drop")
_KEYS = ("query", "mode", "name")
_FEED_TERMS = ("feed", "cat")


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """One `[[ignore]]` entry, its query parsed."""

    query: Query
    mode: Mode = "hide"
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.query.raw


def read_ignore(value: object, source: str) -> tuple[tuple[IgnoreRule, ...], list[str]]:
    """The rules of the config's `ignore` key (an array of tables), and what is wrong
    with them in plain words; a rule with a problem is left out."""
    if not isinstance(value, list):
        return (), [
            f'{source}: ignore rules are written [[ignore]] with query = "..." under it; ignored.'
        ]
    now = clock.now()
    rules: list[IgnoreRule] = []
    problems: list[str] = []
    for number, entry in enumerate(value, start=1):
        rule, problem = _read_rule(entry, now)
        if problem:
            problems.append(f"{source}: [[ignore]] rule {number}{_naming(entry)}: {problem}")
        if rule is not None:
            rules.append(rule)
    return tuple(rules), problems


def _naming(entry: object) -> str:
    if isinstance(entry, dict):
        for key in ("name", "query"):
            text = entry.get(key)
            if isinstance(text, str) and text.strip():
                return f" ({text.strip()[:60]!r})"
    return ""


def _read_rule(entry: object, now: object) -> tuple[IgnoreRule | None, str]:
    """A rule and "" when it is fine; None and the reason when it is not. An unknown key
    is reported but the rule is kept."""
    if not isinstance(entry, dict):
        return None, 'should be a table with query = "..."; ignored.'
    text = entry.get("query")
    if not isinstance(text, str):
        return None, 'needs query = "..." (words and filters as in search); ignored.'
    mode = entry.get("mode", "hide")
    if mode not in MODES:
        return None, f'mode {mode!r} is not known; use "hide" or "drop". Ignored.'
    name = entry.get("name", "")
    if not isinstance(name, str):
        return None, "name should be text; ignored."
    try:
        query = parse_query(text, now)  # type: ignore[arg-type]
    except QueryError as exc:
        return None, f"{exc}; ignored."
    why = _cannot_work(query, mode)
    if why:
        return None, f"{why}; ignored."
    rule = IgnoreRule(query, mode, name.strip())
    unknown = [key for key in entry if key not in _KEYS]
    if unknown:
        return rule, f"unknown key {unknown[0]!r} (keys: query, mode, name); the rule is used."
    return rule, ""


def _cannot_work(query: Query, mode: str) -> str:
    """Why a query would match everything or nothing, or "" when it can work."""
    if query.is_empty:
        return "the query is empty, so it would match every article"
    if all(term.kind == "is" for term in query.terms):
        return (
            "the query has only is: filters, so it would match every such article in every "
            "feed; add a word or a feed:, cat: or author: filter"
        )
    wants: dict[tuple[str, str], bool] = {}
    for term in query.terms:
        kind, value, negated = _positive(term)
        key = (kind, value)
        if key in wants and wants[key] != (not negated):
            named = f'"{term.value}"' if term.kind == "text" else f"{term.kind}:{term.value}"
            return f"it asks for {named} and its opposite, so it matches nothing"
        wants[key] = not negated
    after = [t.moment for t in query.terms if t.kind == "after" and not t.negated and t.moment]
    before = [t.moment for t in query.terms if t.kind == "before" and not t.negated and t.moment]
    if after and before and max(after) >= min(before):
        return "its after: is not before its before:, so it matches nothing"
    if mode == "drop":
        if wants.get(("is", "starred")):
            return "a drop rule never drops starred articles, so is:starred matches nothing"
        if wants.get(("is", "read")):
            return "articles arrive unread, so a drop rule with is:read drops nothing"
    return ""


_OPPOSITE = {"unread": "read", "unstarred": "starred"}


def _positive(term: Term) -> tuple[str, str, bool]:
    """A term as (kind, value, negated) with is:unread / is:unstarred written as the
    negation of is:read / is:starred, so that opposites compare equal."""
    if term.kind == "is" and term.value in _OPPOSITE:
        return "is", _OPPOSITE[term.value], not term.negated
    if term.kind == "text":
        return "text", term.value, term.negated
    return term.kind, term.value, term.negated


# ---------------------------------------------------------------------- matching


class Killfile:
    """The rules in force (`store.hidden.set_rules(killfile)`); what the store calls
    `HideRules`, plus what a refresh drops."""

    def __init__(self, rules: Iterable[IgnoreRule]) -> None:
        self.rules = tuple(rules)
        self.drop_rules = tuple(r for r in self.rules if r.mode == "drop")
        # Drop rules spare starred articles, so they look at flags too.
        self.uses_flags = bool(self.drop_rules) or any(
            term.kind == "is" for rule in self.rules for term in rule.query.terms
        )

    def hidden_in(
        self,
        feed: Feed,
        articles: Iterable[Article],
        read: Collection[str],
        starred: Collection[str],
    ) -> list[str]:
        """The ids of `articles` (all of `feed`) that a rule hides: a hide rule's
        matches, and a drop rule's unstarred ones."""
        title = feed.display_title
        plans = _plans(self.rules, feed, title, read.__contains__, starred.__contains__)
        if not plans:
            return []
        listed = list(articles)
        hit = _hits(plans, listed)
        return [a.id for a, h in zip(listed, hit, strict=True) if h]

    def may_drop(self, feed: Feed) -> bool:
        """Whether a drop rule could match an article of `feed`. False lets a refresh use
        its fast path (the parser process writes the bodies file itself)."""
        if not self.drop_rules:
            return False
        if not feed.title:
            return True  # its name comes with this fetch: feed: cannot be decided now
        no = _no_flags
        return bool(_plans(self.drop_rules, feed, feed.title, no, no))

    def keep_incoming(
        self,
        feed: Feed,
        items: Sequence[NewArticle],
        *,
        stored_read: Collection[str],
        stored_starred: Collection[str],
        title: str = "",
    ) -> tuple[list[NewArticle], int]:
        """The `items` of a refresh or sync that no drop rule drops, and how many were
        dropped. `stored_*`: ids of the feed's stored articles that are read / starred
        (a starred one is never dropped). `title`: the feed's name from this fetch, for
        a feed that has none yet."""
        if not self.drop_rules or not items:
            return list(items), 0
        # Imported here: a parser process imports killfile for nothing else.
        from .store.records import article_id

        name = feed.title or title or feed.display_title
        plans = _plans(
            self.drop_rules, feed, name, stored_read.__contains__, stored_starred.__contains__
        )
        if not plans:
            return list(items), 0
        # Starred ones are spared by `_hits` (the plans of drop rules spare them).
        hit = _hits(plans, [_as_article(article_id(feed.id, i.key), feed.id, i) for i in items])
        kept = [item for item, h in zip(items, hit, strict=True) if not h]
        return kept, len(items) - len(kept)


def _no_flags(article_id: str) -> bool:
    return False


_Plan = tuple[Query, bool, MatchContext]


def _plans(
    rules: Iterable[IgnoreRule],
    feed: Feed,
    title: str,
    is_read: Callable[[str], bool],
    is_starred: Callable[[str], bool],
) -> list[_Plan]:
    """For each rule that can match in this feed: its query without the terms the feed
    alone decides, whether it spares starred articles, and the context to match with.
    Rules the feed alone rules out (feed:, cat:, a negated word in its name) are left out,
    so most rules cost nothing in most feeds."""
    category = feed.category
    ctx = MatchContext(
        is_read=is_read,
        is_starred=is_starred,
        feed_title=lambda _feed_id: title,
        category=lambda _feed_id: category,
    )
    probe = Article(id="", feed_id=feed.id, title="", link="", author="", published=EPOCH)
    lowered = title.lower()
    plans: list[_Plan] = []
    for rule in rules:
        rest: list[Term] = []
        possible = True
        for term in rule.query.terms:
            if term.kind in _FEED_TERMS:
                # The same test as search's, on an article that has only this feed.
                if not matches(Query("", (term,)), probe, ctx):
                    possible = False
                    break
            elif term.kind == "text" and term.value in lowered:
                # In the feed's name: every article of the feed has the word.
                if term.negated:
                    possible = False
                    break
            else:
                rest.append(term)
        if possible:
            plans.append((Query(rule.query.raw, tuple(rest)), rule.mode == "drop", ctx))
    return plans


def _hits(plans: list[_Plan], articles: list[Article]) -> list[bool]:
    """Which of one feed's `articles` some plan matches. Term by term over the whole
    list, as search does (one comprehension per term, not a call per article and term):
    100,000 articles under a few rules take tens of milliseconds, not most of a second.
    Each kind of term is tested as `query.matches` tests it."""
    count = len(articles)
    hit = [False] * count
    texts: list[str] | None = None
    names: list[str] | None = None
    for query, spare_starred, ctx in plans:
        ok = [not h for h in hit]  # an article already hidden needs no more tests
        for term in query.terms:
            kind, value, negated = term.kind, term.value, term.negated
            if kind == "text":
                # Title and author (the feed's name was decided by `_plans`).
                if texts is None:
                    texts = [f"{a.title}\x00{a.author}".lower() for a in articles]
                ok = [o and ((value in t) != negated) for o, t in zip(ok, texts, strict=True)]
            elif kind == "author":
                if names is None:
                    # The names `author:` looks in (query.py: any one of several; "a and
                    # b", the display form of two, matches nobody), one per line.
                    names = [
                        (
                            "\x00".join(a.authors)
                            if len(a.authors) > 1
                            else (a.authors[0] if a.authors else a.author)
                        ).lower()
                        for a in articles
                    ]
                ok = [o and ((value in n) != negated) for o, n in zip(ok, names, strict=True)]
            elif kind == "is":
                flag = ctx.is_read if value in ("read", "unread") else ctx.is_starred
                want = (value in ("read", "starred")) != negated
                ok = [o and (flag(a.id) == want) for o, a in zip(ok, articles, strict=True)]
            else:
                single = Query("", (term,))
                ok = [o and matches(single, a, ctx) for o, a in zip(ok, articles, strict=True)]
        if spare_starred:
            starred = ctx.is_starred
            ok = [o and not starred(a.id) for o, a in zip(ok, articles, strict=True)]
        hit = [h or o for h, o in zip(hit, ok, strict=True)]
    return hit


def _as_article(aid: str, feed_id: str, item: NewArticle) -> Article:
    authors = item.authors or ((item.author,) if item.author else ())
    return Article(
        id=aid,
        feed_id=feed_id,
        title=item.title,
        link=item.link,
        author=item.author,
        published=item.published,
        authors=authors,
    )


def drop_ignored(
    store: Store, feed: Feed, items: Sequence[NewArticle], title: str = ""
) -> Sequence[NewArticle]:
    """`items` of a refresh or sync without the ones a drop rule drops (the store's
    killfile); articles already stored and starred are kept. `title` as for
    `Killfile.keep_incoming`."""
    rules = of(store)
    if rules is None or not rules.drop_rules or not items:
        return items
    stored = [a.id for a in store.iter_feed_articles(feed.id)]  # loads only this feed
    read = {i for i in stored if store.is_read(i)}
    starred = {i for i in stored if store.is_starred(i)}
    kept, _dropped = rules.keep_incoming(
        feed, items, stored_read=read, stored_starred=starred, title=title
    )
    return kept


def of(store: Store) -> Killfile | None:
    """The killfile the store follows, if any (`config.apply_to_store` gives it)."""
    rules = store.hidden.rules
    return rules if isinstance(rules, Killfile) else None
