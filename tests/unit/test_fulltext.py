"""Full text: extraction from realistic pages, fetch failures in plain words, the cache in
the store, reading positions, and "always full text" during refresh.

Pages are served from 127.0.0.1 by `PageServer`, which counts requests per path so a test
can prove that a cached article is never fetched again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import NOW
from tui_reader.feeds import refresh as refresh_module
from tui_reader.feeds.fetch import Fetcher, FetchLimits
from tui_reader.feeds.fulltext import MAX_ELEMENTS, extract_article, fetch_full_text
from tui_reader.feeds.refresh import refresh_feeds
from tui_reader.models import NewArticle
from tui_reader.render import html_to_markdown
from tui_reader.store import Store

# --------------------------------------------------------------------------- pages

ARTICLE_SENTENCES = (
    "Sleeper services are coming back across Europe after decades of decline",
    "the state railway has ordered thirty-three new sleeper sets",
    "Climate-minded travellers want an alternative to short-haul flights",
    "the waiting lists suggest the night train is here to stay",
)
NOT_ARTICLE = (
    "Subscribe today",
    "Buy cheap flights now",
    "Ten trains to take before you die",
    "Caledonian Sleeper entirely",
    "subsidies are a waste",
    "Hotel deals in Vienna",
    "All rights reserved",
    "Cookie settings",
    "Most read this week",
)


def news_page(title: str = "The quiet return of the night train") -> str:
    """A newspaper-style page: header nav, ads, <article>, related links, comments, footer."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Rail Weekly</title>
<script>window.ads = []; document.write("Buy cheap flights now");</script>
<style>body {{ font-family: serif }}</style></head>
<body>
<header class="site-header"><a href="/">Rail Weekly</a>
<nav class="main-nav"><ul><li><a href="/news">News</a></li><li><a href="/opinion">Opinion</a>
</li><li><a href="/subscribe">Subscribe today</a></li></ul></nav></header>
<div class="ad-banner" id="top-ad"><a href="https://ads.example/c">Buy cheap flights now!</a></div>
<main>
<article class="post">
<h1>{title}</h1>
<p class="byline">By Jane Doe, 3 March 2026</p>
<p>Sleeper services are coming back across Europe after decades of decline, and the operators
say demand is outstripping the number of carriages they can find.</p>
<p>In Vienna, the state railway has ordered thirty-three new sleeper sets, each with private
compartments, showers and a <a href="/capsule">capsule section</a> for travellers on a
budget, and a <a href="https://example.org/map">network map</a> shows the routes.</p>
<figure><img src="/img/train.jpg" alt="A sleeper train at dawn">
<figcaption>The Nightjet arriving in Hamburg.</figcaption></figure>
<h2>Why now</h2>
<p>Climate-minded travellers want an alternative to short-haul flights, and the EU has made
cross-border ticketing easier. Still, track access charges remain high in several countries.
</p>
<p>"We could fill twice as many trains," said one planner, who asked not to be named because
the timetable is not final.</p>
<ul><li>Vienna to Paris, three times a week</li><li>Brussels to Berlin, daily from April</li></ul>
<p>The last word belongs to the passengers: the waiting lists suggest the night train is here
to stay.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Ten trains to take before you die</a></li>
<li><a href="/b">Why high speed rail is late again</a></li></ul></aside>
<section id="comments" class="comments"><h3>42 comments</h3>
<div class="comment"><p class="author">trainfan99</p><p>Great article but you forgot the
Caledonian Sleeper entirely, which is a shame really.</p></div>
<div class="comment"><p class="author">grumpy</p><p>Nobody wants to sleep on a train, this is
nonsense and the subsidies are a waste of everybody's money.</p></div>
</section>
</main>
<div class="ad sidebar-ad">Advertisement: Hotel deals in Vienna from 29 EUR</div>
<footer class="site-footer"><p>© 2026 Rail Weekly. All rights reserved.</p>
<nav><a href="/privacy">Privacy policy</a> <a href="/cookies">Cookie settings</a></nav></footer>
</body></html>"""


def blog_page() -> str:
    """A blog without <article>: div soup, a sidebar widget and a WordPress comment list."""
    paragraphs = "".join(
        f"<p>{sentence}, as the archive of the line and its timetables shows in detail.</p>"
        for sentence in ARTICLE_SENTENCES
    )
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Notes</title></head><body>
<div id="nav"><a href="/">Home</a> | <a href="/about">About</a> |
<a href="/s">Subscribe today</a></div>
<div id="wrapper"><div id="content"><div class="entry-content">
<h2 class="entry-title">Night trains, again</h2>{paragraphs}
<p>Most of the routes were closed in the early 2000s, when budget airlines took the
passengers; some were never replaced at all and the carriages were sold abroad.</p>
</div>
<div id="comments"><ol class="comment-list"><li class="comment"><div class="comment-body">
<p>Great article but you forgot the Caledonian Sleeper entirely, which is a shame really.</p>
</div></li></ol></div></div>
<div id="sidebar" class="widget-area"><div class="widget"><h3>Most read this week</h3>
<ul><li><a href="/x">Ten trains to take before you die</a></li></ul></div></div></div>
<div id="footer">All rights reserved. <a href="/c">Cookie settings</a></div>
</body></html>"""


