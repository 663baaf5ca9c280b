"""newsboat ``urls`` import: one address per line, then optional quoted tags."""

from __future__ import annotations

import io
import re

from .common import (
    MAX_FOLDER_DEPTH,
    MAX_LINE_LENGTH,
    ImportPlan,
    _Collector,
    _depth_note,
    _folder_name,
)

# A newsboat line "looks like" an entry when it starts with an address-like word, so that
# a JSON or text file is refused as a whole instead of producing a refusal per line.
_ENTRY_LIKE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:feed|query|exec|filter):)", re.I)

_TOKEN_BLANKS = " \t\r\f\v"


def _split_line(line: str) -> list[str] | None:
    """Split a newsboat line into words; ``"..."`` quotes, ``\\`` escapes inside quotes.

    Returns None for an unterminated quote. Unlike `shlex` it never raises, and ``'`` and
    ``\\`` outside quotes are ordinary characters (URLs contain them).
    """
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] in _TOKEN_BLANKS:
            i += 1
            continue
        buf: list[str] = []
        while i < n and line[i] not in _TOKEN_BLANKS:
            char = line[i]
            if char != '"':
                buf.append(char)
                i += 1
                continue
            i += 1
            while True:
                if i >= n:
                    return None
                char = line[i]
                if char == "\\" and i + 1 < n:
                    buf.append(line[i + 1])
                    i += 2
                elif char == '"':
                    i += 1
                    break
                else:
                    buf.append(char)
                    i += 1
        tokens.append("".join(buf))
    return tokens


def _category_from_tag(tag: str) -> tuple[str, bool]:
    """Category path for a newsboat tag and whether the depth cap merged levels."""
    names = [_folder_name(part) for part in tag.split("/")]
    names = [name for name in names if name]
    capped = len(names) > MAX_FOLDER_DEPTH
    return "/".join(names[:MAX_FOLDER_DEPTH]), capped


def _parse_newsboat(text: str) -> tuple[ImportPlan, int]:
    """The plan, and how many lines looked like entries (see `_ENTRY_LIKE`)."""
    collector = _Collector()
    entry_lines = 0
    hidden = 0
    capped = 0
    # Iterating a StringIO keeps one line in memory at a time; newline="\n" splits on
    # LF only, like newsboat (a stray CR or U+2028 stays inside its line).
    for number, raw_line in enumerate(io.StringIO(text, newline="\n"), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        if len(line) > MAX_LINE_LENGTH:
            collector.reject(where, f"the line is longer than {MAX_LINE_LENGTH} characters")
            continue
        tokens = _split_line(line)
        if tokens is None:
            collector.reject(where, 'a quote (") is not closed, so the line cannot be read')
            continue
        if not tokens or not tokens[0].strip():
            collector.reject(where, "no feed address")
            continue
        url, tags = tokens[0], tokens[1:]
        if _ENTRY_LIKE.match(url.strip()):
            entry_lines += 1
        lowered = url.strip().lower()
        if lowered.startswith("query:"):
            collector.reject(where, "newsboat query feed, not supported")
            continue
        title = next((tag[1:] for tag in tags if tag.startswith("~")), "")
        first_tag = next((tag for tag in tags if tag and tag[0] not in "~!"), "")
        category, was_capped = _category_from_tag(first_tag)
        capped += was_capped
        hidden += any(tag.startswith("!") for tag in tags)
        if lowered.startswith(("exec:", "filter:")):
            # Kept apart: imported only if the user allows it (importing.py).
            collector.add_command(url, (title,), category, where)
            continue
        collector.add_feed(url, (title,), category, where)
    if hidden:
        collector.notes.append(
            f"{hidden} feed(s) were hidden in newsboat (a '!' tag); they are imported as "
            "ordinary feeds."
        )
    if capped:
        collector.notes.append(_depth_note(capped))
    return collector.plan("newsboat"), entry_lines


def parse_newsboat_urls(text: str) -> ImportPlan:
    """Parse a newsboat ``urls`` file (see the module docstring); never raises.

    Each line is an address followed by optional tags, quoted with ``"`` when they contain
    blanks: ``"~Name"`` sets the title, ``"!tag"`` hides the feed in newsboat (ignored
    here), and the first other tag is the category. ``#`` starts a comment line.
    """
    return _parse_newsboat(text)[0]
