"""What every subscription-list reader shares: public types, limits, the collector.

See the package docstring (`tui_reader.opml`) for the rules these implement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..feeds.command_url import CommandRejected, parse_command_url
from ..text import (
    UrlRejected,
    check_url,
    clean_line,
    feed_url_key,
    hide_userinfo,
    normalize_feed_url,
)

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_FOLDER_DEPTH = 16
MAX_TITLE_LENGTH = 300
MAX_ENTRIES = 20_000
MAX_REJECTED_LISTED = 1_000
# A newsboat line longer than this is not a subscription anyone typed.
MAX_LINE_LENGTH = 16_384
# Labels inside `Rejected.where` are kept short: they only have to identify the entry.
_WHERE_LABEL_LENGTH = 80
_SHOWN_URL_LENGTH = 160

FOLDER_SLASH = "\u2215"  # DIVISION SLASH: looks like "/", but does not split the path


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed to subscribe to.

    `url` is normalised by `normalize_feed_url`; `category` is "" for uncategorised, else
    a folder path joined with "/". `site_url` is the OPML ``htmlUrl`` when it passes
    `check_url`, else "".
    """

    url: str
    title: str
    category: str
    site_url: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    """An entry that was not imported. Both fields are sanitised and safe to print."""

    where: str  # 'outline "Foo" (line 12)' or 'line 7'
    reason: str


@dataclass(frozen=True, slots=True)
class PlannedCommand:
    """An `exec:`/`filter:` entry: subscribed to only if the user allows it at import
    (`importing.apply_import(allow_commands=True)`). `subscription.url` is the command
    text as the library stores it; `where` as in `Rejected`."""

    subscription: Subscription
    where: str


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What an import would do; the caller decides and writes to the store."""

    subscriptions: tuple[Subscription, ...]
    rejected: tuple[Rejected, ...]
    duplicates: int
    notes: tuple[str, ...]
    # Entries that run commands, kept apart: never imported without the user's say-so.
    commands: tuple[PlannedCommand, ...] = ()
    # "opml" or "newsboat": an OPML file never gets to ask (see importing.py).
    source: str = ""


class ImportFormatError(Exception):
    """The file is unusable as a whole; `str(exc)` is a plain-words reason."""


# --------------------------------------------------------------------------- helpers


# Any "//userinfo@" (greedy up to the last "@" of the authority, like urlsplit) is hidden.
def _scrub(value: str) -> str:
    """Hide credentials in a string that will be shown (titles, reasons, notes)."""
    return hide_userinfo(value)


def _shown_url(raw: str) -> str:
    """A URL for messages: sanitised, shortened, without any credentials."""
    shown = check_url(raw[: _SHOWN_URL_LENGTH * 4]).shown
    return clean_line(_scrub(shown), _SHOWN_URL_LENGTH)


def _check_import_url(raw: str) -> str:
    """The URL to subscribe to, or `UrlRejected` with a plain-words reason."""
    return normalize_feed_url(raw.strip())


def _site_url(raw: str) -> str:
    """The OPML ``htmlUrl`` if it may be shown as a link, without any credentials."""
    if not raw:
        return ""
    url = check_url(raw).url
    # A home page link never needs a password, and it ends up on screen and in the browser.
    # Only an "@" in the authority is userinfo: Mastodon's "https://host/@name" has none.
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _clean_name(value: object) -> str:
    return _scrub(clean_line(value, MAX_TITLE_LENGTH))


def _folder_name(value: object) -> str:
    return _clean_name(value).replace("/", FOLDER_SLASH)


def _where_outline(label: str, line: int) -> str:
    short = clean_line(label, _WHERE_LABEL_LENGTH)
    return f'outline "{short}" (line {line})' if short else f"outline (line {line})"


class _Collector:
    """Accumulates one import: dedup, caps, rejections and notes."""

    def __init__(self) -> None:
        self.subscriptions: list[Subscription] = []
        self.rejected: list[Rejected] = []
        self.rejected_unlisted = 0
        self.duplicates = 0
        self.entries = 0
        self.skipped_over_cap = 0
        self.notes: list[str] = []
        self.commands: list[PlannedCommand] = []
        self._seen: set[str] = set()

    def _count_entry(self) -> bool:
        """False when the entry cap is reached (the entry is then only counted)."""
        if self.entries >= MAX_ENTRIES:
            self.skipped_over_cap += 1
            return False
        self.entries += 1
        return True

    def reject(self, where: str, reason: str) -> None:
        if not self._count_entry():
            return
        if len(self.rejected) >= MAX_REJECTED_LISTED:
            self.rejected_unlisted += 1
            return
        self.rejected.append(Rejected(where=_scrub(where), reason=_scrub(reason)))

    def add_feed(
        self,
        raw_url: str,
        titles: Sequence[object],
        category: str,
        where: str,
        site_url: str = "",
    ) -> None:
        try:
            url = _check_import_url(raw_url)
        except UrlRejected as exc:
            shown = _shown_url(raw_url)
            reason = clean_line(str(exc), 200)
            self.reject(where, f"{reason}: {shown}" if shown else reason)
            return
        if not self._count_entry():
            return
        key = feed_url_key(url)
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen.add(key)
        title = ""
        for candidate in titles:
            title = _clean_name(candidate)
            if title:
                break
        if not title:
            title = _clean_name(urlsplit(url).hostname or url)
        self.subscriptions.append(Subscription(url, title, category, site_url))

    def add_command(self, raw: str, titles: Sequence[object], category: str, where: str) -> None:
        """An `exec:`/`filter:` entry: checked and kept apart (`ImportPlan.commands`)."""
        try:
            text = parse_command_url(raw).text
        except CommandRejected as exc:
            self.reject(where, f"a command that cannot be run: {exc}")
            return
        if not self._count_entry():
            return
        if text in self._seen:
            self.duplicates += 1
            return
        self._seen.add(text)
        title = next((t for t in (_clean_name(c) for c in titles) if t), "")
        subscription = Subscription(text, title, category)
        self.commands.append(PlannedCommand(subscription, _scrub(where)))

    def plan(self, source: str = "") -> ImportPlan:
        notes = list(self.notes)
        if self.rejected_unlisted:
            notes.append(f"{self.rejected_unlisted} more refused entries are not listed.")
        if self.skipped_over_cap:
            notes.append(
                f"Only the first {MAX_ENTRIES} entries were read; "
                f"{self.skipped_over_cap} more were ignored."
            )
        return ImportPlan(
            subscriptions=tuple(self.subscriptions),
            rejected=tuple(self.rejected),
            duplicates=self.duplicates,
            notes=tuple(_scrub(note) for note in notes),
            commands=tuple(self.commands),
            source=source,
        )


def _depth_note(merged: int) -> str:
    return (
        f"{merged} folder(s) were nested deeper than {MAX_FOLDER_DEPTH} levels; "
        f"their feeds were put in their level-{MAX_FOLDER_DEPTH} folder."
    )


def _too_big(size: int) -> str:
    return (
        f"the file is too large ({size // 1024} KiB; "
        f"subscription lists over {MAX_INPUT_BYTES // (1024 * 1024)} MiB are refused)"
    )
