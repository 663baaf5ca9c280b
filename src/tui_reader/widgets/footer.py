"""The key footer: Textual's `Footer`, rebuilt at most once per refresh, cut to fit.

Textual's footer rebuilds all its keys for every "bindings changed" signal, and the
reader sends several in one frame (at start: focus, the list's cursor, the sidebar's
cursor). Each rebuild takes 15 ms, and they all run before the next key is handled; one
rebuild, reading the bindings as they are by then, shows the same keys.

Textual's footer also lets keys run off the right edge, and the last ones there are `?`
and `q`. This one drops keys until the rest fit, the least useful first
(`keys.FOOTER_DROP_ORDER`); `?` and `q` are never dropped.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..keys import FOOTER_DROP_ORDER, FOOTER_KEEP


def _cost(key: FooterKey) -> int:
    # A compact key is "k Word" plus one column of margin (Footer's CSS).
    return cell_len(key.key_display) + 1 + cell_len(key.description) + 1


def fit_keys(keys: list[FooterKey], width: int) -> list[FooterKey]:
    """`keys` in their order, without the least useful ones until they fit in `width`."""
    kept = list(keys)
    total = sum(_cost(k) for k in kept)
    rank = {action: i for i, action in enumerate(FOOTER_DROP_ORDER)}
    droppable = sorted(
        (k for k in kept if k.action not in FOOTER_KEEP),
        # Known keys in the table's order; keys the table does not name (a dialog's) last.
        key=lambda k: rank.get(k.action, len(rank)),
    )
    for key in droppable:
        if total <= width:
            break
        kept.remove(key)
        total -= _cost(key)
    return kept


class ReaderFooter(Footer):
    """`Footer` whose rebuilds requested before the next refresh are merged into one,
    and whose keys always fit its width."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._rebuild_pending = False
        self._built_for_width = 0

    def compose(self) -> ComposeResult:
        made: list[Widget] = list(super().compose())
        keys = [w for w in made if isinstance(w, FooterKey)]
        if len(keys) != len(made):
            yield from made  # binding groups: not used by the reader, shown as Textual does
            return
        width = self.size.width or self.screen.size.width or self.app.size.width
        self._built_for_width = width
        yield from fit_keys(keys, width)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._built_for_width and self._bindings_ready:
            self._schedule_rebuild()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._schedule_rebuild()

    def _schedule_rebuild(self) -> None:
        if not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()
