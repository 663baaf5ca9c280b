"""Command palette (Ctrl+P): every action of the reader, plus "go to" any feed, category
or saved search, with fuzzy matching.

Feed titles are untrusted, so hits are built as `ui_text.plain(text)` with the match
styled on top; Textual's `Matcher.highlight` would parse the title as markup. The palette
parses a `str` help as markup, so help is `plain(...)` too. The actions and their keys
come from `keys.KEYS`, with the user's `[keys]` remaps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .keys import palette_actions
from .text import clean_line
from .ui_text import plain
from .views import SORTS, View

if TYPE_CHECKING:
    from .screens.main import MainScreen


class ReaderCommands(Provider):
    """Actions and "go to" targets of the main screen."""

    def _targets(self, screen: MainScreen) -> list[tuple[str, Callable[[], object], str]]:
        targets: list[tuple[str, Callable[[], object], str]] = []
        for label, action, help_text in palette_actions(screen.key_remaps):
            targets.append((label, partial(screen.run_action, action), help_text))
        for key, description in SORTS:
            targets.append((f"Sort by {description}", partial(screen.set_sort, key), "t"))
        for name, query in screen.saved_searches():
            view = View("saved", query, label=name)
            targets.append((f"Go to saved search: {name}", partial(screen.go_to, view), ""))
            targets.append(
                (f"Delete saved search: {name}", partial(screen.delete_saved_search, query), "")
            )
        for category in screen.store.categories():
            view = View("category", category, label=category)
            targets.append((f"Go to category: {category}", partial(screen.go_to, view), ""))
        for feed in screen.store.feeds():
            view = View("feed", feed.id, label=feed.display_title)
            targets.append((f"Go to feed: {feed.display_title}", partial(screen.go_to, view), ""))
        return [(clean_line(label, 200), run, help_text) for label, run, help_text in targets]

    def _screen(self) -> MainScreen | None:
        from .screens.main import MainScreen

        screen = self.screen
        return screen if isinstance(screen, MainScreen) else None

    async def discover(self) -> Hits:
        screen = self._screen()
        if screen is None:
            return
        actions = len(palette_actions({}))
        for label, run, help_text in self._targets(screen)[:actions]:
            # The palette reads `help` as markup (a remapped key can be "["): Content.
            help_content = plain(help_text) if help_text else None
            yield DiscoveryHit(plain(label), run, text=label, help=help_content)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        screen = self._screen()
        if screen is None:
            return
        matcher = self.matcher(query)
        for label, run, help_text in self._targets(screen):
            score, offsets = matcher.fuzzy_search.match(query, label)
            if score > 0:
                display = plain(label)
                for offset in offsets:
                    display = display.stylize(matcher.match_style, offset, offset + 1)
                help_content = plain(help_text) if help_text else None
                yield Hit(score, display, run, text=label, help=help_content)
