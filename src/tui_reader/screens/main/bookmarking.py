"""`b`: send the article to the user's `bookmark_command` (`bookmark.py`), and say in a
toast that it was bookmarked, why not, or which config line to add."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ...ui_text import plain_str

if TYPE_CHECKING:
    from ...config import Config
    from ...models import Article
    from ...store import Store
    from .host import MainHost


def bookmark_article(host: MainHost, store: Store, config: Config, article: Article | None) -> None:
    """Run bookmark_command on `article` (in a thread, or in the terminal when
    `bookmark_interactive`); the outcome is told in a toast."""
    from ...bookmark import CONFIG_HINT, bookmark_argv, description_of
    from ...external import CommandError

    if article is None:
        return
    if not config.bookmark_command.strip():
        host.notify(
            plain_str(
                f"No bookmark command is set. Add this line to {config.source}: {CONFIG_HINT} "
                "(it gets the URL, title, feed title and description).",
                multiline=True,
            ),
            title="Bookmark",
            markup=False,
            timeout=10,
        )
        return
    feed = store.feed(article.feed_id)
    try:
        argv = bookmark_argv(
            config.bookmark_command,
            article.link,
            article.title,
            feed.display_title if feed else "",
            description_of(store.body(article.id)),
        )
    except CommandError as exc:
        _told(host, str(exc), ok=False)
        return
    if config.bookmark_interactive:
        _run_in_terminal(host, argv, article.title)
    else:
        host.run_worker(
            partial(_run, host, argv, article.title),
            thread=True,
            exit_on_error=False,
            group="bookmark",
        )


def _run_in_terminal(host: MainHost, argv: list[str], title: str) -> None:
    from textual.app import SuspendNotSupported

    from ...bookmark import run_bookmark
    from ...external import CommandError

    try:
        with host.app.suspend():
            run_bookmark(argv, interactive=True)
    except SuspendNotSupported:
        _told(host, "This terminal cannot hand itself to bookmark_command.", ok=False)
    except CommandError as exc:
        _told(host, str(exc), ok=False)
    else:
        _told(host, f"Bookmarked: {title}", ok=True)


def _run(host: MainHost, argv: list[str], title: str) -> None:
    from ...bookmark import run_bookmark
    from ...external import CommandError

    try:
        run_bookmark(argv)
    except CommandError as exc:
        host.app.call_from_thread(_told, host, str(exc), ok=False)
    else:
        host.app.call_from_thread(_told, host, f"Bookmarked: {title}", ok=True)


def _told(host: MainHost, message: str, *, ok: bool) -> None:
    host.notify(
        plain_str(message, multiline=True),
        title="Bookmark",
        severity="information" if ok else "warning",
        markup=False,
        timeout=4 if ok else 10,
    )
