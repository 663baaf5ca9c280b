"""Counts in words for messages a person reads: "1 feed", "2 feeds", "0 feeds"."""

from __future__ import annotations

from datetime import datetime


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun that goes with it: plural(1, "feed") == "1 feed"."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"


def local_time(moment: datetime | None, unknown: str = "unknown") -> str:
    """`moment` as local "YYYY-MM-DD HH:MM"; "never" for None; `unknown` when it cannot
    be shown (a stored time out of range)."""
    if moment is None:
        return "never"
    try:
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return unknown