PAYWALL_PAGE = """<html><body><nav><a href="/">Home</a> <a href="/s">Subscribe today</a></nav>
<article><h1>Members only</h1><p>Subscribe to keep reading.</p></article>
<footer>All rights reserved.</footer></body></html>"""


class PageServer:
    """An HTTP server on 127.0.0.1 serving fixed pages; counts requests per path."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.requests: Counter[str] = Counter()
        self.delays: dict[str, float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests[self.path] += 1
                time.sleep(server.delays.get(self.path, 0))
                status, content_type, body = server.pages.get(
                    self.path, (404, "text/html", b"<h1>Not found</h1>")
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (the timeout test): nothing to answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def add(self, path: str, body: str | bytes, status: int = 200, ctype: str = "") -> str:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = (status, ctype or "text/html; charset=utf-8", data)
        return self.base + path

    def __enter__(self) -> PageServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def pages() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server


def plain(html: str, base: str = "") -> str:
    """What the reader would show, as one string (escapes removed)."""
    return html_to_markdown(html, base).markdown.replace("\\", "").replace("\n", " ")


def assert_only_article(html: str) -> None:
    text = " ".join(plain(html).split())
    for sentence in ARTICLE_SENTENCES:
        assert sentence in text
    for noise in NOT_ARTICLE:
        assert noise not in text, noise


# --------------------------------------------------------------------------- extraction


def test_news_page_gives_the_article_and_nothing_around_it() -> None:
    result = extract_article(news_page().encode(), "text/html", "https://rail.example/night")
    assert result.ok, result.error
    assert_only_article(result.html)
    rendered = html_to_markdown(result.html, result.url)
    # Relative links resolve against the page; images become numbered placeholders.
    urls = [link.url for link in rendered.links]
    assert "https://rail.example/capsule" in urls
    assert "https://example.org/map" in urls
    assert [(i.alt, i.url) for i in rendered.images] == [
        ("A sleeper train at dawn", "https://rail.example/img/train.jpg")
    ]
    assert "image 1: A sleeper train at dawn" in plain(result.html, result.url)


def test_blog_without_article_element() -> None:
    result = extract_article(blog_page().encode(), None, "https://blog.example/p/1")
    assert result.ok, result.error
    assert_only_article(result.html)


def test_paywall_teaser_is_a_plain_failure() -> None:
    result = extract_article(PAYWALL_PAGE.encode(), "text/html", "https://x.example/")
    assert not result.ok
    assert "no article text" in result.error and "paywall" in result.error


def test_encoding_from_meta_and_header() -> None:
    page = news_page("Zürich à la carte").replace('charset="utf-8"', 'charset="iso-8859-1"')
    result = extract_article(page.encode("latin-1"), "text/html", "https://x.example/")
    assert result.ok and "Zürich à la carte" in result.html
    result = extract_article(page.encode("latin-1"), "text/html; charset=utf-8", "")
    assert result.ok and "Zürich" not in result.html  # the header wins, as in browsers


def test_hostile_content_is_sanitised_and_inert() -> None:
    page = news_page().replace(
        "<h2>Why now</h2>",
        '<h2>Why \x1b[31mnow</h2><p><a href="javascript:alert(1)">[click](javascript:x)</a> '
        "and <b>[red]markup[/red]</b> text that looks like code.</p>",
    )
    result = extract_article(page.encode(), "text/html", "https://x.example/")
    assert result.ok
    assert "\x1b" not in result.html
    rendered = html_to_markdown(result.html, result.url)
    assert all(link.url.startswith("https://") for link in rendered.links)
    assert "javascript" not in " ".join(link.url for link in rendered.links)


def test_not_html_and_too_complex_pages_are_refused() -> None:
    result = extract_article(b"%PDF-1.4", "application/pdf", "https://x.example/a.pdf")
    assert not result.ok and "not HTML" in result.error
    huge = "<html><body><article>" + "<p>word word</p>" * (MAX_ELEMENTS + 10) + "</article>"
    started = time.monotonic()
    result = extract_article(huge.encode(), "text/html", "https://x.example/")
    assert not result.ok and "too complex" in result.error
    assert time.monotonic() - started < 2


def test_garbage_never_raises() -> None:
    for body in (b"", b"\x00\xff" * 100, b"<?xml version='1.0'?><html>", b"<" * 10000):
        result = extract_article(body, "text/html", "")
        assert not result.ok and result.error


# --------------------------------------------------------------------------- fetching


async def test_fetch_failures_are_plain_words(pages: PageServer) -> None:
    ok = pages.add("/ok", news_page())
    paywall = pages.add("/paid", "<h1>Subscribe</h1>", status=402)
    pages.delays["/slow"] = 2
    slow = pages.add("/slow", news_page())
    missing = pages.base + "/missing"
    async with Fetcher(FetchLimits(deadline=0.5)) as fetcher:
        results = await asyncio.gather(
            fetch_full_text(fetcher, ok),
            fetch_full_text(fetcher, paywall),
            fetch_full_text(fetcher, slow),
            fetch_full_text(fetcher, missing),
            fetch_full_text(fetcher, "javascript:alert(1)"),
        )
    good, paid, timed_out, not_found, refused = results
    assert good.ok and good.url == ok
    assert_only_article(good.html)
    assert "paywall" in paid.error and "402" in paid.error
    assert "timed out" in timed_out.error
    assert "404" in not_found.error
    assert "no web address" in refused.error
    assert pages.requests["/ok"] == 1


# --------------------------------------------------------------------------- store


def test_store_caches_full_text_across_opens(store: Store, tmp_path: Path) -> None:
    article = store.articles()[0]
    other = store.articles()[-1]
    assert store.full_text(article.id) is None
    assert store.set_full_text(article.id, html="<p>Whole</p>", url="https://a.example/1")
    assert store.set_full_text(other.id, error="timed out after 30 s")
    assert not store.set_full_text("nope", html="x")
    store.set_full_text_feed(article.feed_id, True)
    store.set_reading_position(article.id, 42, True)
    store.set_reading_position(other.id, 7, False)
    store.set_reading_position(other.id, 0, False)  # back at the top: forgotten
    directory = store.directory
    store.close()
    reopened = Store.open(directory, read_only=True)
    try:
        record = reopened.full_text(article.id)
        assert record is not None
        assert (record["html"], record["url"], record["error"]) == (
            "<p>Whole</p>",
            "https://a.example/1",
            "",
        )
        failed = reopened.full_text(other.id)
        assert failed is not None and failed["html"] == "" and "timed out" in failed["error"]
        assert reopened.full_text_feeds() == {article.feed_id}
        assert reopened.reading_position(article.id) == (42, True)
        assert reopened.reading_position(other.id) == (0, False)
        assert (directory / "fulltext" / f"{article.feed_id}.json").exists()
    finally:
        reopened.close()


def test_damaged_full_text_file_is_only_a_lost_cache(store: Store) -> None:
    article = store.articles()[0]
    store.set_full_text(article.id, html="<p>x</p>")
    directory = store.directory
    store.close()
    (directory / "fulltext" / f"{article.feed_id}.json").write_text("{nope")
    reopened = Store.open(directory)
    try:
        assert reopened.full_text(article.id) is None
        assert reopened.set_full_text(article.id, html="<p>again</p>")
    finally:
        reopened.close()


# --------------------------------------------------------------------------- refresh


def rss(base: str, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{path}</guid>"
        f"<description>Teaser of {title}.</description>"
        f"<pubDate>Sun, {29 - n:02d} Nov 2026 10:00:00 GMT</pubDate></item>"
        for n, (title, path) in enumerate(items)
    )
    channel = f"<channel><title>Rail</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


async def test_refresh_fetches_full_text_for_marked_feeds_only(
    tmp_path: Path, pages: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_module, "FULL_TEXT_PAUSE", 0)
    monkeypatch.setattr(refresh_module, "FULL_TEXT_PER_FEED", 3)
    items = [("One", "/p/1"), ("Broken", "/p/2"), ("Three", "/p/3"), ("Four", "/p/4")]
    pages.add("/feed.xml", rss(pages.base, items), ctype="application/rss+xml")
    pages.add("/other.xml", rss(pages.base, [("Plain", "/q/1")]), ctype="application/rss+xml")
    for path in ("/p/1", "/p/3", "/p/4", "/q/1"):
        pages.add(path, news_page(f"Story {path}"))
    pages.add("/p/2", "<h1>Server error</h1>", status=500)
    store = Store.open(tmp_path / "lib")
    try:
        feed, _ = store.add_feed(pages.base + "/feed.xml", "Rail")
        plain_feed, _ = store.add_feed(pages.base + "/other.xml", "Other")
        store.set_full_text_feed(feed.id, True)
        summary = await refresh_feeds(store, [feed, plain_feed])
        assert summary.new_articles == 5, summary.outcomes
        by_title = {a.title: a for a in store.articles()}
        one = store.full_text(by_title["One"].id)
        assert one is not None and "Sleeper services" in one["html"]
        broken = store.full_text(by_title["Broken"].id)
        assert broken is not None and not broken["html"] and "500" in broken["error"]
        three = store.full_text(by_title["Three"].id)
        assert three is not None and "Sleeper services" in three["html"]
        assert store.full_text(by_title["Four"].id) is None  # over the per-refresh cap
        assert store.full_text(by_title["Plain"].id) is None  # feed not marked
        assert pages.requests["/q/1"] == 0
        # The next refresh fetches only what is still missing, never a page twice.
        await refresh_feeds(store, [feed, plain_feed])
        assert [pages.requests[p] for p in ("/p/1", "/p/2", "/p/3", "/p/4")] == [1, 1, 1, 1]
        four = store.full_text(by_title["Four"].id)
        assert four is not None and four["html"]
    finally:
        store.close()


def test_reading_positions_are_bounded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tui_reader.store.fulltext_cache.MAX_POSITIONS", 3)
    feed = store.feeds()[0]
    articles = [
        NewArticle(f"k{i}", f"t{i}", f"https://e.example/{i}", "", NOW - timedelta(hours=i), "")
        for i in range(5)
    ]
    store.merge_articles(feed.id, articles, NOW)
    ids = [a.id for a in store.articles([feed.id])][:5]
    for n, aid in enumerate(ids, start=1):
        store.set_reading_position(aid, n, False)
    assert [store.reading_position(aid)[0] for aid in ids] == [0, 0, 3, 4, 5]
