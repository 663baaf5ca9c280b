"""Tables: which ones the reading pane can show as a grid, and the rest as records.

The reading pane cuts a grid that is wider than itself ("D…", "Veh…"), and the body is
rendered before any pane width is known. So the rule is fixed: a table is a grid only if
its widest cells, side by side, fit `TABLE_MAX_WIDTH` cells, about the narrowest text
column the pane has (a 120x40 terminal with the default split gives it 37; 80x24 gives
it 54). Any other table becomes records, one paragraph per row, a line per cell:

    **Vehicle:** Falcon 9
    **Date:** 2024-06-01

A table without a header row gives plain lines (there are no names to put before them).
"""

from __future__ import annotations

from bs4 import Tag

from .policy import _WS

TABLE_MAX_WIDTH = 36
# Grid cells are padded and ruled: about three cells of frame per column, and one more.
FRAME_PER_COLUMN = 3
MAX_MEASURED_ROWS = 200  # enough to know; a huge table is records anyway
# Ends each cell's Markdown in a record table until its row is assembled. Text cannot
# contain it: text nodes went through clean_text, which makes control characters visible.
_CELL = "\x02"


def fits(rows: list[Tag]) -> bool:
    """True if the table whose rows are `rows` is narrow enough to show as a grid."""
    widths: list[int] = []
    for row in rows[:MAX_MEASURED_ROWS]:
        for index, cell in enumerate(row.find_all(["td", "th"], recursive=False)):
            width = len(_WS.sub(" ", cell.get_text()).strip())
            if index < len(widths):
                widths[index] = max(widths[index], width)
            else:
                widths.append(width)
        if sum(widths) + FRAME_PER_COLUMN * len(widths) + 1 > TABLE_MAX_WIDTH:
            return False
    return True


def record_cell(text: str) -> str:
    """A converted cell of a record table, kept for `record_row`."""
    return _WS.sub(" ", text).strip() + _CELL


def split_cells(text: str) -> list[str]:
    """The cells of a row made of `record_cell`s."""
    return text.split(_CELL)[:-1] if _CELL in text else []


def record_row(cells: list[str], names: list[str], line_break: str) -> str:
    """One row as a paragraph: "**name:** value" lines (plain values without names),
    joined by `line_break`; empty cells are left out, and so is an empty row."""
    lines = []
    for index, value in enumerate(cells):
        if not value:
            continue
        name = names[index] if index < len(names) else ""
        lines.append(f"**{name}:** {value}" if name else value)
    if not lines:
        return ""
    return "\n\n" + line_break.join(lines) + "\n\n"
