"""Rules for the bundled demo library (src/tui_reader/demo/library.json)."""

from __future__ import annotations

import json
import re
from collections import Counter
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import pytest

EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
TAG = re.compile(r"<[^>]+>")
ATTR_URL = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
FEED_KEYS = {"id", "title", "url", "site_url", "category"}
ARTICLE_KEYS = {
    "feed",
    "key",
    "title",
    "link",
    "author",
    "hours_ago",
    "body_html",
    "read",
    "starred",
}
# Only on the articles that carry files (a podcast episode).
OPTIONAL_ARTICLE_KEYS = {"enclosures"}


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    raw = resources.files("tui_reader.demo").joinpath("library.json").read_bytes()
    data = json.loads(raw.decode("utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def feeds(library: dict[str, Any]) -> list[dict[str, Any]]:
    return library["feeds"]


@pytest.fixture(scope="module")
def articles(library: dict[str, Any]) -> list[dict[str, Any]]:
    return library["articles"]


def is_example_https(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    on_example = any(host == d or host.endswith("." + d) for d in EXAMPLE_DOMAINS)
    return parts.scheme == "https" and on_example


def words(body_html: str) -> int:
    return len(TAG.sub(" ", body_html).split())


def test_top_level_shape(library: dict[str, Any]) -> None:
    assert set(library) == {"feeds", "articles"}


def test_feed_fields_and_types(feeds: list[dict[str, Any]]) -> None:
    for feed in feeds:
        assert set(feed) == FEED_KEYS, feed.get("id")
        assert all(isinstance(feed[k], str) and feed[k].strip() for k in FEED_KEYS)
        assert feed["id"].startswith("demo-")


def test_article_fields_and_types(articles: list[dict[str, Any]]) -> None:
    for art in articles:
        assert set(art) - OPTIONAL_ARTICLE_KEYS == ARTICLE_KEYS, art.get("key")
        for k in ("feed", "key", "title", "link", "body_html"):
            assert isinstance(art[k], str) and art[k].strip(), (art["key"], k)
        assert isinstance(art["author"], str)
        assert isinstance(art["hours_ago"], int | float)
        assert not isinstance(art["hours_ago"], bool)
        assert isinstance(art["read"], bool)
        assert isinstance(art["starred"], bool)


def test_counts(feeds: list[dict[str, Any]], articles: list[dict[str, Any]]) -> None:
    categories = Counter(f["category"] for f in feeds)
    assert len(categories) >= 5
    assert all(n >= 2 for n in categories.values()), categories
    assert len(feeds) >= 10
    assert len(articles) >= 48


def test_articles_per_feed(feeds: list[dict[str, Any]], articles: list[dict[str, Any]]) -> None:
    per_feed = Counter(a["feed"] for a in articles)
    for feed in feeds:
        assert 4 <= per_feed[feed["id"]] <= 6, feed["id"]


def test_unique_ids_keys_links(feeds: list[dict[str, Any]], articles: list[dict[str, Any]]) -> None:
    ids = [f["id"] for f in feeds]
    assert len(ids) == len(set(ids))
    assert len({f["title"] for f in feeds}) == len(feeds)
    assert len({f["url"] for f in feeds}) == len(feeds)
    pairs = [(a["feed"], a["key"]) for a in articles]
    assert len(pairs) == len(set(pairs))
    links = [a["link"] for a in articles]
    assert len(links) == len(set(links))


def test_feed_references_are_valid(
    feeds: list[dict[str, Any]], articles: list[dict[str, Any]]
) -> None:
    ids = {f["id"] for f in feeds}
    assert {a["feed"] for a in articles} <= ids


def test_feed_and_article_urls_on_example_domains(
    feeds: list[dict[str, Any]], articles: list[dict[str, Any]]
) -> None:
    for feed in feeds:
        assert is_example_https(feed["url"]), feed["url"]
        assert is_example_https(feed["site_url"]), feed["site_url"]
    for art in articles:
        assert is_example_https(art["link"]), art["link"]


def test_enclosures(articles: list[dict[str, Any]]) -> None:
    with_files = [a for a in articles if "enclosures" in a]
    assert len(with_files) == 1  # one podcast-style episode, so the reader shows a file
    for art in with_files:
        assert art["enclosures"], art["key"]
        for file in art["enclosures"]:
            assert set(file) == {"url", "type", "length", "duration"}
            assert is_example_https(file["url"]), file["url"]
            assert file["type"].count("/") == 1
            assert type(file["length"]) is int and file["length"] > 0
            assert type(file["duration"]) is int and file["duration"] > 0


def test_body_urls_on_example_domains(articles: list[dict[str, Any]]) -> None:
    seen = 0
    for art in articles:
        for url in ATTR_URL.findall(art["body_html"]):
            assert is_example_https(url), (art["key"], url)
            seen += 1
    assert seen >= len(articles) // 2


def test_hours_ago_spread(articles: list[dict[str, Any]]) -> None:
    hours = [a["hours_ago"] for a in articles]
    assert all(0.2 <= h <= 330 for h in hours), sorted(hours)
    assert sum(h <= 12 for h in hours) >= 6
    # A few per day across the two weeks: no calendar day without an article.
    days = {int(h // 24) for h in hours}
    assert days >= set(range(14)), sorted(set(range(14)) - days)


def test_bodies_are_structured(articles: list[dict[str, Any]]) -> None:
    for art in articles:
        body = art["body_html"]
        assert "<p>" in body, art["key"]
        assert any(t in body for t in ("<ul>", "<ol>", "<blockquote>")), art["key"]
        assert "<script" not in body.lower()


def test_body_word_counts(articles: list[dict[str, Any]]) -> None:
    for art in articles:
        assert 250 <= words(art["body_html"]) <= 700, (art["key"], words(art["body_html"]))


def test_body_variety_across_set(articles: list[dict[str, Any]]) -> None:
    bodies = [a["body_html"] for a in articles]
    for tag in (
        "<h2>",
        "<h3>",
        "<ul>",
        "<ol>",
        "<blockquote>",
        "<a href=",
        "<code>",
        "<pre>",
        "<em>",
        "<strong>",
        "<table>",
    ):
        assert any(tag in b for b in bodies), tag
    images = sum(b.count("<img ") for b in bodies)
    assert 1 <= images <= 3
    assert all('src="https://images.example.net/' in b for b in bodies if "<img " in b)


def test_no_repeated_paragraphs(articles: list[dict[str, Any]]) -> None:
    paragraphs = Counter(
        p.strip()
        for a in articles
        for p in re.findall(r"<p>(.*?)</p>", a["body_html"], re.DOTALL)
        if len(p.split()) > 8
    )
    assert [p for p, n in paragraphs.items() if n > 1] == []


def test_authors(articles: list[dict[str, Any]]) -> None:
    anonymous = sum(a["author"] == "" for a in articles)
    assert 3 <= anonymous <= 5
    assert all(a["author"] == a["author"].strip() for a in articles)


def test_read_and_starred(articles: list[dict[str, Any]]) -> None:
    read = sum(a["read"] for a in articles)
    starred = sum(a["starred"] for a in articles)
    both = sum(a["read"] and a["starred"] for a in articles)
    assert 5 <= read <= 8
    assert 3 <= starred <= 5
    assert both >= 1


def test_some_titles_have_literal_brackets(articles: list[dict[str, Any]]) -> None:
    assert 1 <= sum("[" in a["title"] for a in articles) <= 3


def test_file_is_pretty_printed_utf8() -> None:
    raw = resources.files("tui_reader.demo").joinpath("library.json").read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith("{\n")
    assert 150_000 <= len(raw) <= 400_000
