"""Read and starred flags: single and bulk changes, and undo (`z`).

Every change, one article or ten thousand, goes through `FlagController.change`, which
writes the store (memory at once, disk off the UI thread), asks the screen to recount
(the store is the one source of counts) and remembers the change so that `z` can take
it back (the last `UNDO_DEPTH` changes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from ... import clock
from ...models import Article
from ...store import Store, StoreError
from ...ui_text import plain_str
from ...views import View
from .syncing import queue_mark_all

if TYPE_CHECKING:
    from .host import MainHost

UNDO_DEPTH = 50
Flag = Literal["read", "starred"]
_AGE = re.compile(r"^\s*(\d{1,4})\s*([hdwm])\s*$")
_AGE_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class FlagChange:
    """One user action: `flag` was set to `value` on `articles` (who had `not value`)."""

    description: str
    flag: Flag
    value: bool
    articles: tuple[Article, ...]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class FlagController:
    """Flag changes, bulk marking and undo."""

    def __init__(self, host: MainHost, store: Store) -> None:
        self.host = host
        self.store = store
        self._undo: list[FlagChange] = []

    def change(
        self, articles: Sequence[Article], flag: Flag, value: bool, description: str = ""
    ) -> list[Article]:
        """Set `flag` to `value` on `articles`; returns the ones that changed.

        Read / unread goes to every copy of the story in other feeds too (a star stays
        on the copy starred); `z` takes back exactly what changed, copies included."""
        setter = self.store.set_read if flag == "read" else self.store.set_starred
        ids = [a.id for a in articles]
        dups = self.store.duplicates
        if flag == "read" and dups is not None:
            ids = dups.with_copies(ids)
        try:
            changed_ids = set(setter(ids, value))
        except StoreError as exc:
            self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
            return []
        changed = [a for a in articles if a.id in changed_ids]
        if not changed_ids:
            return []
        copies = (self.store.article(i) for i in changed_ids.difference(a.id for a in articles))
        undone = (*changed, *(c for c in copies if c is not None))
        self.host.recount()
        self._undo.append(FlagChange(description, flag, value, undone))
        del self._undo[:-UNDO_DEPTH]
        return changed

    def undo(self) -> None:
        if not self._undo:
            self.host.notify("Nothing to undo.", timeout=2)
            return
        change = self._undo.pop()
        setter = self.store.set_read if change.flag == "read" else self.store.set_starred
        try:
            setter([a.id for a in change.articles], not change.value)
        except StoreError as exc:
            self.host.notify(plain_str(exc, multiline=True), severity="error", markup=False)
            self._undo.append(change)
            return
        self.host.recount()
        what = change.description or (
            f"{'starred' if change.flag == 'starred' else 'read'} "
            f"{_plural(len(change.articles), 'article')}"
        )
        self.host.notify(plain_str(f"Undone: {what}.", multiline=True), timeout=3, markup=False)

    # ---------------------------------------------------------------- bulk

    def _unread_in_list(self) -> list[Article]:
        """The rows with something unread: the row, or a copy of its story in another
        feed (marked unread there, e.g. by a sync server), which `change` marks too."""
        dups, is_read = self.store.duplicates, self.store.is_read
        return [
            a
            for a in self.host.article_list.articles
            if not is_read(a.id)
            or (dups is not None and not all(is_read(i) for i in dups.copies(a.id)))
        ]

    def mark_view_read(self) -> None:
        unread = self._unread_in_list()
        host = self.host
        where = "these search results" if host.searching else (host.view.label or "this view")
        if not unread:
            self.host.notify(
                plain_str(f"Nothing unread in {where}.", multiline=True), timeout=2, markup=False
            )
            return
        question = f"Mark {_plural(len(unread), 'article')} in {where} read?"
        # A bound library also sends the server's own mark-all for the view (issue 17).
        self._confirm_mark_read(unread, question, None if host.searching else host.view)

    def mark_older_read(self) -> None:
        def chosen(answer: str | None) -> None:
            if not answer:
                return
            match = _AGE.match(answer.lower())
            if match is None:
                self.host.notify(
                    plain_str(
                        f"{answer!r} is not an age: use e.g. 12h, 7d, 2w or 3m.", multiline=True
                    ),
                    severity="warning",
                    markup=False,
                )
                return
            count, unit = int(match.group(1)), match.group(2)
            span = timedelta(days=30 * count) if unit == "m" else _AGE_UNITS[unit] * count
            cutoff = clock.now() - span
            older = [a for a in self._unread_in_list() if a.published < cutoff]
            if not older:
                self.host.notify(
                    plain_str(f"No unread articles older than {answer}.", multiline=True),
                    timeout=3,
                    markup=False,
                )
                return
            self._confirm_mark_read(
                older, f"Mark {_plural(len(older), 'article')} older than {answer} read?"
            )

        from ..dialogs import PromptScreen

        self.host.app.push_screen(
            PromptScreen("Mark older articles read", "Older than (e.g. 12h, 7d, 2w, 3m):", "7d"),
            chosen,
        )

    def _confirm_mark_read(
        self, articles: list[Article], question: str, view: View | None = None
    ) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                description = f"marked {_plural(len(articles), 'article')} read"
                changed = self.change(articles, "read", True, description)
                if view is not None and changed:
                    try:
                        queue_mark_all(self.store, view)
                    except StoreError as exc:
                        self.host.notify(plain_str(exc), severity="error", markup=False)
                self.host.notify(
                    plain_str(
                        f"Marked {_plural(len(changed), 'article')} read. Press z to undo.",
                        multiline=True,
                    ),
                    timeout=4,
                    markup=False,
                )

        from ..dialogs import ConfirmScreen

        self.host.app.push_screen(ConfirmScreen("Mark read", question, "Mark read"), answered)
