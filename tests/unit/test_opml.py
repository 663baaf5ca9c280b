"""Tests for OPML / newsboat import and OPML export (tui_reader.opml)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import defusedxml.ElementTree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.paths import FEEDCORPUS, HOSTILE
from tui_reader import models
from tui_reader.opml import (
    FOLDER_SLASH,
    MAX_FOLDER_DEPTH,
    ImportFormatError,
    ImportPlan,
    Subscription,
    export_opml,
    parse_newsboat_urls,
    parse_opml,
    read_subscriptions,
)
from tui_reader.text import clean_line

# --------------------------------------------------------------------------- helpers

# Audit hooks cannot be removed, so one hook is installed for the session and only records
# while a test has switched it on.
_AUDIT: dict[str, Any] = {"on": False, "events": []}
_WATCHED = {"open", "socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.system"}


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    if _AUDIT["on"] and event in _WATCHED:
        _AUDIT["events"].append((event, repr(args)[:200]))


sys.addaudithook(_audit_hook)


@contextmanager
def no_io() -> Iterator[list[tuple[str, str]]]:
    """Record file opens, connections and processes started inside the block."""
    _AUDIT["events"] = []
    _AUDIT["on"] = True
    try:
        yield _AUDIT["events"]
    finally:
        _AUDIT["on"] = False


def opml(body: str, version: str = "2.0") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="{version}">\n'
        f"<head><title>t</title></head>\n<body>\n{body}\n</body>\n</opml>\n"
    ).encode()


def shown_strings(plan: ImportPlan) -> list[str]:
    """Every string the UI would print about an import, except subscription URLs."""
    out = list(plan.notes)
    for rejected in plan.rejected:
        out += [rejected.where, rejected.reason]
    for sub in plan.subscriptions:
        out += [sub.title, sub.category, sub.site_url]
    return out


def fixture(name: str) -> bytes:
    return (HOSTILE / name).read_bytes()


# --------------------------------------------------------------------------- hostile corpus


def test_v14_structure() -> None:
    data = fixture("v14_opml_structure.opml")
    read_subscriptions(data)  # warm up lazy imports before the audit hook watches
    with no_io() as events:
        plan = read_subscriptions(data, "v14_opml_structure.opml")
    assert events == []

    by_url = {sub.url: sub for sub in plan.subscriptions}
    deep = by_url["https://hv14.example.invalid/deep.xml"]
    levels = deep.category.split("/")
    assert len(levels) == MAX_FOLDER_DEPTH
    assert levels == [f"HV14 level {n}" for n in range(MAX_FOLDER_DEPTH)]
    assert any(str(MAX_FOLDER_DEPTH) in note for note in plan.notes)

    # The same feed: again in the folder, trailing slash, host case, a second "Folder A".
    dup = by_url["https://hv14.example.invalid/feed.xml"]
    assert (dup.title, dup.category) == ("HV14 dup", "Folder A")
    assert plan.duplicates == 4

    # Markup stays literal text; "/" inside one folder name cannot split the path.
    markup = by_url["https://hv14.example.invalid/markup.xml"]
    assert markup.title == "[blink]t[/blink]"
    assert markup.category == (
        f"[bold]HV14 folder with markup[{FOLDER_SLASH}bold] [@click=app.quit]x[{FOLDER_SLASH}]"
    )
    assert len(plan.subscriptions) == 3

    reasons = [r.reason for r in plan.rejected]
    assert sum("include" in r for r in reasons) == 1
    assert sum("never fetched" in r for r in reasons) == 2
    assert sum(r.startswith("no feed address") for r in reasons) == 4
    wheres = [r.where for r in plan.rejected]
    assert any(w.startswith('outline "HV14 includes itself" (line ') for w in wheres)


def test_v14_exports_and_reimports() -> None:
    plan = read_subscriptions(fixture("v14_opml_structure.opml"))
    feeds = [
        models.Feed(id=str(i), url=s.url, title=s.title, category=s.category)
        for i, s in enumerate(plan.subscriptions)
    ]
    again = read_subscriptions(export_opml(feeds))
    assert again.subscriptions == plan.subscriptions
    assert again.rejected == ()


def test_v15_bad_urls() -> None:
    data = fixture("v15_opml_bad_urls.opml")
    read_subscriptions(data)
    with no_io() as events:
        plan = read_subscriptions(data, "v15_opml_bad_urls.opml")
    assert events == []
    urls = {sub.url for sub in plan.subscriptions}
    assert urls == {
        "https://hv15.example.invalid/rss",  # feed:// and feed:https:// (one duplicate)
        "https://user:HV15-SECRET@hv15.example.invalid/rss",
        "https://hv15.example.invalid/Valid-Uppercase",
        "https://hv15.example.invalid/leading-space",
    }
    assert plan.duplicates == 1
    assert all(url.startswith("https://") for url in urls)
    assert len(plan.rejected) == 23 - 5
    for rejected in plan.rejected:
        assert rejected.where.startswith('outline "HV15 #')
        assert rejected.reason
    for text in shown_strings(plan):
        assert "HV15-SECRET" not in text
    # A home page link never keeps credentials.
    assert all("@" not in sub.site_url for sub in plan.subscriptions)


@pytest.mark.parametrize(
    "name", ["v04_billion_laughs.rss", "v05_external_entities.rss", "v05b_external_dtd.rss"]
)
def test_entity_attacks_refused_without_io(name: str) -> None:
    data = fixture(name)
    with pytest.raises(ImportFormatError):
        read_subscriptions(data)
    with no_io() as events, pytest.raises(ImportFormatError) as info:
        read_subscriptions(data)
    assert events == []
    assert "DTD" in str(info.value)


def test_other_hostile_feeds_are_not_subscription_lists() -> None:
    for path in sorted(HOSTILE.glob("v*")):
        if path.suffix in (".py", ".opml"):
            continue
        with pytest.raises(ImportFormatError):
            read_subscriptions(path.read_bytes(), path.name)


# --------------------------------------------------------------------------- OPML details


def test_folders_titles_and_fallbacks() -> None:
    plan = parse_opml(
        opml(
            """
