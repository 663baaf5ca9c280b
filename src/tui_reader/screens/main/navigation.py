"""Walking to the next or previous unread article (`n` / `p`), split from the screen."""

from __future__ import annotations

from ...store import Store
from ...views import ALL, articles_for
from .host import MainHost


def walk_unread(host: MainHost, store: Store, step: int) -> None:
    """Show the next (`step` 1) or previous (-1) unread article: in the list first, then
    anywhere in the library as All shows it, moving the sidebar there."""
    current = host.article_list.highlighted
    in_view = list(host.article_list.articles)
    start = in_view.index(current) if current in in_view else -1
    shown = host.reader.current
    if current is not None and (shown is None or shown.article_id != current.id):
        # The row under the cursor has not been read yet: it is the first candidate.
        start -= step
    indices = range(start + 1, len(in_view)) if step > 0 else range(start - 1, -1, -1)
    for index in indices:
        if not store.is_read(in_view[index].id):
            host.article_list.cursor = index
            host.show_article(in_view[index])
            return
    # Not in this view: look through the whole library, newest first.
    everything = articles_for(store, ALL)  # as All shows it: a story once
    position = everything.index(current) if current in everything else -1
    indices = range(position + 1, len(everything)) if step > 0 else range(position - 1, -1, -1)
    for index in indices:
        candidate = everything[index]
        if not store.is_read(candidate.id):
            host.view = ALL
            host.sidebar.move_to(ALL)
            host.article_list.select_article(candidate.id)
            host.show_article(candidate)
            return
    host.notify("No more unread articles that way.", timeout=3)
