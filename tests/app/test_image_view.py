"""Opt-in inline images: `v` in the links picker fetches one image (only then) and shows
it; failures are plain words; with `inline_images` off nothing is ever fetched.

textual-image probes the terminal when imported. The `inline_ready` fixture imports it
with `sys.__stdout__` replaced by a non-terminal stream, so no escape query is ever sent
(textual-image then falls back to drawing with Unicode characters), even when pytest
itself runs in a real terminal.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image as PILImage
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from tests.conftest import NOW
from tests.pilot_helpers import settle
from tests.unit.test_fulltext import PageServer
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.models import NewArticle
from tui_reader.screens import image_view
from tui_reader.screens.image_view import ImageViewScreen, decode_image
from tui_reader.screens.link_picker import LinkPickerScreen
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (200, 40, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def server() -> Iterator[PageServer]:
    with PageServer() as pages:
        pages.add("/red.png", png_bytes(), ctype="image/png")
        pages.add("/page.png", "<h1>Not a picture</h1>")  # HTML behind an image name
        yield pages  # anything else is a 404


@pytest.fixture
def inline_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """textual-image loaded as `launch.py` would, but with no terminal to probe."""
    monkeypatch.setattr(sys, "__stdout__", io.StringIO())
    assert image_view.prepare_inline_images() == ""
    assert not sys.modules["textual_image.renderable"].is_tty


@pytest.fixture
def image_store(tmp_path: Path, server: PageServer) -> Iterator[Store]:
    body = (
        f"<p>Pictures: a <a href='https://one.example/a'>link</a>.</p>"
        f"<img src='{server.base}/red.png' alt='A [b]red[/b] square'>"
        f"<img src='{server.base}/missing.png' alt='Missing'>"
        f"<img src='{server.base}/page.png' alt='Not an image'>"
    )
    store = Store.open(tmp_path / "lib")
    feed, _ = store.add_feed("https://pics.example/feed", "Pics", "News")
    store.merge_articles(
        feed.id, [NewArticle("pics", "Pictures", server.base + "/post", "", NOW, body)], NOW
    )
    try:
        yield store
    finally:
        store.close()


async def open_picker(pilot: Pilot[None], app: TuiReader) -> LinkPickerScreen:
    screen = app.screen
    assert isinstance(screen, MainScreen)
    article = next(a for a in screen.article_list.articles if a.title == "Pictures")
    screen.show_article(article)
    await settle(pilot, lambda: screen.reader.body_settled)
    await pilot.press("L")
    await settle(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
    picker = app.screen
    assert isinstance(picker, LinkPickerScreen)
    return picker


def status_text(viewer: ImageViewScreen) -> str:
    return str(viewer.query_one("#image-status", Static).render())


async def test_v_views_an_image_once_and_failures_are_plain(
    image_store: Store, server: PageServer, inline_ready: None
) -> None:
    from textual_image.widget import Image as ImageWidget

    app = TuiReader(image_store, Config(inline_images=True))
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        hint = str(picker.query_one("#links-hint", Static).render())
        assert "v: view an image here" in hint
        assert sum(server.requests.values()) == 0  # opening the picker fetches nothing
        options = picker.query_one(OptionList)
        # Entry 0 is the link, 1-3 the images; `v` on a link only explains.
        options.highlighted = 0
        await pilot.press("v")
        assert app.screen is picker
        options.highlighted = 1
        await pilot.press("v")
        await settle(pilot, lambda: isinstance(app.screen, ImageViewScreen))
        viewer = app.screen
        assert isinstance(viewer, ImageViewScreen)
        await settle(pilot, lambda: viewer.query(ImageWidget))
        # The alt text is the title, shown literally.
        assert str(viewer.query_one("#image-title", Static).render()) == "A [b]red[/b] square"
        assert server.requests == {"/red.png": 1}
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is picker)

        for index, path, words in ((2, "/missing.png", "404"), (3, "/page.png", "not an image")):
            options.highlighted = index
            await pilot.press("v")
            await settle(pilot, lambda: isinstance(app.screen, ImageViewScreen))
            failed = app.screen
            assert isinstance(failed, ImageViewScreen)
            await settle(pilot, lambda s=failed: "Fetching" not in status_text(s))
            assert words in status_text(failed)
            assert not failed.query(ImageWidget)
            assert server.requests[path] == 1
            await pilot.press("escape")
            await settle(pilot, lambda: app.screen is picker)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, MainScreen))
        assert sum(server.requests.values()) == 3


async def test_off_by_default_nothing_is_fetched(image_store: Store, server: PageServer) -> None:
    app = TuiReader(image_store, Config())
    async with app.run_test(size=(120, 40)) as pilot:
        picker = await open_picker(pilot, app)
        hint = str(picker.query_one("#links-hint", Static).render())
        assert hint == "Enter: open in the browser · 1-9 in the reader · Esc: close"
        picker.query_one(OptionList).highlighted = 1
        await pilot.press("v")
        await pilot.pause(0.3)
        assert app.screen is picker
        assert sum(server.requests.values()) == 0


async def test_viewer_without_a_checked_terminal_fetches_nothing(
    image_store: Store, server: PageServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if `launch.py` had not prepared textual-image: the viewer must not import it now.
    monkeypatch.setattr(image_view, "_prepared", None)
    app = TuiReader(image_store, Config(inline_images=True))
    async with app.run_test(size=(120, 40)) as pilot:
        viewer = ImageViewScreen(server.base + "/red.png", "Red")
        await app.push_screen(viewer)
        await settle(pilot, lambda: "Fetching" not in status_text(viewer))
        assert "not checked" in status_text(viewer)
        assert sum(server.requests.values()) == 0


def test_decode_refuses_huge_and_broken_images(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not isinstance(decode_image(png_bytes()), str)
    # Pillow's own cap is set from MAX_PIXELS: restored by the monkeypatch afterwards.
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", PILImage.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(image_view, "MAX_PIXELS", 40)
    assert "too big" in str(decode_image(png_bytes((7, 7))))  # over ours, under Pillow's
    assert "too big" in str(decode_image(png_bytes((10, 10))))  # over Pillow's too
    monkeypatch.undo()
    assert "not an image" in str(decode_image(b"<html></html>"))
    noise = io.BytesIO()
    PILImage.effect_noise((64, 64), 80).save(noise, format="PNG")
    assert "could not be decoded" in str(decode_image(noise.getvalue()[:300]))


def test_decode_opens_only_web_raster_formats() -> None:
    """Issue 14 (6): EPS would be handed to Ghostscript; TIFF, ICO, PSD... are not needed."""
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    assert "not an image" in str(decode_image(eps))
    for kind in ("TIFF", "ICO", "PPM"):
        data = io.BytesIO()
        PILImage.new("RGB", (8, 8)).save(data, format=kind)
        assert "not an image" in str(decode_image(data.getvalue())), kind
    for kind in image_view.IMAGE_FORMATS:
        data = io.BytesIO()
        PILImage.new("RGB", (8, 8)).save(data, format=kind)
        assert not isinstance(decode_image(data.getvalue()), str), kind
