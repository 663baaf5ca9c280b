"""`_Converter`: markdownify, with links, images, code, lists and tables made safe and
the numbering recorded. Works on a tree `prepare._prepare` has already cleaned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bs4 import Tag
from markdownify import ATX, MarkdownConverter

from tui_reader.text import check_url, clean_line

from .policy import (
    _BACKTICKS,
    _BR,
    _CODE_EDGE,
    _CONVERTED,
    _EXTRA_ESCAPES,
    _PARSER,
    _WRAPPING,
    _WS,
    LINK_REF_PREFIX,
    MAX_ALT_CHARS,
    MAX_IMAGES,
    MAX_LINKS,
    _attr,
    _first_srcset,
    _unescape_md,
)
from .prepare import _text_blocks
from .tables import record_cell, record_row, split_cells


@dataclass(frozen=True, slots=True)
class Link:
    """A link the user can open by number; `url` already passed `text.check_url`."""

    number: int
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image placeholder; `url` passed `text.check_url`, or is "" when it did not."""

    number: int
    alt: str
    url: str


# --------------------------------------------------------------------------- converter


class _Converter(MarkdownConverter):
    """markdownify, with links, images and code made safe and the numbering recorded."""

    def __init__(
        self,
        base_url: str,
        ol_numbers: dict[int, int],
        first_rows: dict[int, bool],
        column_counts: dict[int, int],
        record_rows: dict[int, int] | None = None,
        record_cells: set[int] | None = None,
        link_refs: bool = False,
    ) -> None:
        super().__init__(
            heading_style=ATX,
            bullets="-",
            strong_em_symbol="*",  # `_` emphasis fails inside words; `*` does not
            escape_misc=True,
            escape_asterisks=True,
            escape_underscores=True,
            autolinks=False,  # we always write [text](url) so every link gets a number
            bs4_options=_PARSER,
        )
        self._base = base_url
        self._ol_numbers = ol_numbers
        self._first_rows = first_rows
        self._column_counts = column_counts
        self._record_rows = record_rows or {}
        self._record_cells = record_cells or set()
        self._record_names: dict[int, list[str]] = {}  # table id -> its header cells
        self._link_refs = link_refs
        self._link_numbers: dict[str, int] = {}
        self.links: list[Link] = []
        self._image_numbers: dict[str, int] = {}
        self.images: list[Image] = []

    # -- tag whitelist

    def get_conv_fn(self, tag_name: str) -> Callable[..., str] | None:
        if tag_name.lower() not in _CONVERTED:
            return None
        return super().get_conv_fn(tag_name)

    # -- text

    def escape(self, text: str, parent_tags: set[str]) -> str:
        escaped: str = super().escape(text, parent_tags)
        return _EXTRA_ESCAPES.sub(r"\\\g<0>", escaped)

    # -- links and media

    def _add_link(self, text: str, url: str) -> int | None:
        number = self._link_numbers.get(url)
        if number is None:
            if len(self.links) >= MAX_LINKS:
                return None
            number = len(self.links) + 1
            self._link_numbers[url] = number
            self.links.append(Link(number=number, text=text, url=url))
        return number

    def _href(self, number: int, url: str) -> str:
        """What a link's Markdown points at: the URL, or (for the reading pane) the opaque
        `#link-N`. Textual's Markdown percent-decodes a clicked href, so a click must be
        mapped back to the numbered, vetted URL rather than trusted (issue 14.7)."""
        return f"{LINK_REF_PREFIX}{number}" if self._link_refs else url

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags or "a" in parent_tags:
            return text  # inside code, or a link nested in a link: Markdown allows neither
        # Link text must stay on one line: a blank line inside [...] would break the link
        # and leave its parts as stray text.
        text = text.replace(_BR, " ")
        if "\n" in text:
            text = _WS.sub(" ", text)
        stripped = text.strip()
        if not stripped:
            return ""
        prefix = " " if text[0].isspace() else ""
        suffix = " " if text[-1].isspace() else ""
        href = el.get("href")
        href = href if isinstance(href, str) else ""
        if not href.strip() or href.strip().startswith("#"):
            return text  # in-page anchors mean nothing in the reading pane
        verdict = check_url(href, self._base or None)
        if not verdict.ok:
            return text
        # The displayed text, for a link picker: no Markdown escapes or emphasis marks.
        plain = clean_line(" ".join(_text_blocks(el)), max_length=300) or clean_line(
            _unescape_md(stripped), max_length=300
        )
        number = self._add_link(plain, verdict.url)
        if number is None:
            return text
        href = self._href(number, verdict.url)
        return f"{prefix}[{stripped}]({href}) \\[{number}\\]{suffix}"

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        alt = clean_line(_attr(el, "alt"), max_length=MAX_ALT_CHARS)
        url = ""
        for raw in (_attr(el, "src"), _attr(el, "data-src"), _first_srcset(el)):
            if raw.strip():
                url = check_url(raw, self._base or None).url
                break
        number = self._image_numbers.get(url) if url else None
        if number is None:
            if len(self.images) >= MAX_IMAGES:
                number = 0
            else:
                number = len(self.images) + 1
                self.images.append(Image(number=number, alt=alt, url=url))
                if url:
                    self._image_numbers[url] = number
        label = f"image {number}" if number else "image"
        if alt:
            label = f"{label}: {alt}"
        if "_noformat" in parent_tags:
            return f"[{label}]"  # inside code nothing is parsed
        return f"\\[{self.escape(label, parent_tags)}\\]"

    def _convert_media(self, el: Tag, kind: str, parent_tags: set[str]) -> str:
        # The fallback text inside <video>/<audio> is "your browser does not support…".
        raw = _attr(el, "src")
        if not raw.strip():
            source = el.find("source", src=True)
            raw = _attr(source, "src") if isinstance(source, Tag) else ""
        verdict = check_url(raw, self._base or None) if raw.strip() else None
        if verdict is None or not verdict.ok or "_noformat" in parent_tags:
            return f"\\[{kind}\\]"
        number = self._add_link(kind, verdict.url)
        if number is None:
            return f"\\[{kind}\\]"
        return f"[{kind}]({self._href(number, verdict.url)}) \\[{number}\\]"

    def convert_video(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._convert_media(el, "video", parent_tags)

    def convert_audio(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._convert_media(el, "audio", parent_tags)

    # -- line breaks

    def convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "pre" in parent_tags:
            return "\n"
        if "_inline" in parent_tags or "_noformat" in parent_tags:
            return " "
        return _BR + "\n"

    # -- code

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text
        # Code text is not escaped, so the span must always form, or its content would
        # become live Markdown: it is kept on one line (a block inside <code> must not break
        # it open), its delimiter is longer than any backtick run inside, and it is marked
        # so that two adjacent spans can be kept apart at the end (`_CODE_EDGE`).
        text = _WS.sub(" ", text.replace(_BR, " "))
        if "td" in parent_tags or "th" in parent_tags:
            text = text.replace("|", "\\|")  # GFM splits table cells even inside code
        prefix = " " if text.startswith(" ") else ""
        suffix = " " if text.endswith(" ") else ""
        text = text.strip()
        if not text:
            return ""
        longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
        delimiter = "`" * (longest + 1)
        if longest:
            text = f" {text} "  # so a backtick at either end is not part of the delimiter
        return f"{prefix}{_CODE_EDGE}{delimiter}{text}{delimiter}{_CODE_EDGE}{suffix}"

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if parent_tags & _WRAPPING:
            # A fence only works at the start of a line; inside emphasis, a link, a heading
            # or a table cell it would be wrapped in markers and its unescaped content
            # would go live. Make it a code span instead.
            return self.convert_code(el, text, parent_tags - {"_noformat"})
        if not text.strip():
            return ""
        text = text.strip("\n")
        # The fence must be longer than any backtick run inside, or the text could close
        # it early and the rest would be parsed as (unescaped) Markdown.
        longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}\n{text}\n{fence}\n\n"

    # -- lists (markdownify's own version is quadratic in the length of an <ol>)

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = (text or "").strip()
        if not text:
            return "\n"
        number = self._ol_numbers.get(id(el))
        bullet = f"{number}. " if number is not None else "- "
        indent = " " * len(bullet)
        lines = text.split("\n")
        body = "\n".join([lines[0]] + [indent + line if line else "" for line in lines[1:]])
        return f"{bullet}{body}\n"

    # -- tables (markdownify's convert_tr searches the whole table for every row)

    def convert_td(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if id(el) in self._record_cells:
            return record_cell(text)
        return str(super().convert_td(el, text, parent_tags))

    def convert_th(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if id(el) in self._record_cells:
            return record_cell(text)
        return str(super().convert_th(el, text, parent_tags))

    def convert_tr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        table = self._record_rows.get(id(el))
        if table is not None:  # too wide for a grid: a record per row
            cells = split_cells(text)
            if self._first_rows.get(id(el)):
                self._record_names[table] = cells
                return ""
            return record_row(cells, self._record_names.get(table, []), _BR + "\n")
        header = self._first_rows.get(id(el))
        row = "|" + text + "\n"
        if header is None:
            return row
        columns = self._column_counts.get(id(el), 1)
        rule = "| " + " | ".join(["---"] * columns) + " |\n"
        if header:
            return row + rule
        empty = "| " + " | ".join([""] * columns) + " |\n"
        return empty + rule + row
