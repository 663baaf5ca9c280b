"""Importing a subscription list (OPML or a newsboat `urls` file) into the library: the
one path that `tui-reader import` and the reader's Import dialog both take.

Reading and parsing (`read_import_file`) touch no store, so a front end can run them in
a thread and show their error before anything changes; `apply_import` then adds the
feeds. No Textual or Rich here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .feeds.command_url import shown
from .opml import MAX_INPUT_BYTES, ImportFormatError, ImportPlan, Rejected, read_subscriptions
from .store import Store
from .text import clean_line


class ImportFailed(Exception):
    """The file cannot be imported at all; `str(exc)` is a plain-words reason."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What an import did; every string is sanitised and safe to print or show."""

    name: str  # the file's name
    added: int
    present: int  # already subscribed (or listed twice in the file)
    rejected: tuple[Rejected, ...]
    notes: tuple[str, ...]
    # `exec:`/`filter:` entries left out because the user did not allow commands (their
    # text, sanitised); they are in `rejected` too.
    commands_refused: tuple[str, ...] = ()

    def summary(self) -> str:
        return (
            f"Imported {self.name}: {self.added} added, {self.present} already present, "
            f"{len(self.rejected)} rejected."
        )

    def details(self) -> list[str]:
        """One line per note and per refused entry."""
        return [f"note: {n}" for n in self.notes] + [
            f"rejected {r.where}: {r.reason}" for r in self.rejected
        ]


def read_import_file(path: Path) -> ImportPlan:
    """Read and parse `path`; `ImportFailed` says why it cannot be imported."""
    name = clean_line(path.name) or clean_line(str(path))
    try:
        if path.is_dir():
            raise ImportFailed(f"{name} is a folder: choose the file inside it")
        with path.open("rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)  # more than the limit: refused as too big
    except OSError as exc:
        raise ImportFailed(f"cannot read {clean_line(str(path))}: {exc.strerror}") from None
    try:
        return read_subscriptions(data, filename=path.name)
    except ImportFormatError as exc:
        raise ImportFailed(f"{name}: {exc}") from None


COMMAND_REFUSED = "runs a command on this computer; not imported (commands need --allow-commands)"


def apply_import(
    store: Store, plan: ImportPlan, name: str, *, allow_commands: bool = False
) -> ImportOutcome:
    """Subscribe to every feed of `plan` not subscribed yet (nothing is fetched).

    A `user:password@` in an address (newsboat's way to log in) is taken out before the
    feed is stored: a login belongs in the config (README "Feeds behind a login").

    `plan.commands` (`exec:`/`filter:`) are subscribed to, and marked as allowed to run,
    only with `allow_commands`: the user said so at this import (`--allow-commands`, or
    yes to the list of commands). Without it they are refused, whatever the file says.
    """
    added = present = 0
    notes = list(plan.notes)
    logins: set[str] = set()
    for sub in plan.subscriptions:
        url = sub.url
        if "@" in url:
            from .feeds.auth import split_login, table_name

            given = split_login(url)
            if given is not None:
                url = given.url
                logins.add(table_name(url))
        _, created = store.add_feed(url, sub.title, sub.category)
        if created:
            added += 1
        else:
            present += 1
    for host in sorted(logins):
        notes.append(
            f"the user name and password in the addresses of {host} were not stored; "
            f'to log in, add [auth."{host}"] with user and password_command to the config'
        )
    rejected = list(plan.rejected)
    refused: list[str] = []
    for command in plan.commands:
        sub = command.subscription
        if not allow_commands:
            refused.append(shown(sub.url, 1000))
            rejected.append(Rejected(command.where, COMMAND_REFUSED))
            continue
        _, created = store.add_feed(sub.url, sub.title, sub.category, trust_command=True)
        if created:
            added += 1
        else:
            present += 1
    return ImportOutcome(
        clean_line(name),
        added,
        present + plan.duplicates,
        tuple(rejected),
        tuple(notes),
        tuple(refused),
    )
