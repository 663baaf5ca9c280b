"""The Import dialog: subscribe to every feed of an OPML file or a newsboat `urls` file,
from inside the reader (the library is locked while the reader is open, so the command
line's `tui-reader import` cannot write to it then).

The path field completes file and folder names as you type (→ or End accepts); the file
is read and parsed in a thread through `importing`, the code `tui-reader import` uses, and
an unusable file is explained under the field, where the path can be corrected.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker, WorkerState

from ..importing import ImportFailed, ImportOutcome, apply_import, read_import_file
from ..store import Store, StoreError
from ..ui_text import plain
from ..widgets.footer import ReaderFooter
from ..workers import report_worker_error

# A folder with more entries than this is not listed for completion (a slow disk, /nix/store).
MAX_LISTED = 5000


def _completion(value: str) -> str | None:
    """`value` completed with the first file or folder name that it begins (folders end in
    "/"), or None. `~` is understood and kept as typed."""
    if not value:
        return None
    expanded = os.path.expanduser(value)
    if os.sep in expanded:
        folder, prefix = expanded.rsplit(os.sep, 1)
        directory = Path(folder or os.sep)
    else:
        directory, prefix = Path("."), expanded
    try:
        with os.scandir(directory) as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= MAX_LISTED:
                    return None
                if entry.name.startswith(prefix) and (
                    prefix.startswith(".") or entry.name[0] != "."
                ):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    for name, is_dir in sorted(names):
        if name == prefix and not is_dir:
            continue  # already complete
        rest = name[len(prefix) :] + (os.sep if is_dir else "")
        if rest:
            return value + rest
    return None


class PathSuggester(Suggester):
    """Suggests the rest of a file or folder name, read from the disk in a thread."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(_completion, value)


class ImportScreen(ModalScreen[ImportOutcome | None]):
    """Ask for a file, import it; returns what the import did (None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="import.cancel")]

    DEFAULT_CSS = """
    ImportScreen { align: center middle; }
    ImportScreen > Vertical {
        width: 76; max-width: 95%; height: auto;
        border: round $accent; background: $panel; padding: 1 2;
    }
    ImportScreen #import-hint { color: $text-muted; }
    ImportScreen #import-path { margin-top: 1; }
    ImportScreen #import-error { color: $error; height: auto; }
    ImportScreen #import-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ImportScreen #import-buttons Button { margin-left: 1; }
    """

    def __init__(self, store: Store, start: str = "") -> None:
        super().__init__()
        self._store = store
        self._start = start

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Import subscriptions"
            yield Label("An OPML file from any reader, or newsboat's urls file")
            yield Static(
                "→ completes a name; ~ is your home folder. Feeds are added, then r fetches them.",
                id="import-hint",
                markup=False,
            )
            yield Input(
                value=self._start,
                placeholder="~/subscriptions.opml",
                id="import-path",
                suggester=PathSuggester(),
            )
            yield Static(id="import-error", markup=False)
            with Horizontal(id="import-buttons"):
                yield Button("Cancel", id="import-cancel")
                yield Button("Import", id="import-ok", variant="primary")
        yield ReaderFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#import-error").display = False
        self.query_one("#import-path", Input).focus()

    def show_error(self, message: str) -> None:
        error = self.query_one("#import-error", Static)
        error.update(plain(message, multiline=True))
        error.display = True

    @on(Input.Submitted)
    @on(Button.Pressed, "#import-ok")
    def _submit(self) -> None:
        typed = self.query_one("#import-path", Input).value.strip()
        if not typed:
            self.show_error("Type the path of the file to import.")
            return
        button = self.query_one("#import-ok", Button)
        if button.disabled:
            return  # already reading it
        button.disabled = True
        path = Path(os.path.expanduser(typed))
        self.run_worker(self._import(path), group="import", exit_on_error=False)

    async def _import(self, path: Path) -> None:
        try:
            # Reading and parsing (up to 8 MiB of OPML) in a thread: the screen stays live.
            plan = await asyncio.to_thread(read_import_file, path)
            # exec:/filter: entries: a newsboat urls file asks (showing each command);
            # an OPML file's are refused (`tui-reader import --allow-commands` takes them).
            allowed = False
            if plan.commands and plan.source == "newsboat":
                from .command_confirm import allow_commands

                texts = [c.subscription.url for c in plan.commands]
                allowed = await allow_commands(self.app, texts)
            outcome = apply_import(self._store, plan, path.name, allow_commands=allowed)
        except (ImportFailed, StoreError) as exc:
            self.query_one("#import-ok", Button).disabled = False
            self.show_error(str(exc))
            self.query_one("#import-path", Input).focus()
            return
        self.dismiss(outcome)

    @on(Worker.StateChanged)
    def _worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.query_one("#import-ok", Button).disabled = False
        report_worker_error(self, event)

    @on(Button.Pressed, "#import-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
