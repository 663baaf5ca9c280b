"""The hostile corpus inside the app (Pilot): nothing from a feed becomes markup, an
action, a link outside the URL policy, or a browser launch the policy refused.

The library is built in-process from the corpus files with `parse_feed` (fetching is
covered end to end in test_hostile_e2e). Every feed keeps the title from its own
document, and sits in a category whose name is itself markup, so the feed titles' and
category names' attacks reach the sidebar.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App
from textual.widgets import Static

from tests.hostile_runner import browser_calls, pwned_files, write_fake_browser
from tests.support.paths import HOSTILE
from tui_reader.app import TuiReader
from tui_reader.feeds.parse import FeedParseError, parse_feed
from tui_reader.models import NewArticle
from tui_reader.render import Link, link_ref_number
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.text import check_url
from tui_reader.views import View

CATEGORY = "[bold]Cat[/bold] [@click=app.quit]x[/]"
PROBE_TITLE = "[@click=app.quit]X[/] [bold]MARKUPPROBE[/bold] \\[esc] :smile: [/"
PROBE_AUTHOR = "[red]AUTHORPROBE[/] [link=https://x.invalid]l[/link]"
PROBE_FEED = "[b]FEEDPROBE[/b] [@click=app.screenshot('p.svg','/tmp')]s[/]"
# Markers that only feed text contains: a markup parser must never see them.
FEED_MARKERS = re.compile(r"PROBE|HV0\d|HV1\d")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def _build(path: Path) -> None:
    store = Store.open(path)
    try:
        for file in sorted(HOSTILE.iterdir()):
            if file.suffix not in (".rss", ".atom", ".json"):
                continue
            url = f"http://127.0.0.1:9/{file.name}"
            try:
                parsed = parse_feed(file.read_bytes(), url=url, fetched_at=NOW, max_items=100)
            except FeedParseError:
                continue
            feed, _ = store.add_feed(url, parsed.title or file.name, CATEGORY)
            store.merge_articles(feed.id, parsed.articles, NOW)
            store.record_fetch(feed.id, ok=True, when=NOW)
        probe, _ = store.add_feed("https://probe.example.com/feed", PROBE_FEED, CATEGORY)
        store.merge_articles(
            probe.id,
            [
                NewArticle(
                    key="probe-1",
                    title=PROBE_TITLE,
                    link="https://probe.example.com/1",
                    author=PROBE_AUTHOR,
                    published=NOW,
                    body_html="<p>[bold]BODYPROBE[/bold] [@click=app.quit]q[/]</p>",
                )
            ],
            NOW,
        )
    finally:
        store.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile-app") / "library"
    _build(path)
    return path


@pytest.fixture
def store(library: Path, tmp_path: Path) -> Iterator[Store]:
    import shutil

    copy = tmp_path / "library"
    shutil.copytree(library, copy)
    opened = Store.open(copy)
    try:
        yield opened
    finally:
        opened.close()


class Spy:
    """Records every action an attack might reach and every markup parse of feed text."""

    ACTIONS = (
        "action_quit",
        "action_screenshot",
        "action_notify",
        "action_simulate_key",
        "action_push_screen",
        "action_suspend_process",
        "action_toggle_dark",
        "action_command_palette",
        "action_bell",
    )

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.actions: list[str] = []
        self.notes: list[tuple[str, dict[str, Any]]] = []
        self.markup: list[str] = []
        for name in self.ACTIONS:
            if hasattr(App, name):
                monkeypatch.setattr(App, name, self._recorder(name))
        spy = self

        original_notify = App.notify

        def notify(app: App[Any], message: str, *args: Any, **kwargs: Any) -> None:
            spy.notes.append((str(message), kwargs))
            original_notify(app, message, *args, **kwargs)

        monkeypatch.setattr(App, "notify", notify)

        import rich.markup
        import textual.markup

        to_content, render = textual.markup.to_content, rich.markup.render

        def spied_to_content(markup: str, *args: Any, **kwargs: Any) -> Any:
            spy.markup.append(str(markup))
            return to_content(markup, *args, **kwargs)

        def spied_render(markup: str, *args: Any, **kwargs: Any) -> Any:
            spy.markup.append(str(markup))
            return render(markup, *args, **kwargs)

        monkeypatch.setattr(textual.markup, "to_content", spied_to_content)
        monkeypatch.setattr(rich.markup, "render", spied_render)

    def _recorder(self, name: str) -> Any:
        async def record(*args: Any, **kwargs: Any) -> None:
            self.actions.append(name)

        return record

    def feed_text_parsed_as_markup(self) -> list[str]:
        return [m[:120] for m in self.markup if FEED_MARKERS.search(m)]


def _segments(widget: Any) -> Iterator[Segment]:
    for y in range(widget.size.height):
        yield from widget.render_line(y)


def _assert_inert(
    segments: Iterator[Segment], where: str, *, links: tuple[Link, ...] | None = None
) -> None:
    """No `@click` meta and no link, except (in the article body, `links` given) clicks
    on the opaque `#link-N` hrefs the reading pane emits: each must name one of the pane's
    numbered links, and that link's URL must pass the policy unchanged."""
    for segment in segments:
        style = segment.style
        if style is None:
            continue
        click = (style.meta or {}).get("@click")
        assert not style.link, (where, style.link, segment.text)
        if click is None:
            continue
        assert links is not None, (where, click, segment.text)
        action = click if isinstance(click, str) else str(click)
        match = re.fullmatch(r"link\((['\"])(.*)\1\)", action) if isinstance(click, str) else None
        if match is None and isinstance(click, tuple):  # parsed form: (name, args)
            name, arguments = click[0], click[1] if len(click) > 1 else ()
            assert name.endswith("link") and len(arguments) == 1, (where, click)
            href = str(arguments[0])
        else:
            assert match is not None, (where, click, segment.text)
            href = match.group(2)
        number = link_ref_number(href, len(links))
        assert number is not None, (where, href)
        url = links[number - 1].url
        verdict = check_url(url)
        assert verdict.ok and verdict.url == url, (where, url)


