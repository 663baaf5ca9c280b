"""`b`: hand an article to the user's `bookmark_command` (newsboat's bookmark-cmd), the
way people post to Pocket, Wallabag, linkding or a notes file.

The command gets four arguments: the article's URL, its title, the feed's title and a
description (the start of the article's text). Only an http(s) URL that passes the URL
policy (`text.check_url`) is ever handed over; the three texts go through
`external.safe_argument` (one line, no control characters, capped, never option-like).
newsboat passed the description third and the feed fourth: README "Bookmarks" says so
for scripts written for it.
"""

from __future__ import annotations

import html

from .external import CommandError, command_words, run_command, run_in_terminal, safe_argument
from .htmltext import strip_tags
from .text import check_url

# Characters of the article's text given as the description.
DESCRIPTION_LIMIT = 500

CONFIG_HINT = 'bookmark_command = "/path/to/your-bookmark-script"'


def description_of(body_html: str) -> str:
    """The start of an article's text, as one plain line."""
    text = html.unescape(strip_tags(body_html, stop_after=DESCRIPTION_LIMIT * 2))
    return safe_argument(" ".join(text.split()), DESCRIPTION_LIMIT)


def bookmark_argv(
    command: str, url: str, title: str, feed_title: str, description: str
) -> list[str]:
    """The command's argv; `CommandError` if there is no command or the URL is refused."""
    if not command.strip():
        raise CommandError(f"No bookmark command is set. Add a line to the config: {CONFIG_HINT}")
    verdict = check_url(url)
    if not verdict.ok:
        raise CommandError(f"Not bookmarked: {verdict.reason}.")
    words = command_words(command, "bookmark_command")
    return [
        *words,
        verdict.url,
        safe_argument(title),
        safe_argument(feed_title),
        safe_argument(description, DESCRIPTION_LIMIT),
    ]


def run_bookmark(argv: list[str], interactive: bool = False) -> None:
    """Run the bookmark command; `interactive` (newsboat's bookmark-interactive): in the
    foreground with the terminal, which the caller has handed over (suspended app)."""
    if interactive:
        run_in_terminal(argv, "bookmark_command")
    else:
        run_command(argv, "bookmark_command")
