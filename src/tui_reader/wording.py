"""Counts in words for messages a person reads: "1 feed", "2 feeds", "0 feeds"."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun that goes with it: plural(1, "feed") == "1 feed"."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"
