"""The query language: every form, negation, and clear errors for bad queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import NOW
from tui_reader.models import Article
from tui_reader.query import MatchContext, QueryError, filter_articles, parse_query


def article(i: int, title: str, author: str = "", feed: str = "f1", days: float = 0) -> Article:
    return Article(
        id=f"a{i}",
        feed_id=feed,
        title=title,
        link=f"https://x.example.com/{i}",
        author=author,
        published=NOW - timedelta(days=days),
    )


ARTICLES = [
    article(1, "Python 3.14 released", "Ada Lovelace", "f1", 0.5),
    article(2, "Rust and Python together", "Grace Hopper", "f2", 3),
    article(3, "Baking bread at home", "Ada Lovelace", "f3", 10),
    article(4, "The exact phrase here", "", "f1", 20),
    article(5, "[bold]markup[/] in a title", "Linus", "f2", 40),
]
FEEDS = {
    "f1": ("Terminal Velocity", "Tech/Python"),
    "f2": ("Low Orbit", "Science"),
    "f3": ("The Patient Skillet", "Cooking"),
}
READ = {"a1", "a3"}
STARRED = {"a2"}
BODIES = {"a3": "sourdough needs patience", "a4": "nothing much"}

CTX = MatchContext(
    is_read=READ.__contains__,
    is_starred=STARRED.__contains__,
    feed_title=lambda f: FEEDS[f][0],
    category=lambda f: FEEDS[f][1],
    body_text=lambda a: BODIES.get(a, ""),
)


def ids(text: str, ctx: MatchContext = CTX) -> list[str]:
    return [a.id for a in filter_articles(parse_query(text, NOW), ARTICLES, ctx)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["a1", "a2", "a3", "a4", "a5"]),
        ("python", ["a1", "a2"]),
        ("PYTHON released", ["a1"]),
        ('"exact phrase"', ["a4"]),
        ('"phrase exact"', []),
        ("-python", ["a3", "a4", "a5"]),
        ("is:unread", ["a2", "a4", "a5"]),
        ("is:read", ["a1", "a3"]),
        ("is:starred", ["a2"]),
        ("-is:starred is:unread", ["a4", "a5"]),
        ("feed:orbit", ["a2", "a5"]),
        ('feed:"low orbit"', ["a2", "a5"]),
        ("cat:tech", ["a1", "a4"]),
        ("cat:Tech/Python", ["a1", "a4"]),
        ("-cat:science", ["a1", "a3", "a4"]),
        ("author:ada", ["a1", "a3"]),
        ("@7d", ["a1", "a2"]),
        ("@1w", ["a1", "a2"]),
        ("@12h", ["a1"]),
        ("-@2w", ["a4", "a5"]),
        ("@1m", ["a1", "a2", "a3", "a4"]),
        ("after:2026-11-26", ["a1", "a2"]),
        ("before:2026-11-19", ["a4", "a5"]),
        ("sourdough", ["a3"]),  # body text
        ("[bold]markup[/]", ["a5"]),
        ("velocity", ["a1", "a4"]),  # feed name counts as text
    ],
)
def test_query_forms(query: str, expected: list[str]) -> None:
    assert ids(query) == expected


def test_bodies_are_searched_only_when_asked() -> None:
    no_bodies = MatchContext(CTX.is_read, CTX.is_starred, CTX.feed_title, CTX.category)
    assert ids("sourdough", no_bodies) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"open', "not closed"),
        ("is:maybe", "is:maybe is not known"),
        ("after:yesterday", "needs a date"),
        ("before:2026-13-01", "needs a date"),
        ("feed:", "needs a value"),
        ("colour:red", "colour: is not a filter"),
        ("x" * 1001, "longer than"),
        ("@99999m", "too far back"),
        ("@123456d", "too far back"),
        ("@7x", "@7x: unknown unit 'x'"),
        ("-@7x", "@7x: unknown unit 'x'"),
        ("@7D", "unknown unit 'D'"),
        ("@2weeks", "unknown unit 'weeks'"),
        ("@7", "@7 needs a unit"),
    ],
)
def test_bad_queries_say_why(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(query, NOW)


def test_at_words_without_a_number_or_in_quotes_are_text() -> None:
    assert [t.kind for t in parse_query('@python "@3dprinting" @', NOW).terms] == ["text"] * 3


def test_highlight_terms() -> None:
    query = parse_query('python -rust "exact phrase" is:unread', NOW)
    assert query.text_terms == ("python", "exact phrase")


@given(st.text(max_size=200))
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    try:
        query = parse_query(text, NOW)
    except QueryError:
        return
    filter_articles(query, ARTICLES, CTX)


def test_cli_list_speaks_the_query_language(
    library_path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    import json

    from tui_reader.__main__ import main

    db = str(library_path)
    assert main(["--db", db, "list", "--json", "feed:alpha", '"article 0"']) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["title"] for r in rows] == ["alpha article 0"]
    # `--` before a negation still works (tests/cli/test_cli_query.py: it is not needed).
    assert main(["--db", db, "list", "--json", "--", "cat:tech", "-feed:alpha"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 5 and {r["feed"] for r in rows} == {"Beta"}
    assert main(["--db", db, "list", "--json", "cat:science"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 4 and {r["category"] for r in rows} == {"Science"}
    assert main(["--db", db, "list", "--json", "two"]) == 0  # in every body: "<li>two</li>"
    assert len(capsys.readouterr().out.splitlines()) == 15
    assert main(["--db", db, "list", "is:maybe"]) == 2
    assert "is:maybe is not known" in capsys.readouterr().err
