"""The query language shared by search (`/`), saved searches and `tui-reader list QUERY`.

    words "exact phrase"      every word / phrase must appear (title, author, feed name;
                              the body too when the search includes bodies)
    is:unread is:read is:starred is:unstarred
    feed:NAME  cat:NAME  author:NAME     (substring, case-insensitive; quote spaces:
                                          feed:"Low Orbit"; cat:Tech matches Tech/Python;
                                          author: matches any one of several authors)
    after:2026-11-01  before:2026-11-15  (dates in local time; after is inclusive)
    @7d @2w @12h @3m                     (newer than: hours, days, weeks, months of 30 days;
                                          another unit is an error, "@3dprinting" is text)
    -anything                            negates a word, phrase or filter

Matching ignores case and accents are compared as written. A bad query raises
`QueryError` with a plain-words message; nothing else is raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .models import Article

FILTERS = ("is", "feed", "cat", "author", "after", "before")
_IS_VALUES = ("unread", "read", "starred", "unstarred")
# `@` with a number is an age; what follows the number must be one of the units. A
# handle like @python is text; `"@3dprinting"` in quotes too.
_AGE = re.compile(r"@(\d+)([^\d\s]*)$")
_AGE_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_AGE_HELP = "use @12h, @7d, @2w or @3m (hours, days, weeks, months)"
_MAX_QUERY = 1000
_FILTER_LIKE = re.compile(r"[A-Za-z]+")


class QueryError(ValueError):
    """The query cannot be understood; `str(exc)` says why, for the user."""


@dataclass(frozen=True, slots=True)
class Term:
    """One part of a query. `kind` is "text" or a filter name; `value` is lower-cased."""

    kind: str
    value: str
    negated: bool = False
    moment: datetime | None = None  # for after / before / age


@dataclass(frozen=True, slots=True)
class Query:
    raw: str
    terms: tuple[Term, ...]

    @property
    def is_empty(self) -> bool:
        return not self.terms

    @property
    def text_terms(self) -> tuple[str, ...]:
        """The words and phrases to highlight (not negated ones)."""
        return tuple(t.value for t in self.terms if t.kind == "text" and not t.negated)


def _tokens(text: str) -> list[str]:
    """Split on spaces, keeping "quoted phrases" (also after `name:`) together."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if quoted:
        raise QueryError('a quote (") is not closed')
    if current:
        tokens.append("".join(current))
    return tokens


def _unquote(value: str) -> str:
    return value.replace('"', "").strip()


def _parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{name}: needs a date like 2026-11-01, not {value!r}") from None


def parse_query(text: str, now: datetime) -> Query:
    """Parse `text`; `now` (aware) anchors ages like @7d and local dates."""
    if len(text) > _MAX_QUERY:
        raise QueryError(f"the query is longer than {_MAX_QUERY} characters")
    local_tz = now.astimezone().tzinfo
    terms: list[Term] = []
    for token in _tokens(text):
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        age = _AGE.match(body)
        if age:
            digits, unit = age.group(1), age.group(2)
            if not unit:
                raise QueryError(f"{body} needs a unit; {_AGE_HELP}")
            if unit != "m" and unit not in _AGE_UNITS:
                raise QueryError(f"{body}: unknown unit {unit!r}; {_AGE_HELP}")
            if len(digits) > 5:
                raise QueryError(f"{body} reaches too far back")
            count = int(digits)
            span = timedelta(days=30 * count) if unit == "m" else _AGE_UNITS[unit] * count
            try:
                moment = now - span
            except OverflowError:
                raise QueryError(f"{body} reaches too far back") from None
            terms.append(Term("after", body, negated, moment))
            continue
        name, colon, value = body.partition(":")
        if colon and name.lower() in FILTERS and not name.startswith('"'):
            name = name.lower()
            value = _unquote(value)
            if not value:
                raise QueryError(f"{name}: needs a value, e.g. {name}:{_example(name)}")
            if name == "is":
                if value.lower() not in _IS_VALUES:
                    raise QueryError(f"is:{value} is not known; use is:" + ", is:".join(_IS_VALUES))
                terms.append(Term("is", value.lower(), negated))
            elif name in ("after", "before"):
                day = _parse_day(value, name)
                moment = datetime.combine(day, time(0), tzinfo=local_tz)
                terms.append(Term(name, value, negated, moment))
            else:
                terms.append(Term(name, value.lower(), negated))
            continue
        # `name:` that is not a filter is a mistake, but a URL-like word is just text.
        if colon and _FILTER_LIKE.fullmatch(name) and not value.startswith("//"):
            raise QueryError(
                f"{name}: is not a filter; filters are " + ", ".join(f"{f}:" for f in FILTERS)
            )
        value = _unquote(body).lower()
        if value:
            terms.append(Term("text", value, negated))
    return Query(text, tuple(terms))


def _example(name: str) -> str:
    return {"is": "unread", "after": "2026-11-01", "before": "2026-11-15"}.get(name, "name")


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What matching needs to know beyond the article itself."""

    is_read: Callable[[str], bool]
    is_starred: Callable[[str], bool]
    feed_title: Callable[[str], str]
    category: Callable[[str], str]
    body_text: Callable[[str], str] | None = None  # lower-cased plain text; None: no bodies


def matches(query: Query, article: Article, ctx: MatchContext) -> bool:
    return all(_term_matches(term, article, ctx) != term.negated for term in query.terms)


def _term_matches(term: Term, article: Article, ctx: MatchContext) -> bool:
    kind = term.kind
    if kind == "text":
        value = term.value
        if (
            value in article.title.lower()
            or value in article.author.lower()
            or value in ctx.feed_title(article.feed_id).lower()
        ):
            return True
        return ctx.body_text is not None and value in ctx.body_text(article.id)
    if kind == "is":
        if term.value in ("read", "unread"):
            return ctx.is_read(article.id) == (term.value == "read")
        return ctx.is_starred(article.id) == (term.value == "starred")
    if kind == "feed":
        return term.value in ctx.feed_title(article.feed_id).lower()
    if kind == "cat":
        category = ctx.category(article.feed_id).lower()
        return (
            category == term.value
            or category.startswith(term.value + "/")
            or (term.value in category)
        )
    if kind == "author":
        # Any one of the names: "a and b" (the display form of two) matches nobody.
        authors = article.authors
        if len(authors) < 2:
            return term.value in (authors[0] if authors else article.author).lower()
        return any(term.value in name.lower() for name in authors)
    if kind == "after":
        assert term.moment is not None
        return article.published >= term.moment
    if kind == "before":
        assert term.moment is not None
        return article.published < term.moment
    return False


def filter_articles(query: Query, articles: Iterable[Article], ctx: MatchContext) -> list[Article]:
    if query.is_empty:
        return list(articles)
    return [a for a in articles if matches(query, a, ctx)]
