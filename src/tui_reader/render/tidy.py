"""The last pass over the Markdown: hard breaks where they mean something, blank-line
runs, trailing spaces, and the output cap."""

from __future__ import annotations

import re

from tui_reader.text import clean_text

from .policy import _BR, _CODE_EDGE

MAX_OUTPUT_CHARS = 100_000
TRUNCATED_NOTE = "\\[… article truncated\\]"


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
