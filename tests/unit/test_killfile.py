"""The killfile: [[ignore]] rules read from the config, their problems in plain words, and
what they match (hide: the store leaves the articles out; drop: a refresh never keeps them)."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW, make_articles
from tui_reader.config import KnownBinding, apply_to_store, check_config, config_from_dict
from tui_reader.killfile import IgnoreRule, Killfile, read_ignore
from tui_reader.models import Article, Feed, NewArticle
from tui_reader.store import Store, article_id


def rules(toml: str) -> tuple[tuple[IgnoreRule, ...], list[str]]:
    return read_ignore(tomllib.loads(toml)["ignore"], "config.toml")


# --------------------------------------------------------------------------- reading


def test_rules_are_read_with_hide_as_the_default_mode() -> None:
    found, problems = rules(
        """
[[ignore]]
query = 'feed:"Hacker News" "Show HN"'
[[ignore]]
name = "Bots"
query = "author:bot"
mode = "drop"
"""
    )
    assert problems == []
    assert [(r.mode, r.label) for r in found] == [
        ("hide", 'feed:"Hacker News" "Show HN"'),
        ("drop", "Bots"),
    ]
    assert [t.kind for t in found[0].query.terms] == ["feed", "text"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('mode = "hide"', 'needs query = "..."'),
        ("query = 3", 'needs query = "..."'),
        ('query = "x"\nmode = "display"', 'mode \'display\' is not known; use "hide" or "drop"'),
        ('query = "feed:"', "feed: needs a value"),
        ('query = "\\"open"', 'a quote (") is not closed'),
        ('query = "nosuch:thing"', "nosuch: is not a filter"),
        ('query = "   "', "the query is empty, so it would match every article"),
        ('query = "-is:starred"', "only is: filters"),
        ('query = "rust -rust"', 'asks for "rust" and its opposite'),
        ('query = "news is:read is:unread"', "asks for is:unread and its opposite"),
        ('query = "news is:starred -is:starred"', "asks for is:starred and its opposite"),
        ('query = "x after:2026-11-10 before:2026-11-01"', "matches nothing"),
        ('query = "x is:starred"\nmode = "drop"', "never drops starred articles"),
        ('query = "x is:read"\nmode = "drop"', "arrive unread"),
        ('query = "x"\nname = 5', "name should be text"),
    ],
)
def test_a_rule_that_cannot_work_is_explained_and_left_out(entry: str, expected: str) -> None:
    found, problems = rules(f"[[ignore]]\n{entry}\n")
    assert found == ()
    assert len(problems) == 1
    assert problems[0].startswith("config.toml: [[ignore]] rule 1")
    assert expected in problems[0]
    assert problems[0].endswith("gnored.")


def test_problems_name_the_rule_and_the_good_rules_still_count() -> None:
    found, problems = rules(
        """
