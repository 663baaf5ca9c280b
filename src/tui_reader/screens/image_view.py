"""Opt-in inline images: `ImageViewScreen` shows one image of an article in the terminal.

Only reachable with `inline_images = true` in the config, from the links picker (`L`,
then `v` on an image). Nothing is fetched before that key press: the URL goes through
`text.check_url`, then through `Fetcher.fetch_page` (so the URL policy, redirect checks,
deadline and size caps of feed fetching all apply), and the bytes are decoded with
Pillow under a pixel cap. Any failure is one plain-words line on the screen; the rest of
the reader is not affected.

textual-image asks the terminal what it can draw (Sixel, the Kitty graphics protocol,
else coloured half blocks) with escape queries when its modules are imported. Those
queries only work before Textual takes over stdin, so `prepare_inline_images` must run
in `launch.py` before `app.run()`; this module never imports textual-image by itself,
and the viewer refuses to import it later (it would probe a terminal Textual owns).
"""

from __future__ import annotations

import asyncio
import io
import logging
import warnings
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..text import check_url, clean_line
from ..ui_text import plain

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

# Larger images are refused before decoding: 40 million pixels is a 160 MB RGBA buffer,
# far more than any terminal can show; Pillow's own cap is set to the same value.
MAX_PIXELS = 40_000_000
# Decoded images are shrunk to this box: more pixels only slow the rendering down.
SHOW_BOX = (2048, 2048)
# Image bodies are smaller than pages are allowed to be, and a viewer should not hang.
MAX_IMAGE_BYTES = 10 * 2**20
DEADLINE = 20.0

# None: `prepare_inline_images` has not run. "": textual-image is loaded. Else the reason
# it could not be, in plain words.
_prepared: str | None = None


def prepare_inline_images() -> str:
    """Load textual-image (it probes the terminal); "" when it worked, else why not.

    Call once, before `App.run()`. When stdout is not a terminal, textual-image sends no
    queries and falls back to drawing with Unicode characters.
    """
    global _prepared
    if _prepared is None:
        # A terminal that does not answer a query makes textual-image log a warning with a
        # traceback; with no handler set up, logging prints it to stderr, where the user
        # would find it after quitting. Not answering is an expected outcome, not an error.
        logging.getLogger("textual_image").setLevel(logging.ERROR)
        try:
            import textual_image.widget  # noqa: F401  (the import is what probes)
        except Exception as exc:  # a terminal that answers oddly must not stop the reader
            _prepared = f"Inline images are off: the terminal could not be checked ({exc})."
        else:
            _prepared = ""
    return _prepared


def inline_images_problem() -> str:
    """Why images cannot be shown here, or "" when they can."""
    if _prepared is None:
        return "Inline images are off: the terminal was not checked when the reader started."
    return _prepared


IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")


def decode_image(data: bytes) -> PILImage | str:
    """Decode `data` with Pillow; the image, or what went wrong in plain words."""
    from PIL import Image

    # Pillow warns above this many pixels and refuses above twice as many; our own check
    # below refuses anything over it before the pixels are decoded, so the warning would
    # only be noise (written to a terminal Textual is drawing on).
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        # Only the raster formats the web uses: Pillow would otherwise try every format
        # it knows, EPS included, which it hands to Ghostscript.
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        width, height = image.size
        if width * height > MAX_PIXELS:
            return f"The image is too big to show ({width} × {height} pixels)."
        image.load()
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.thumbnail(SHOW_BOX)
    except Image.DecompressionBombError:
        return "The image is too big to show."
    except Image.UnidentifiedImageError:
        return "This is not an image the reader can show."
    except Exception as exc:  # truncated or corrupt files raise many kinds of errors
        reason = clean_line(str(exc), 200) or type(exc).__name__
        return f"The image could not be decoded ({reason})."
    return image


class ImageViewScreen(ModalScreen[None]):
    """One image, fetched when the screen opens; Esc (or q) closes it."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="image.close")]

    DEFAULT_CSS = """
    ImageViewScreen { align: center middle; }
    ImageViewScreen > Vertical {
        width: 90%; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ImageViewScreen #image-title { text-style: bold; color: $accent; }
    ImageViewScreen #image-status { height: 1fr; content-align: center middle; }
    ImageViewScreen #image-picture { width: auto; height: 1fr; }
    ImageViewScreen #image-hint { color: $text-muted; }
    """

    def __init__(self, url: str, alt: str) -> None:
        super().__init__()
        self.alt = clean_line(alt, 200) or "Image"
        checked = check_url(url)
        self.url = checked.url
        # Decided up front, so a screen that cannot show the image never starts a fetch.
        self.problem = inline_images_problem()
        if not self.problem and not checked.ok:
            self.problem = f"This image has no address that can be fetched ({checked.reason})."

    def compose(self) -> ComposeResult:
        with Vertical():
            # Alt text comes from the page: literal Content, never markup.
            yield Static(plain(self.alt), id="image-title")
            yield Static(plain(self.problem or "Fetching the image…"), id="image-status")
            yield Static(Content("Esc: close"), id="image-hint")

    def on_mount(self) -> None:
        if not self.problem:
            self._load(self.url)  # the user's key press: the only way a fetch starts

    @work(exclusive=True, group="image-view", exit_on_error=False)
    async def _load(self, url: str) -> None:
        # Imported here: the fetcher is only needed once an image is asked for.
        from ..feeds.fetch import Fetcher, FetchLimits

        limits = FetchLimits(max_body_bytes=MAX_IMAGE_BYTES, deadline=DEADLINE)
        async with Fetcher(limits) as fetcher:
            result = await fetcher.fetch_page(url)
        if result.status != "ok":
            reason = (result.error or "no answer").rstrip(".")
            self.show_message(f"The image could not be fetched: {reason}.")
            return
        # Decoding is CPU work: off the event loop, so the reader stays responsive.
        decoded = await asyncio.to_thread(decode_image, result.body)
        if isinstance(decoded, str):
            self.show_message(decoded)
            return
        try:
            self._show(decoded)
        except Exception as exc:  # a drawing problem must stay inside this screen
            self.show_message(f"The image could not be shown ({type(exc).__name__}).")

    def _show(self, image: PILImage) -> None:
        # Already imported by `prepare_inline_images` (checked in __init__): no probing now.
        from textual_image.widget import Image as ImageWidget

        status = self.query_one("#image-status", Static)
        self.query_one(Vertical).mount(ImageWidget(image, id="image-picture"), before=status)
        status.remove()

    def show_message(self, message: str) -> None:
        """Replace "Fetching…" with `message` (plain words, shown literally)."""
        self.query_one("#image-status", Static).update(plain(message, multiline=True))

    def action_close(self) -> None:
        self.dismiss(None)
