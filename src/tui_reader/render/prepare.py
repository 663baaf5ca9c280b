"""The preparation pass: cleans the parsed tree in place, without recursion, and records
what the converter needs (list numbers, table header rows) so it never searches again."""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from tui_reader.htmltext import BLOCK_TAGS as _BLOCKS
from tui_reader.text import clean_text

from .policy import (
    _DIMENSION,
    _DROP,
    _HIDDEN_STYLE,
    _STYLE_DIMENSION,
    _TABLE_PARTS,
    _WS,
    MAX_BLOCK_NESTING,
    MAX_COLSPAN,
    MAX_DEPTH,
    _attr,
)
from .tables import fits


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
        # Tables too wide for a grid (`tables.fits`): their rows (row id -> table id) and
        # cells, which the converter turns into records.
        self.record_rows: dict[int, int] = {}
        self.record_cells: set[int] = set()


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
    if not fits(rows):
        for row in rows:
            info.record_rows[id(row)] = id(table)
            info.record_cells.update(map(id, row.find_all(["td", "th"], recursive=False)))