[[ignore]]
query = "sponsored"
[[ignore]]
name = "typo"
query = "auther:bot"
[[ignore]]
query = "crypto"
colour = "red"
"""
    )
    assert [r.query.raw for r in found] == ["sponsored", "crypto"]
    assert problems[0].startswith(
        "config.toml: [[ignore]] rule 2 ('typo'): auther: is not a filter"
    )
    assert "rule 3 ('crypto'): unknown key 'colour'" in problems[1]
    assert "the rule is used" in problems[1]


def test_ignore_must_be_an_array_of_tables() -> None:
    config = config_from_dict({"ignore": {"query": "x"}}, source="c.toml")
    assert config.ignore == ()
    assert "[[ignore]]" in config.warnings[0]
    config = config_from_dict({"ignore": ["x"]}, source="c.toml")
    assert "should be a table" in config.warnings[0]


def test_check_config_reports_bad_rules_as_the_reader_and_config_check_do() -> None:
    config = config_from_dict(
        tomllib.loads('[[ignore]]\nquery = "x"\nmode = "shred"\n'), source="c.toml"
    )
    problems = check_config(config, bindings={"a": KnownBinding("a")}, themes=None)
    assert problems == (
        "c.toml: [[ignore]] rule 1 ('x'): mode 'shred' is not known; use \"hide\" or "
        '"drop". Ignored.',
    )


# --------------------------------------------------------------------------- matching

FEED = Feed(id="f1", url="https://news.example.com/rss", title="Hacker News", category="Tech/News")
OTHER = Feed(id="f2", url="https://blog.example.com/rss", title="A Blog", category="Personal")


def article(aid: str, title: str, author: str = "", *, feed: Feed = FEED, **kw: object) -> Article:
    authors = tuple(kw.pop("authors", (author,) if author else ()))  # type: ignore[arg-type]
    return Article(
        id=aid,
        feed_id=feed.id,
        title=title,
        link="",
        author=author,
        published=NOW - timedelta(days=int(kw.pop("age", 0))),  # type: ignore[call-overload]
        authors=authors,
    )


def killfile(*queries: str, mode: str = "hide") -> Killfile:
    body = "".join(f"[[ignore]]\nquery = '{q}'\nmode = '{mode}'\n" for q in queries)
    found, problems = rules(body)
    assert problems == []
    return Killfile(found)


def hidden(
    kf: Killfile,
    feed: Feed,
    arts: list[Article],
    read: frozenset[str] = frozenset(),
    starred: frozenset[str] = frozenset(),
) -> set[str]:
    return set(kf.hidden_in(feed, arts, read, starred))


def test_feed_and_words_match_only_that_feeds_titles() -> None:
    kf = killfile('feed:"hacker news" "Show HN"')
    arts = [article("a", "Show HN: my app"), article("b", "Ask HN: why"), article("c", "show hn x")]
    assert hidden(kf, FEED, arts) == {"a", "c"}  # case-insensitive, as search
    assert hidden(kf, OTHER, [article("d", "Show HN: x", feed=OTHER)]) == set()


def test_author_matches_any_one_of_several_names() -> None:
    kf = killfile("author:bot")
    arts = [
        article("a", "t", "newsbot"),
        article("b", "t", "Ada and Robot", authors=("Ada", "Robot")),
        article("c", "t", "Ada and Bo t", authors=("Ada", "Bo t")),
        article("d", "bot in the title only", "Ada"),
    ]
    assert hidden(kf, FEED, arts) == {"a", "b"}


def test_cat_covers_subfolders_and_negated_is_starred_spares_starred() -> None:
    kf = killfile("cat:tech -is:starred")
    arts = [article("a", "one"), article("b", "two")]
    assert hidden(kf, FEED, arts, starred={"b"}) == {"a"}
    assert hidden(kf, OTHER, [article("c", "x", feed=OTHER)]) == set()
    assert kf.uses_flags


def test_a_word_in_the_feed_name_counts_and_a_negated_one_rules_the_feed_out() -> None:
    arts = [article("a", "anything"), article("b", "else")]
    assert hidden(killfile("hacker"), FEED, arts) == {"a", "b"}
    assert hidden(killfile("anything -hacker"), FEED, arts) == set()
    assert hidden(killfile("anything -blog"), FEED, arts) == {"a"}


def test_dates_and_read_flags() -> None:
    kf = killfile("cat:tech before:2026-11-20", "cat:tech is:read")
    arts = [article("old", "x", age=20), article("new", "y"), article("seen", "z")]
    assert hidden(kf, FEED, arts, read={"seen"}) == {"old", "seen"}


def test_a_drop_rule_hides_stored_matches_but_never_starred_ones() -> None:
    kf = killfile("sponsored", mode="drop")
    arts = [article("a", "Sponsored post"), article("b", "Sponsored too"), article("c", "x")]
    assert hidden(kf, FEED, arts, starred={"b"}) == {"a"}


def incoming(*titles: str, author: str = "") -> list[NewArticle]:
    return [
        NewArticle(key=f"k{n}", title=t, link="", author=author, published=NOW)
        for n, t in enumerate(titles)
    ]


def test_keep_incoming_drops_matches_except_stored_starred_ones() -> None:
    kf = killfile("sponsored", mode="drop")
    items = incoming("Sponsored: buy", "Real news", "sponsored again")
    kept, dropped = kf.keep_incoming(FEED, items, stored_read=set(), stored_starred=set())
    assert [i.title for i in kept] == ["Real news"] and dropped == 2
    starred = {article_id(FEED.id, "k2")}
    kept, dropped = kf.keep_incoming(FEED, items, stored_read=set(), stored_starred=starred)
    assert [i.title for i in kept] == ["Real news", "sponsored again"] and dropped == 1


def test_keep_incoming_uses_the_fetched_title_of_a_feed_without_one() -> None:
    kf = killfile('feed:"hacker news"', mode="drop")
    untitled = Feed(id="f9", url="https://n.example.com/rss", title="", category="Tech")
    assert kf.may_drop(untitled)  # its name is not known before the fetch
    assert kf.may_drop(FEED) and not kf.may_drop(OTHER)
    items = incoming("a", "b")
    kept, _ = kf.keep_incoming(untitled, items, stored_read=set(), stored_starred=set())
    assert len(kept) == 2
    kept, _ = kf.keep_incoming(
        untitled, items, stored_read=set(), stored_starred=set(), title="Hacker News"
    )
    assert kept == []


def test_hide_rules_never_drop() -> None:
    kf = killfile("sponsored")
    assert not kf.may_drop(FEED)
    kept, dropped = kf.keep_incoming(
        FEED, incoming("Sponsored"), stored_read=set(), stored_starred=set()
    )
    assert len(kept) == 1 and dropped == 0


# --------------------------------------------------------------------------- the store


def apply(store: Store, toml: str) -> None:
    config = config_from_dict(tomllib.loads(toml))
    assert config.warnings == ()
    apply_to_store(config, store)


def test_hidden_articles_leave_every_view_and_count(store: Store) -> None:
    everything = store.articles()
    alpha = next(f for f in store.feeds() if f.title == "Alpha")
    before = store.unread_counts_by_feed()
    store.set_starred([everything[0].id])
    apply(store, "[[ignore]]\nquery = 'feed:alpha'\n")
    shown = store.articles()
    assert {a.feed_id for a in shown} == {f.id for f in store.feeds()} - {alpha.id}
    assert len(store.articles(include_hidden=True)) == len(everything)
    counts = store.unread_counts_by_feed()
    assert counts[alpha.id] == 0 and before[alpha.id] == 6
    assert sum(counts.values()) == store.unread_count() == len(shown)
    assert store.unread_count([alpha.id]) == 0
    assert store.articles([alpha.id]) == []
    starred_alpha = everything[0].feed_id == alpha.id
    assert store.starred_count() == (0 if starred_alpha else 1)
    assert store.articles(starred_only=True, include_hidden=True) == [everything[0]]
    assert all(store.hidden.contains(a.id) for a in everything if a.feed_id == alpha.id)
    # No rules: everything is back at once.
    store.hidden.set_rules(None)
    assert len(store.articles()) == len(everything)
    assert store.unread_counts_by_feed() == before


def test_hiding_follows_renames_stars_and_new_articles(store: Store) -> None:
    apply(store, "[[ignore]]\nquery = 'cat:science -is:starred'\n")
    gamma = next(f for f in store.feeds() if f.title == "Gamma")
    assert store.articles([gamma.id]) == []
    hidden_one = store.articles([gamma.id], include_hidden=True)[0]
    store.set_starred([hidden_one.id])  # starring it (`tui-reader mark`) shows it again
    assert store.articles([gamma.id]) == [hidden_one]
    store.update_feed(gamma.id, category="Physics")  # moved out of the rule's reach
    assert len(store.articles([gamma.id])) == 4
    beta = next(f for f in store.feeds() if f.title == "Beta")
    store.update_feed(beta.id, category="Science/Space")  # into it, subfolder included
    assert store.articles([beta.id]) == []
    store.merge_articles(beta.id, make_articles("late", 2), NOW)
    assert store.articles([beta.id]) == []
    assert store.unread_counts_by_feed()[beta.id] == 0


def test_read_state_changes_counts_of_hidden_articles_not_at_all(store: Store) -> None:
    apply(store, "[[ignore]]\nquery = 'feed:beta'\n")
    total = store.unread_count()
    beta = next(f for f in store.feeds() if f.title == "Beta")
    ids = [a.id for a in store.articles([beta.id], include_hidden=True)]
    store.set_read(ids)
    assert store.unread_count() == total
    store.set_read(ids, False)
    assert store.unread_count() == total


def test_a_lazily_opened_library_hides_too(library_path: Path) -> None:
    with Store.open(library_path, lazy=True) as store:
        apply(store, "[[ignore]]\nquery = 'feed:gamma'\n")
        gamma = next(f for f in store.feeds() if f.title == "Gamma")
        assert store.articles([gamma.id]) == []
        assert len(store.articles()) == 11


def test_the_readmes_rules_are_valid() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme[readme.index("## Killfile") :]
    block = section[section.index("```toml") + len("```toml") : section.index("```\n\n")]
    config = config_from_dict(tomllib.loads(block))
    assert config.warnings == ()
    assert [(r.label, r.mode) for r in config.ignore] == [
        ("Show HN", "hide"),
        ("author:bot", "drop"),
        ("cat:news sponsored -is:starred", "hide"),
    ]
