"""Article bodies: untrusted feed HTML to inert Markdown for the reading pane.

The reading pane shows a body with Textual's ``Markdown`` widget, which parses with
``MarkdownIt("gfm-like")``: HTML on, linkify on. Feed HTML is hostile, so this module turns
it into Markdown in which the *only* active constructs are the ones we emit on purpose:

* Structure (headings, paragraphs, nested lists, quotes, code, emphasis, simple tables,
  rules, line breaks) comes from markdownify, customised by `_Converter`.
* Every text node is sanitised with `text.clean_text` and then backslash-escaped, so text
  that looks like Markdown (``[x](javascript:…)``, ``*``, ``#``, backticks, ``|``, ``<b>``,
  ``&amp;``) displays literally. ``:``, ``@``, ``//`` and dots inside words are escaped as
  well, which stops linkify from turning bare text into links: every link in the pane is one
  we emitted, vetted by `text.check_url` and numbered (``[text](url) [1]``).
* Disallowed links (``javascript:``, ``data:``, ``file:``, relative without a base, …)
  become their text only. Images are never loaded: they become ``[image 2: alt]``
  placeholders and are listed in `RenderedBody.images`.
* Scripts, styles, frames, objects, forms, hidden elements, comments and tracking pixels
  are dropped before conversion.
* Work is bounded: input is capped at `MAX_INPUT_CHARS`, element depth at `MAX_DEPTH`
  (deeper subtrees are flattened to plain paragraphs without recursion), Markdown block
  nesting at `MAX_BLOCK_NESTING` (markdown-it stops parsing past 20 levels and would drop
  the rest), and output at `MAX_OUTPUT_CHARS`.
* As a last line of defence the output is parsed with markdown-it exactly as the widget
  would; if it contains raw HTML, an image, or a link that is not http(s) and allowed by
  the URL policy, the body is rendered as fully escaped plain paragraphs instead.

Nothing here fetches anything, and Textual is not imported: this is pure and unit-tested.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from markdown_it import MarkdownIt
from markdownify import ATX, MarkdownConverter

from tui_reader.htmltext import BLOCK_TAGS as _BLOCKS
from tui_reader.htmltext import MAX_INPUT_CHARS, word_count
from tui_reader.htmltext import as_text as _as_text
from tui_reader.htmltext import strip_tags as _strip_tags
from tui_reader.models import WORDS_PER_MINUTE, reading_minutes
from tui_reader.text import check_url, clean_line, clean_text

__all__ = [
    "LINK_REF_PREFIX",
    "MAX_BLOCK_NESTING",
    "MAX_DEPTH",
    "MAX_INPUT_CHARS",
    "MAX_OUTPUT_CHARS",
    "WORDS_PER_MINUTE",
    "Image",
    "Link",
    "RenderedBody",
    "html_to_markdown",
    "link_ref_number",
    "plain_summary",
    "reading_minutes",
    "unsafe_tokens",
    "word_count",
]

MAX_OUTPUT_CHARS = 100_000
MAX_DEPTH = 100  # element depth; markdownify recurses about 3 Python frames per level
MAX_BLOCK_NESTING = 6  # blockquotes + lists; markdown-it's gfm-like maxNesting is 20 tokens
MAX_LINKS = 1000
# The href of a link in the reading pane's Markdown: "#link-" and the link's number.
LINK_REF_PREFIX = "#link-"
MAX_IMAGES = 1000
MAX_ALT_CHARS = 200
MAX_COLSPAN = 20  # markdownify repeats " |" colspan times; 1000 would bloat every row
TRUNCATED_NOTE = "\\[… article truncated\\]"

# lxml (libxml2) and never html.parser: on hostile input html.parser is quadratic (about
# 80 s for 200 KB of unclosed attributes, 10 s for 40,000 "<!--"), libxml2 takes
# milliseconds. lxml is a declared dependency of the app.
_PARSER = "lxml"

# libxml2 parses HTML 4, so it does not know these HTML5 void elements and would nest all
# following content inside them (and so drop it with an <embed>). Closing them explicitly
# fixes that. `[^<>]*` keeps the regex linear: each attempt stops at the next "<".
_HTML5_VOID = re.compile(r"<(embed|source|track|wbr|keygen|param)\b[^<>]*>", re.IGNORECASE)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^<>]*>")


class _Soup(BeautifulSoup):
    """BeautifulSoup without the "this looks like a URL / file name" warnings.

    Short feed bodies often are just a URL; the warning would be printed on top of the
    TUI. Overriding the two checks keeps the global warning filters untouched.
    """

    @classmethod
    def _markup_is_url(cls, markup: Any) -> bool:
        return False

    @classmethod
    def _markup_resembles_filename(cls, markup: Any) -> bool:
        return False


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


@dataclass(frozen=True, slots=True)
class RenderedBody:
    """A body ready for the reading pane: Markdown, plus what its numbers refer to."""

    markdown: str
    links: tuple[Link, ...]
    images: tuple[Image, ...]
    words: int


# --------------------------------------------------------------------------- tag policy

# Removed with everything inside them: active content, embedded documents, forms and
# non-content metadata (a full HTML document's <title> must not show up as body text).
_DROP = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
        "param", "form", "input", "button", "select", "option", "optgroup", "textarea",
        "datalist", "noscript", "template", "head", "title", "meta", "link", "base",
        "svg", "canvas", "map", "area", "source", "track", "dialog", "portal", "slot",
        "noembed", "noframes", "xmp", "plaintext",
    }
)  # fmt: skip

# Tags markdownify may convert. Anything else is unwrapped (its text kept), and this stops
# a made-up tag name from reaching a `convert_<name>` method that was not meant for it.
_CONVERTED = frozenset(
    {
        "[document]", "a", "b", "strong", "i", "em", "u", "s", "del", "strike", "ins",
        "code", "kbd", "samp", "pre", "p", "div", "article", "section", "blockquote",
        "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "tr", "td", "th", "img", "video", "audio", "q", "sub", "sup",
        "figcaption",
    }
)  # fmt: skip

_TABLE_PARTS = frozenset({"tr", "td", "th", "thead", "tbody", "tfoot", "caption"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_DIMENSION = re.compile(r"\s*(\d{1,6})")
_STYLE_DIMENSION = re.compile(r"(?:^|;)\s*(width|height)\s*:\s*(\d{1,6})(?:\.\d*)?\s*px", re.I)

# --------------------------------------------------------------------------- escaping

# Escaped on top of markdownify's escape_misc set:
# * characters linkify builds links from. Escaping them splits the text into separate
#   tokens before linkify runs, so `http://x`, `ftp://x`, `//x`, `a@b.example` and
#   `www.x.example` stay text (markdown-it joins the pieces back after linkify). Every
#   dot not followed by a space is escaped: `1$.ba` is a link to linkify;
# * "!", which would turn a link we emit right after the text into an image.
_EXTRA_ESCAPES = re.compile(r"[:@!]|(?<=/)/|\.(?=\S)")
# Every ASCII punctuation character: escaping all of them makes any text inert Markdown.
_ALL_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_WS = re.compile(r"\s+")
_BACKTICKS = re.compile(r"`+")

# Stands for a <br> until the end, when we know whether a hard break is meaningful there
# (a trailing backslash at the end of a block would display as a literal "\"). Text nodes
# cannot contain it: they went through clean_text, which makes NUL visible.
_BR = "\x00"
# Marks both ends of every code span. Two spans side by side would otherwise merge their
# delimiters into one longer backtick run, and the spans would no longer close.
_CODE_EDGE = "\x01"

# Converters that wrap or reflow their content, so a fenced block cannot live inside them.
_WRAPPING = frozenset(
    {"_inline", "a", "b", "strong", "i", "em", "del", "s", "strike", "code", "kbd", "samp",
     "q", "sub", "sup", "dt"}
)  # fmt: skip


def _strict_escape(value: str) -> str:
    """One line of plain text as inert Markdown: whitespace collapsed, all punctuation escaped."""
    return _ALL_PUNCT.sub(r"\\\1", _WS.sub(" ", value).strip())


# --------------------------------------------------------------------------- converter


class _Converter(MarkdownConverter):
    """markdownify, with links, images and code made safe and the numbering recorded."""

    def __init__(
        self,
        base_url: str,
        ol_numbers: dict[int, int],
        first_rows: dict[int, bool],
        column_counts: dict[int, int],
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

    def convert_tr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
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


def _attr(el: Tag | None, name: str) -> str:
    if el is None:
        return ""
    value = el.get(name)
    if isinstance(value, list):  # multi-valued attributes such as class
        return " ".join(value)
    return value or ""


def _first_srcset(el: Tag) -> str:
    srcset = _attr(el, "srcset").strip()
    return srcset.split(",", 1)[0].strip().split(" ", 1)[0] if srcset else ""


_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape_md(value: str) -> str:
    """Link text for `Link.text`: the escaped Markdown turned back into what is displayed."""
    return _MD_ESCAPE.sub(r"\1", value)


# --------------------------------------------------------------------------- preparation


def _dimension(el: Tag, name: str) -> int | None:
    match = _DIMENSION.match(_attr(el, name))
    if match:
        return int(match.group(1))
    for prop, value in _STYLE_DIMENSION.findall(_attr(el, "style")):
        if prop.lower() == name:
            return int(value)
    return None


def _is_tracking_pixel(el: Tag) -> bool:
    width, height = _dimension(el, "width"), _dimension(el, "height")
    return (width is not None and width <= 1) or (height is not None and height <= 1)


def _is_hidden(el: Tag) -> bool:
    return el.has_attr("hidden") or bool(_HIDDEN_STYLE.search(_attr(el, "style")))


def _text_blocks(root: Tag) -> list[str]:
    """The text of `root` as paragraphs, without recursion (used past `MAX_DEPTH`)."""
    blocks: list[str] = []
    current: list[str] = []
    # Explicit stack of nodes still to visit, in document order; None marks a block end.
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None or (isinstance(node, Tag) and node.name in _BLOCKS):
            text = _WS.sub(" ", "".join(current)).strip()
            if text:
                blocks.append(text)
            current = []
            if node is None:
                continue
        if isinstance(node, Tag):
            if node.name in _DROP:
                continue
            if node.name in _BLOCKS:
                stack.append(None)
            stack.extend(reversed(list(node.children)))
        elif type(node) is NavigableString:
            current.append(clean_text(str(node)))
    text = _WS.sub(" ", "".join(current)).strip()
    if text:
        blocks.append(text)
    return blocks


class _Prepared:
    """Facts about the cleaned tree that the converter needs without searching again."""

    def __init__(self) -> None:
        self.ol_numbers: dict[int, int] = {}
        self.first_rows: dict[int, bool] = {}
        self.column_counts: dict[int, int] = {}


def _prepare(soup: BeautifulSoup) -> _Prepared:
    """Clean the parsed tree in place, iteratively (it may be thousands of levels deep).

    Drops dangerous and invisible elements, comments and tracking pixels; sanitises every
    text node; flattens subtrees deeper than `MAX_DEPTH` into plain paragraphs; caps list
    and quote nesting; turns layout tables (tables containing tables) into plain blocks;
    sanitises the numeric attributes markdownify reads; and records list numbers and table
    header rows so the converter does not need quadratic searches.
    """
    info = _Prepared()
    # (node, depth, block nesting, inside a table that was turned into plain blocks)
    stack: list[tuple[Any, int, int, bool]] = [(soup, 0, 0, False)]
    while stack:
        node, depth, nesting, flat_table = stack.pop()
        if not isinstance(node, Tag):
            if type(node) is not NavigableString:
                node.extract()  # comments, CDATA, processing instructions, doctypes
                continue
            cleaned = clean_text(str(node))
            if cleaned != node:
                node.replace_with(NavigableString(cleaned))
            continue
        name = node.name
        if name in _DROP or _is_hidden(node) or (name == "img" and _is_tracking_pixel(node)):
            node.decompose()
            continue
        if depth > MAX_DEPTH:
            for text in _text_blocks(node):
                paragraph = soup.new_tag("p")
                paragraph.string = text
                node.insert_before(paragraph)
            node.decompose()
            continue
        if name in ("blockquote", "ul", "ol"):
            if nesting >= MAX_BLOCK_NESTING:
                node.name = "div"
            else:
                nesting += 1
        if name == "li" and (node.parent is None or node.parent.name not in ("ul", "ol")):
            node.name = "p"  # a stray item, or one whose list was flattened above
        if name == "table":
            flat_table = node.find("table") is not None
            if flat_table:
                node.name = "div"
            else:
                _index_table(node, info)
        elif name in _TABLE_PARTS and flat_table:
            node.name = "p" if name in ("td", "th", "caption") else "div"
        if name in ("td", "th"):
            span = _attr(node, "colspan").strip()
            if span.isascii() and span.isdigit():
                node["colspan"] = str(max(1, min(MAX_COLSPAN, int(span))))
            elif node.has_attr("colspan"):
                del node["colspan"]
        if node.name == "ol":
            _number_list(node, info)
        children = list(node.children)
        stack.extend((child, depth + 1, nesting, flat_table) for child in reversed(children))
    return info


def _number_list(node: Tag, info: _Prepared) -> None:
    start_text = _attr(node, "start").strip()
    start = 1
    # isascii(): "²".isdigit() is True but int("²") raises.
    if start_text.isascii() and start_text.isdigit() and len(start_text) <= 6:
        start = int(start_text)
    items = [child for child in node.children if isinstance(child, Tag) and child.name == "li"]
    for index, item in enumerate(items):
        info.ol_numbers[id(item)] = start + index


def _index_table(table: Tag, info: _Prepared) -> None:
    rows = table.find_all("tr")
    if not rows:
        return
    first = rows[0]
    cells = first.find_all(["td", "th"], recursive=False)
    columns = 0
    for cell in cells:
        span = _attr(cell, "colspan").strip()
        count = int(span) if span.isascii() and span.isdigit() else 1
        columns += max(1, min(MAX_COLSPAN, count))
    header = bool(cells) and (
        all(cell.name == "th" for cell in cells)
        or (first.parent is not None and first.parent.name == "thead")
    )
    info.first_rows[id(first)] = header
    info.column_counts[id(first)] = max(1, columns)


# --------------------------------------------------------------------------- output


_TRAILING_WS = re.compile(r"[^\S\n]+$", re.MULTILINE)  # incl. no-break and other spaces
_BLANK_RUNS = re.compile(r"\n{3,}")
_QUOTE_PREFIX = re.compile(r"^[ \t>]*")


def _finish_breaks(markdown: str) -> str:
    """Turn the <br> markers into hard breaks where one means something, else drop them.

    A backslash break at the end of a block would show as a literal "\\", and one at the
    start adds an empty line, so breaks next to a block edge are dropped.
    """
    if _BR not in markdown:
        return markdown

    def content(line: str) -> str:  # without blockquote markers, indentation and breaks
        return line[len(_QUOTE_PREFIX.match(line)[0]) :].replace(_BR, "").strip()

    lines = markdown.split("\n")
    # Forward: drop break-only lines that open a block.
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else ""
        if _BR in line and not content(line) and not content(previous) and _BR not in previous:
            lines[index] = line.replace(_BR, "").rstrip()
    # Backward, so each line sees its successor's final form.
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _BR not in line:
            continue
        next_blank = index + 1 >= len(lines) or not content(lines[index + 1])
        trailing = line.rstrip(" \t").endswith(_BR)
        line = line.rstrip(_BR + " \t").replace(_BR, " ")
        if trailing and not next_blank:
            line += "\\"
        lines[index] = line
    return "\n".join(lines)


def _tidy(markdown: str) -> str:
    markdown = _finish_breaks(markdown)
    if _CODE_EDGE in markdown:
        markdown = markdown.replace(_CODE_EDGE * 2, " ").replace(_CODE_EDGE, "")
    markdown = clean_text(markdown)  # a guard: everything in it was already cleaned
    markdown = _TRAILING_WS.sub("", markdown)
    markdown = _BLANK_RUNS.sub("\n\n", markdown)
    markdown = markdown.strip()  # leading spaces on line 1 are noise, never structure
    if len(markdown) > MAX_OUTPUT_CHARS:
        cut = markdown.rfind("\n\n", 0, MAX_OUTPUT_CHARS)
        if cut < MAX_OUTPUT_CHARS // 2:
            cut = markdown.rfind("\n", 0, MAX_OUTPUT_CHARS)
        if cut < MAX_OUTPUT_CHARS // 2:
            cut = MAX_OUTPUT_CHARS
        markdown = markdown[:cut].rstrip() + "\n\n" + TRUNCATED_NOTE
    return markdown


_MD: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _MD
    if _MD is None:
        _MD = MarkdownIt("gfm-like")  # what Textual's Markdown widget uses
    return _MD


def unsafe_tokens(markdown: str, link_refs: int | None = None) -> list[str]:
    """What in `markdown` would be active beyond our own vetted links ([] when nothing).

    Parses exactly as Textual's Markdown widget does and reports raw HTML, images, and
    links whose href is not an http(s) URL allowed by `text.check_url`. With `link_refs`
    (the number of vetted links), hrefs must instead be `#link-N` with N in 1..link_refs.
    """
    problems: list[str] = []
    for token in _parser().parse(markdown):
        for item in [token, *(token.children or [])]:
            if item.type in ("html_block", "html_inline", "image"):
                problems.append(f"{item.type}: {item.content[:60]!r}")
            elif item.type == "link_open":
                href = str(item.attrGet("href") or "")
                if link_refs is not None:
                    if link_ref_number(href, link_refs) is None:
                        problems.append(f"link: {href[:60]!r}")
                elif not href.lower().startswith(("http://", "https://")) or not (
                    check_url(href).ok
                ):
                    problems.append(f"link: {href[:60]!r}")
    return problems


def _plain_markdown(blocks: list[str]) -> str:
    return _tidy("\n\n".join(_strict_escape(block) for block in blocks))


# --------------------------------------------------------------------------- public API


def link_ref_number(href: str, count: int) -> int | None:
    """N for an href `#link-N` with 1 <= N <= count, else None."""
    if not href.startswith(LINK_REF_PREFIX):
        return None
    digits = href[len(LINK_REF_PREFIX) :]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 6:
        return None
    number = int(digits)
    return number if 1 <= number <= count else None


def html_to_markdown(html: str, base_url: str = "", *, link_refs: bool = False) -> RenderedBody:
    """Convert an untrusted HTML body to inert Markdown for the reading pane.

    Relative links and image sources resolve against `base_url` (itself checked by the URL
    policy). Never raises for any string input and never fetches anything. With
    `link_refs`, every link's href is the opaque `#link-N` (N: its number in `links`), so a
    click is looked up in `links` and never trusted as a URL (see `link_ref_number`).
    """
    source = _as_text(html)
    source = clean_text(source[:MAX_INPUT_CHARS])
    words = word_count(source)
    source = _HTML5_VOID.sub(r"\g<0></\1>", source)
    # A leading XML declaration carries no content; bs4 would warn about it on stderr.
    if source.lstrip().startswith("<?"):
        source = _XML_DECLARATION.sub("", source, count=1)
    base = check_url(base_url).url if base_url else ""
    try:
        soup = _Soup(source, _PARSER)
    except Exception:  # a parser bug must not take the reading pane down
        text = html_lib.unescape(_strip_tags(source))
        return RenderedBody(_plain_markdown(text.split("\n\n")), (), (), words)
    try:
        info = _prepare(soup)
        converter = _Converter(
            base, info.ol_numbers, info.first_rows, info.column_counts, link_refs
        )
        markdown = _tidy(converter.convert_soup(soup))
        links, images = tuple(converter.links), tuple(converter.images)
    except Exception:
        # Includes RecursionError if a caller already sits deep in the stack.
        markdown, links, images = "", (), ()
    else:
        problems = unsafe_tokens(markdown, len(links)) if link_refs else unsafe_tokens(markdown)
        if not problems:
            return RenderedBody(markdown, links, images, words)
    # Defence in depth: a conversion we cannot vouch for is shown as escaped paragraphs.
    # The vetted links and images stay available by number.
    return RenderedBody(_plain_markdown(_text_blocks(soup)), links, images, words)


# --------------------------------------------------------------------------- cheap text


def plain_summary(html: str, max_chars: int = 300) -> str:
    """The start of a body as one sanitised line of plain text (for list rows and previews).

    Plain text, not Markdown or markup: the UI must display it as literal text.
    """
    if max_chars <= 0:
        return ""
    source = _as_text(html)
    # Entities shrink when decoded, so collect a generous amount of raw text.
    text = _strip_tags(source[:MAX_INPUT_CHARS], stop_after=max_chars * 8 + 64)
    return clean_line(html_lib.unescape(text), max_length=max_chars)
