"""The one way text reaches a place where Textual would parse a string as markup.

Textual reads a plain `str` as content markup in many places besides `Static`: border
titles and subtitles, tooltips, button and tab labels, option prompts, tree labels,
command palette hits and help, notification messages. A feed title such as
`[@click=app.quit]X[/]` in any of them is a live action; `[/]` is a crash.

Every such place is fed by this module: `plain` builds a `Content` (never parsed) from
text passed through `text.clean_line` / `clean_text`; `plain_text` the same as a Rich
`Text` (for `DataTable` cells); `plain_str` gives the cleaned `str` for the few sinks that
take only a `str` and draw it literally (`Screen.sub_title`, `notify(..., markup=False)`).

`tests/test_markup_sinks.py` fails on any non-literal value that reaches a sink without
one of them.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from .text import clean_line, clean_text


def plain(value: object, max_length: int | None = None, *, multiline: bool = False) -> Content:
    """`value` as literal `Content`: sanitised (one line unless `multiline`), never markup."""
    cleaned = clean_text(value, max_length) if multiline else clean_line(value, max_length)
    return Content(cleaned)


def plain_str(value: object, max_length: int | None = None, *, multiline: bool = False) -> str:
    """`value` sanitised, for sinks that take only a `str` and never parse it as markup
    (`Screen.sub_title`, `notify(..., markup=False)` messages and titles)."""
    return clean_text(value, max_length) if multiline else clean_line(value, max_length)


def plain_text(value: object, max_length: int | None = None, *, style: str = "") -> Text:
    """`value` as a literal `rich.text.Text`, for sinks that want Rich text (`DataTable`
    cells, `Tree` labels): sanitised, never markup."""
    return Text(clean_line(value, max_length), style=style)