def _static_content(widget: Static) -> Any:
    return widget.visual


async def _settle(pilot: Any) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_every_hostile_article_renders_literally_and_inert(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules 2-4: list rows, sidebar labels, the reader's header and body carry no
    `@click` and no unchecked link; feed text never reaches a markup parser; probes show
    exactly as written."""
    spy = Spy(monkeypatch)
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        theme = app.theme
        await _settle(pilot)
        sidebar = screen.sidebar
        # "/" in a category name nests folders (as `cat:` reads it): open them all.
        probe_id = next(f.id for f in store.feeds() if f.display_title == PROBE_FEED)
        sidebar.move_to(View("feed", probe_id))
        await _settle(pilot)
        _assert_inert(_segments(sidebar), "sidebar")
        labels = [str(n.label) for n in sidebar.nodes()]
        folder = sidebar.node_for(f"category:{CATEGORY}")
        chain = []
        while folder is not None and folder is not sidebar.root:
            assert folder.data is not None
            assert str(folder.label).startswith(folder.data.label), str(folder.label)
            chain.insert(0, folder.data.label)
            folder = folder.parent
        assert "/".join(chain) == CATEGORY, chain
        assert any(label.startswith(PROBE_FEED) for label in labels), labels
        for label in sidebar.nodes():
            assert all("@click" not in str(span.style) for span in label.label.spans)
            assert all("link" not in str(span.style) for span in label.label.spans)

        article_list = screen.article_list
        articles = list(article_list.articles)
        assert len(articles) > 100
        article_list.focus()
        for index, article in enumerate(articles):
            article_list.cursor = index
            screen.show_article(article)
            await pilot.pause()
            _assert_inert(_segments(article_list), f"list row {article.title[:40]!r}")
            reader = screen.reader
            for selector in ("#reader-category", "#reader-title", "#reader-byline"):
                static = reader.query_one(selector, Static)
                _assert_inert(_segments(static), f"{selector} of {article.title[:40]!r}")
            body = reader.query_one("#reader-body")
            for block in body.query("*"):
                _assert_inert(
                    _segments(block), f"body of {article.title[:40]!r}", links=reader.links
                )
            if article.title == PROBE_TITLE:
                title = reader.query_one("#reader-title", Static)
                assert str(_static_content(title)) == PROBE_TITLE
                byline = str(_static_content(reader.query_one("#reader-byline", Static)))
                assert f"by {PROBE_AUTHOR}" in byline and byline.startswith(PROBE_FEED)
                y = index - article_list.scroll_offset.y
                row = "".join(segment.text for segment in article_list.render_line(y))
                assert "[@click=app.quit]X[/]" in row  # the column is narrow: truncated
        assert spy.feed_text_parsed_as_markup() == []
        assert spy.actions == []
        assert not any("SENTINEL" in note for note, _ in spy.notes)
        assert app.theme == theme and app.is_running


async def test_clicking_every_row_and_reader_line_runs_no_action(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """v02: clicks on rows and on every line of the article only select (and open links
    that passed the policy); the app keeps running with the same theme."""
    log = tmp_path / "browser.jsonl"
    monkeypatch.setenv("BROWSER", str(write_fake_browser(tmp_path)))
    monkeypatch.setenv("HOSTILE_BROWSER_LOG", str(log))
    spy = Spy(monkeypatch)
    app = TuiReader(store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        theme = app.theme
        await _settle(pilot)
        article_list = screen.article_list
        titles = {a.id: a.title for a in article_list.articles}
        # v02 (the click attacks) and the probe; clicking is slow in Pilot (~70 ms a click)
        # and the other files' rows are drawn by the same code.
        feeds = {f.id: f.display_title for f in store.feeds()}
        hostile = [a for a in article_list.articles if re.search(r"HV02|PROBE", feeds[a.feed_id])]
        assert len(hostile) >= 9
        for article in hostile:
            article_list.select_article(article.id)
            await pilot.pause()
            row = article_list.cursor - article_list.scroll_offset.y
            for x in (2, 30):
                await pilot.click(article_list, offset=(x, row))
            await pilot.pause()
            reader = screen.reader
            assert reader.current is not None and titles[reader.current.article_id] == article.title
            for y in range(0, reader.size.height, 4):
                # A different column on each line, so link text and plain text both get hit.
                await pilot.click(reader, offset=(2 + 7 * y % max(reader.size.width - 4, 1), y))
            await pilot.pause()
            assert app.is_running, article.title
        await asyncio.sleep(0.3)  # the recorder runs detached
        assert spy.actions == []
        assert not any("SENTINEL" in note for note, _ in spy.notes)
        assert app.theme == theme and app.is_running and app.return_code is None
    for argv in browser_calls(log):
        assert len(argv) == 1 and check_url(argv[0]).url == argv[0], argv
    assert pwned_files() == []


def _v11_store(path: Path) -> Store:
    store = Store.open(path)
    file = HOSTILE / "v11_dangerous_links.rss"
    parsed = parse_feed(file.read_bytes(), url="http://127.0.0.1:9/v11.rss", fetched_at=NOW)
    feed, _ = store.add_feed("http://127.0.0.1:9/v11.rss", parsed.title, "Links")
    store.merge_articles(feed.id, parsed.articles, NOW)
    return store


V11_RAW_LINKS = re.compile(r"<(?:link|comments)>(.*?)</(?:link|comments)>", re.S)


async def test_o_on_dangerous_links_launches_only_checked_http_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """v11: `o` gives the browser one http(s) argument with a host, never an option; every
    other link gets a visible message showing the address as inert text."""
    log = tmp_path / "browser.jsonl"
    monkeypatch.setenv("BROWSER", str(write_fake_browser(tmp_path)))
    monkeypatch.setenv("HOSTILE_BROWSER_LOG", str(log))
    spy = Spy(monkeypatch)
    store = _v11_store(tmp_path / "library")
    try:
        app = TuiReader(store)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            assert isinstance(screen, MainScreen)
            await _settle(pilot)
            article_list = screen.article_list
            article_list.focus()
            opened = refused = 0
            for index, article in enumerate(list(article_list.articles)):
                article_list.cursor = index
                await pilot.pause()
                before = len(spy.notes)
                await pilot.press("o")
                await _settle(pilot)
                if check_url(article.link).ok:
                    opened += 1
                else:
                    refused += 1
                    new = spy.notes[before:]
                    assert new, f"no message for {article.link!r}"
                    message, kwargs = new[-1]
                    assert message.startswith("Not opened") and kwargs.get("markup") is False
            await asyncio.sleep(0.5)  # the recorder runs detached
            assert app.is_running and spy.actions == []
    finally:
        store.close()
    calls = browser_calls(log)
    assert len(calls) == opened and opened > 0 and refused > 0
    for argv in calls:
        assert len(argv) == 1, argv
        url = argv[0]
        assert url.startswith(("http://", "https://")) and not url.startswith("-")
        assert check_url(url).ok and check_url(url).url == url and check_url(url).host
    # Every link in the file that is not http(s) was refused, not launched.
    raw = V11_RAW_LINKS.findall((HOSTILE / "v11_dangerous_links.rss").read_text("utf-8"))
    dangerous = [v for v in raw if not check_url(v).ok]
    assert len(dangerous) >= 15
    assert not any(url == value.strip() for value in dangerous for (url,) in calls)
    assert pwned_files() == []


@pytest.mark.parametrize("name", ["v04_billion_laughs.rss", "v05_external_entities.rss"])
def test_add_names_the_real_reason_for_entity_feeds(name: str, tmp_path: Path) -> None:
    """Regression: `tui-reader add` said "neither a feed nor a page that links to one" for
    a feed with a DOCTYPE internal subset (the sniff did not skip it); now the parser's
    reason (entity declarations refused) reaches the user."""
    from tests.hostile_runner import serve_directory
    from tui_reader.feeds.parse import looks_like_feed
    from tui_reader.feeds.subscribe import SubscribeError, subscribe

    assert looks_like_feed((HOSTILE / name).read_bytes())
    assert not looks_like_feed(b"<!DOCTYPE html [ <!ENTITY x 'y'> ]><html></html>")
    store = Store.open(tmp_path / "library")
    try:
        with serve_directory(HOSTILE) as url, pytest.raises(SubscribeError) as caught:
            subscribe(store, f"{url}{name}")
        assert "entities" in str(caught.value) and name in str(caught.value)
        assert store.feeds() == []
    finally:
        store.close()