<outline text="Tech"><outline title="Python">
  <outline type="rss" text="T1" title="Title wins" xmlUrl="https://a.example/1"/>
  <outline type="rss" text="Text used" xmlUrl="https://a.example/2"/>
</outline>
  <outline type="rss" xmlUrl="https://Host.Example/3"/>
</outline>
<outline text="a/b"><outline text="x" xmlUrl="feed://c.example/4"/></outline>
<outline text=""><outline text="unnamed folder" xmlUrl="https://d.example/5"/></outline>
<outline text="top" xmlUrl="https://e.example/6" htmlUrl="javascript:alert(1)"/>
<outline text="site" xmlUrl="https://e.example/7" htmlUrl="https://e.example/"/>
"""
        )
    )
    got = [(s.url, s.title, s.category, s.site_url) for s in plan.subscriptions]
    assert got == [
        ("https://a.example/1", "Title wins", "Tech/Python", ""),
        ("https://a.example/2", "Text used", "Tech/Python", ""),
        ("https://host.example/3", "host.example", "Tech", ""),
        ("https://c.example/4", "x", f"a{FOLDER_SLASH}b", ""),
        ("https://d.example/5", "unnamed folder", "", ""),
        ("https://e.example/6", "top", "", ""),
        ("https://e.example/7", "site", "", "https://e.example/"),
    ]
    assert plan.rejected == ()
    assert plan.duplicates == 0
    assert plan.notes == ()


def test_titles_are_sanitised() -> None:
    plan = parse_opml(
        opml(
            '<outline text="F&#x9b;[31m&#x202E;x&#10;y">'
            f'<outline text="{"t" * 1000}" xmlUrl="https://a.example/"/></outline>'
        )
    )
    (sub,) = plan.subscriptions
    assert sub.category == "F\ufffd[31mx y"
    assert len(sub.title) == 300


def test_opml_1_0_and_attribute_case() -> None:
    plan = parse_opml(opml('<outline TEXT="x" XMLURL="http://a.example/f"/>', "1.0"))
    assert [s.url for s in plan.subscriptions] == ["http://a.example/f"]


def test_duplicates_first_wins() -> None:
    plan = parse_opml(
        opml(
            """
