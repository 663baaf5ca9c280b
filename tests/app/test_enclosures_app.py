"""The reading pane and the `L` picker with an article that has two authors and two
files (issue 16; the store side is in tests/unit/test_enclosures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.content import Content
from textual.widgets import OptionList, Static

from tests.pilot_helpers import settle
from tests.unit.test_enclosures import (
    EPISODE,
    TRANSCRIPT,
    open_podcast,
)
from tui_reader.app import TuiReader
from tui_reader.screens.link_picker import LinkPickerScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


@pytest.fixture
def podcast(tmp_path: Path) -> Iterator[Store]:
    store = open_podcast(tmp_path / "lib")
    try:
        yield store
    finally:
        store.close()


def static_text(screen: MainScreen, selector: str) -> str:
    return str(screen.reader.query_one(selector, Static).render())


async def test_pane_and_picker_show_authors_and_files(
    podcast: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = TuiReader(podcast)
    opened: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        monkeypatch.setattr(screen, "open_url", opened.append)
        article = next(a for a in screen.article_list.articles if a.title.startswith("Episode"))
        screen.show_article(article)
        await settle(pilot, lambda: screen.reader.body_settled)
        reader = screen.reader
        byline = static_text(screen, "#reader-byline")
        assert "by Ada Lovelace and Grace [red]Hopper[/red]" in byline
        section = reader.query_one("#reader-enclosures", Static)
        assert section.display
        files = str(section.render())
        assert "[2] Audio (audio/mpeg) · 12.3 MB · 1:02:03" in files
        assert "[3] Text (text/[bold]plain[/bold]) · 512 bytes" in files
        assert EPISODE.url in files and TRANSCRIPT.url in files
        # The body's one link is 1; the files follow it, and the digits open them.
        assert [link.url for link in reader.links] == [
            "https://notes.example/a",
            EPISODE.url,
            TRANSCRIPT.url,
        ]
        await pilot.press("2")
        assert opened == [EPISODE.url]
        await pilot.press("L")
        await settle(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        picker = app.screen
        assert isinstance(picker, LinkPickerScreen)
        title = picker.query_one("#links-title", Static).render()
        assert "Links and files" in str(title)
        options = picker.query_one(OptionList)
        prompts = [options.get_option_at_index(i).prompt for i in range(options.option_count)]
        assert all(isinstance(p, Content) for p in prompts)
        texts = [str(p) for p in prompts]
        assert len(texts) == 3
        assert "file: Audio (audio/mpeg) · 12.3 MB · 1:02:03" in texts[1]
        assert EPISODE.url in texts[1]
        assert "file: Text (text/[bold]plain[/bold]) · 512 bytes" in texts[2]
        await pilot.press("down", "down", "enter")
        await settle(pilot, lambda: app.screen is screen)
        assert opened[-1] == TRANSCRIPT.url
        # An article without files: no section, and only the body's links.
        other = next(a for a in screen.article_list.articles if a.title == "Plain notes")
        screen.show_article(other)
        await settle(pilot, lambda: reader.body_settled)
        assert not reader.query_one("#reader-enclosures", Static).display
        assert reader.links == ()
        assert "by Solo Writer" in static_text(screen, "#reader-byline")
