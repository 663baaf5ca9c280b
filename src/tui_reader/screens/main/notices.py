"""What the main screen says about the view it shows: the header's subtitle and the
explanation of a failing feed. Plain functions of plain values, so that each wording is
tested without a terminal."""

from __future__ import annotations

import re

from ...models import Feed
from ...text import clean_line
from ...wording import local_time

# Every ASCII punctuation character may be backslash-escaped in CommonMark: escaping them
# all makes untrusted text inert (no links, emphasis, headings or HTML).
_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def subtitle(label: str, kind: str, shown: int, unread: int, unread_only: bool) -> str:
    """The header's subtitle: the view's own numbers, never the whole library's.

    `shown`: articles in the list; `unread`: unread articles in the view."""
    if kind == "unread":
        return f"{label} · {_plural(unread, 'article')}"  # all unread: saying so twice is noise
    if unread_only:
        return f"{label} · {unread} unread (read ones hidden: u shows them)"
    return f"{label} · {_plural(shown, 'article')}, {unread} unread"


def markdown_text(value: str) -> str:
    """Untrusted text as one line of inert Markdown."""
    return _PUNCT.sub(r"\\\1", clean_line(value))


def failing_feed(feed: Feed) -> str:
    """Markdown for the reading pane: why the feed shows nothing new, and what to do."""
    title = markdown_text(feed.display_title)
    error = markdown_text(feed.last_error or "unknown error")
    tries = "1 try" if feed.failures == 1 else f"{feed.failures} tries"
    worked = local_time(feed.last_success, "at an unknown time")
    tried = local_time(feed.last_checked, "at an unknown time")
    return (
        f"**{title} is failing:** {error} ({tries} in a row).\n\n"
        f"Last worked: {worked}. Last tried: {tried}.\n\n"
        "Press **R** to try it again, **H** to see every feed's health."
    )


def empty_message(has_feeds: bool, failing: Feed | None, unread_only: bool) -> str:
    """The list's one line when it is empty (for a failing feed, the pane says more)."""
    if not has_feeds:
        return "No feeds yet: a adds one, i imports a list."
    if failing is not None:
        return "Failing: R retries, H shows why."
    if unread_only:
        return "No unread articles here. Press u to show all."
    return "No articles here."