<outline text="A"><outline text="one" xmlUrl="https://a.example/feed"/></outline>
<outline text="B"><outline text="two" xmlUrl="http://A.EXAMPLE/feed/"/></outline>
<outline text="three" xmlUrl="https://a.example:443/feed"/>
"""
        )
    )
    assert [(s.title, s.category) for s in plan.subscriptions] == [("one", "A")]
    assert plan.duplicates == 2


def test_credentials_never_shown() -> None:
    plan = parse_opml(
        opml(
            """
<outline text="https://u:SECRET1@a.example/" xmlUrl="ftp://u:SECRET2@a.example/"/>
<outline text="b" xmlUrl="http://u:SECRET3@[::1/"/>
<outline text="c" xmlUrl="https://TOKEN4@a.example:22/"/>
<outline text="d" xmlUrl="gopher://SECRET5@a.example/"/>
"""
        )
    )
    assert plan.subscriptions == ()
    assert len(plan.rejected) == 4
    for text in shown_strings(plan):
        for secret in ("SECRET1", "SECRET2", "SECRET3", "TOKEN4", "SECRET5"):
            assert secret not in text


def test_deep_nesting_does_not_recurse() -> None:
    depth = 20_000
    body = "".join(f'<outline text="L{n}">' for n in range(depth))
    body += '<outline text="deep" xmlUrl="https://a.example/deep"/>' + "</outline>" * depth
    plan = parse_opml(opml(body))
    (sub,) = plan.subscriptions
    assert sub.category == "/".join(f"L{n}" for n in range(MAX_FOLDER_DEPTH))
    assert plan.notes and str(depth - MAX_FOLDER_DEPTH) in plan.notes[0]


def test_outlines_outside_body_ignored() -> None:
    data = (
        b'<opml version="2.0"><head><outline text="h" xmlUrl="https://h.example/"/></head>'
        b'<body><outline text="b" xmlUrl="https://b.example/"/></body></opml>'
    )
    assert [s.url for s in parse_opml(data).subscriptions] == ["https://b.example/"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'<rss version="2.0"><channel/></rss>', "not an OPML file"),
        (b"<opml><body><outline></body></opml>", "not well-formed"),
        (b"<opml><body>", "not well-formed"),
        (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "b">]><opml/>', "DTD"),
        (b'<!DOCTYPE opml SYSTEM "file:///etc/passwd"><opml/>', "DTD"),
        (b"\x00\x01\x02binary", "binary"),
        (b"just some words\nand more\n", "neither"),
        (b"not xml at all", "neither"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "JSON"),
    ],
)
def test_unusable_files(data: bytes, words: str) -> None:
    with pytest.raises(ImportFormatError) as info:
        read_subscriptions(data)
    assert words in str(info.value)


def test_opml_name_without_xml() -> None:
    with pytest.raises(ImportFormatError, match="named like OPML"):
        read_subscriptions(b"https://a.example/feed\n", "subs.opml")


def test_empty_body_is_a_note() -> None:
    plan = read_subscriptions(opml(""))
    assert plan.subscriptions == () and plan.rejected == ()
    assert plan.notes


def test_utf16_opml() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><opml><body>'
    text += '<outline text="Café" xmlUrl="https://a.example/"/></body></opml>'
    plan = read_subscriptions(text.encode("utf-16"))
    assert [s.title for s in plan.subscriptions] == ["Café"]


# --------------------------------------------------------------------------- newsboat


def test_newsboat_urls() -> None:
    text = (
        "# comment\r\n"
        "\r\n"
        'https://a.example/x tag1 "~My \\"T\\"" "!hid" other\r\n'
        '  https://b.example/ "~Named" "Tech/Python"\n'
        '"query:Unread:unread = \\"yes\\""\n'
        "exec:~/bin/x foo\n"
        "filter:~/f:http://x.example/ t\n"
        'https://c.example/ "unbalanced\n'
        "https://user:pw@d.example/feed\n"
        "http://A.example/x/ dup\n"
        "ftp://z.example/\n"
        "https://e.example/it's\\here \"\" '~not a title'\n"
    )
    plan = parse_newsboat_urls(text)
    got = [(s.url, s.title, s.category) for s in plan.subscriptions]
    assert got == [
        ("https://a.example/x", 'My "T"', "tag1"),
        ("https://b.example/", "Named", "Tech/Python"),
        ("https://user:pw@d.example/feed", "d.example", ""),
        ("https://e.example/it%27s%5Chere", "e.example", "'~not"),
    ]
    assert plan.duplicates == 1
    rejected = [(r.where, r.reason) for r in plan.rejected]
    assert rejected[:2] == [
        ("line 5", "newsboat query feed, not supported"),
        ("line 8", 'a quote (") is not closed, so the line cannot be read'),
    ]
    assert rejected[2][0] == "line 11" and "ftp" in rejected[2][1]
    # Commands are kept apart, never among the subscriptions: importing.apply_import
    # subscribes to them only when the user allows it (tests/unit/test_command_import.py).
    commands = [(c.subscription.url, c.subscription.category, c.where) for c in plan.commands]
    assert commands == [
        ("exec:~/bin/x", "foo", "line 6"),
        ("filter:~/f:http://x.example/", "t", "line 7"),
    ]
    assert any("hidden" in note for note in plan.notes)


def test_newsboat_via_read_subscriptions() -> None:
    data = '\ufeffhttps://a.example/f "~T" News\n'.encode()
    plan = read_subscriptions(data, "urls")
    assert [(s.url, s.title, s.category) for s in plan.subscriptions] == [
        ("https://a.example/f", "T", "News")
    ]
    latin1 = 'https://a.example/f "~Caf\xe9"\n'.encode("latin-1")
    plan = read_subscriptions(latin1)
    assert plan.subscriptions[0].title == "Caf\ufffd"
    assert any("UTF-8" in note for note in plan.notes)


def test_newsboat_credentials_hidden() -> None:
    plan = parse_newsboat_urls("ftp://me:SECRET@a.example/ x\nhttps://me:SECRET@[::1 y\n")
    assert len(plan.rejected) == 2
    assert not any("SECRET" in text for text in shown_strings(plan))


def test_newsboat_only_comments_is_unusable() -> None:
    assert parse_newsboat_urls("# nothing\n\n").subscriptions == ()
    with pytest.raises(ImportFormatError):
        read_subscriptions(b"# nothing\n\n")


# --------------------------------------------------------------------------- bench corpus


def test_bench_corpus_opml_and_urls_agree(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    args = ["gen", "--out", str(out), "-n", "30", "-m", "2", "--seed", "1"]
    subprocess.run(
        [sys.executable, str(FEEDCORPUS), *args], check=True, capture_output=True, timeout=60
    )
    from_opml = read_subscriptions((out / "feeds.opml").read_bytes(), "feeds.opml")
    from_urls = read_subscriptions((out / "urls").read_bytes(), "urls")
    assert len(from_opml.subscriptions) == 30
    assert from_opml.rejected == from_urls.rejected == ()
    pairs_opml = {(s.url, s.category) for s in from_opml.subscriptions}
    pairs_urls = {(s.url, s.category) for s in from_urls.subscriptions}
    assert pairs_opml == pairs_urls
    assert all(s.category for s in from_opml.subscriptions)


# --------------------------------------------------------------------------- export


def _feed(n: int, title: str, category: str, site: str = "") -> models.Feed:
    return models.Feed(
        id=str(n), url=f"https://f{n}.example/feed", title=title, category=category, site_url=site
    )


def test_export_round_trip() -> None:
    feeds = [
        _feed(1, "[bold]x[/]", "Tech/Python"),
        _feed(2, "Tom & Jerry <3 \"quoted\" 'single'", "Tech"),
        _feed(3, "[@click=app.quit]no[/]", models.UNCATEGORIZED, "https://site.example/"),
        _feed(4, "plain", "News"),
        _feed(5, "deeper", "Tech/Python/Async"),
        _feed(6, "none", ""),
        _feed(7, "back to python", "Tech/Python"),
        _feed(8, "emoji 😀 東京", "Ünïcode/Ω"),
    ]
    data = export_opml(feeds, title="My <subs> & more")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = defusedxml.ElementTree.fromstring(data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "My <subs> & more"

    plan = read_subscriptions(data, "export.opml")
    assert plan.rejected == () and plan.duplicates == 0
    got = {(s.url, s.title, s.category, s.site_url) for s in plan.subscriptions}
    expected = {
        (
            f.url,
            f.title,
            "" if f.category == models.UNCATEGORIZED else f.category,
            f.site_url,
        )
        for f in feeds
    }
    assert got == expected
    # Each folder is written once, even when its feeds were not adjacent in the input.
    assert data.count(b'<outline text="Python"') == 1


def test_export_is_flat_text_for_deep_categories() -> None:
    category = "/".join(f"c{n}" for n in range(200))
    data = export_opml([_feed(1, "t", category)])
    plan = read_subscriptions(data)
    assert plan.subscriptions[0].category == "/".join(f"c{n}" for n in range(MAX_FOLDER_DEPTH))


def test_export_sanitises_what_xml_cannot_carry() -> None:
    data = export_opml([_feed(1, "bad \x00\x1b \ud800 \ufffe end", "a//b")])
    plan = read_subscriptions(data)
    (sub,) = plan.subscriptions
    assert sub.category == "a/b"
    assert "\x1b" not in sub.title and "\x00" not in sub.title
    assert sub.title.endswith("end")


def test_export_empty() -> None:
    plan = read_subscriptions(export_opml([]))
    assert plan.subscriptions == ()


# --------------------------------------------------------------------------- properties

_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.binary(max_size=2000))
def test_read_subscriptions_arbitrary_bytes(data: bytes) -> None:
    try:
        plan = read_subscriptions(data)
    except ImportFormatError as exc:
        assert str(exc)
        return
    assert isinstance(plan, ImportPlan)


_xml_fragments = st.lists(
    st.sampled_from(
        [
            "<outline",
            "</outline>",
            "/>",
            ">",
            ' text="',
            ' xmlUrl="',
            ' type="include"',
            '"',
            "https://a.example/",
            "feed://",
            "&amp;",
            "&#0;",
            "&#x202e;",
            "<!DOCTYPE x>",
            "<![CDATA[",
            "]]>",
            "\x00",
            "é",
            "/",
            " ",
        ]
    ),
    max_size=40,
)


@_SETTINGS
@given(_xml_fragments)
def test_read_subscriptions_opml_like_bytes(parts: list[str]) -> None:
    data = opml("".join(parts))
    with suppress(ImportFormatError):
        read_subscriptions(data)


@_SETTINGS
@given(st.text(max_size=2000))
def test_parse_newsboat_never_raises(text: str) -> None:
    plan = parse_newsboat_urls(text)
    for sub in plan.subscriptions:
        assert sub.url.startswith(("http://", "https://"))


_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/@\ufffe\uffff"),
    max_size=30,
)


@_SETTINGS
@given(st.lists(st.tuples(_names, st.lists(_names, max_size=4)), min_size=1, max_size=8))
def test_export_round_trip_property(specs: list[tuple[str, list[str]]]) -> None:
    feeds = [_feed(n, title, "/".join(folders)) for n, (title, folders) in enumerate(specs)]
    plan = read_subscriptions(export_opml(feeds))
    assert len(plan.subscriptions) == len(feeds)
    got = {s.url: s for s in plan.subscriptions}
    for feed in feeds:
        sub: Subscription = got[feed.url]
        title = clean_line(feed.title)
        assert sub.title == (title or feed.url)
        folders = [clean_line(name) for name in feed.category.split("/")]
        assert sub.category == "/".join(name for name in folders if name)
