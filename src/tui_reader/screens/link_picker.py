"""The `L` picker: the numbered links, files and images of the article in the reading pane.

Texts and URLs come from the page: shown as `Content`, never markup. The chosen URL is
returned with `dismiss`; the main screen opens it through the URL policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..text import clean_line
from ..ui_text import plain_str
from ..widgets.reading_pane import FileLink

if TYPE_CHECKING:
    from ..render import Image, Link


class LinkPickerScreen(ModalScreen[str | None]):
    """The numbered links, files (enclosures) and images of the article; Enter opens
    one, Esc closes. Files come after the links, as the reading pane numbers them.

    Returns the chosen URL (already vetted by the renderer; the screen checks it again
    when opening). Texts and URLs come from the page: shown as `Content`, never markup.
    With `view_images` (config `inline_images`), `v` on an image shows it here instead,
    in `ImageViewScreen` on top of the picker; without it the key does nothing.
    """

    BINDINGS = [
        Binding("escape,q,L", "cancel", "Close", id="links.close"),
        Binding("v", "view_image", "View image", id="links.view_image"),
    ]

    DEFAULT_CSS = """
    LinkPickerScreen { align: center middle; }
    LinkPickerScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    LinkPickerScreen #links-title { text-style: bold; color: $accent; }
    LinkPickerScreen OptionList { height: auto; max-height: 30; border: none; }
    LinkPickerScreen #links-hint { color: $text-muted; }
    """

    def __init__(
        self,
        links: tuple[Link | FileLink, ...],
        images: tuple[Image, ...],
        view_images: bool = False,
    ) -> None:
        super().__init__()
        self.view_images = view_images
        self.urls: list[str] = []
        # Option index -> alt text, for the entries that are images (`v` views those).
        self.image_alts: dict[int, str] = {}
        self._options: list[Option] = []
        self.has_files = False
        for link in links:
            text = clean_line(link.text, 200) or "(no text)"
            if isinstance(link, FileLink):
                self.has_files = True
                text = f"file: {text}"
            self._add(f"{link.number:>3}  {text}", link.url)
        for image in images:
            if image.url:
                alt = clean_line(image.alt, 200) or "no description"
                self.image_alts[len(self.urls)] = alt
                self._add(f"img {image.number}  {alt}", image.url)

    def _add(self, label: str, url: str) -> None:
        # `label` is our number and the link's clean_line'd text; `assemble` takes str parts
        # literally. The URL comes from the page: sanitised here.
        prompt = Content.assemble(label, "\n", ("      " + plain_str(url, 300), "dim"))
        self._options.append(Option(prompt))
        self.urls.append(url)

    def compose(self) -> ComposeResult:
        with Vertical():
            title = "Links and files in this article" if self.has_files else "Links in this article"
            yield Static(Content(title), id="links-title")
            yield OptionList(*self._options, id="links")
            hint = "Enter: open in the browser · 1-9 in the reader · Esc: close"
            if self.view_images:
                hint = "Enter: open in the browser · v: view an image here · Esc: close"
            yield Static(Content(hint), id="links-hint")

    @on(OptionList.OptionSelected)
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.urls[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_view_image(self) -> None:
        if not self.view_images:
            return  # inline images are off: `v` stays a key that does nothing here
        index = self.query_one(OptionList).highlighted
        if index is None or index not in self.image_alts:
            self.notify("Highlight an image (img N) to view it here.", timeout=3)
            return
        # Imported here: only needed once an image is asked for.
        from .image_view import ImageViewScreen

        self.app.push_screen(ImageViewScreen(self.urls[index], self.image_alts[index]))
