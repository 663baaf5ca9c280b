"""What the sync engine needs from a server, whatever its API.

Ids are strings chosen by each client (Miniflux REST: the decimal entry id; Google Reader:
the long form `tag:google.com,2005:reader/item/<16 hex>`); the engine only compares them and
hands them back to the client that produced them. Every text field has been sanitised
(`text.clean_line`/`clean_text`) and every URL passed through `text.check_url` ("" when it
failed) before it leaves a client.

Errors are plain words for the user, one line, and never hold the secret (password, token,
session): `AuthError`, `ServerUnavailable`, `ProtocolError`, `Cancelled`, all `SyncError`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


class SyncError(Exception):
    """A sync call failed; `str(exc)` is one line a user can read."""


class AuthError(SyncError):
    """The server refused the credentials (wrong user, password or token)."""


class ServerUnavailable(SyncError):
    """The server could not be reached or answered with a temporary failure (5xx,
    timeout, refused connection): keep the outbox and try again later."""


class ProtocolError(SyncError):
    """The server answered, but not as the API says (bad JSON, a 4xx, a missing field)."""


class Cancelled(SyncError):
    """`cancel()` was called (the app is closing): nothing is wrong with the server."""


@dataclass(frozen=True, slots=True)
class RemoteCategory:
    id: str  # REST: the decimal id; Google Reader: `user/-/label/<title>`
    title: str


@dataclass(frozen=True, slots=True)
class RemoteFeed:
    id: str  # REST: the decimal id; Google Reader: `feed/<id>`
    title: str
    url: str  # the feed's own URL ("" if the server's value failed the URL policy)
    site_url: str
    category: str  # the category's title ("" when none)


@dataclass(frozen=True, slots=True)
class RemoteEntry:
    id: str
    feed_id: str
    title: str
    url: str
    author: str
    content_html: str  # untrusted HTML: rendered through render.py like any feed body
    published: datetime | None
    read: bool
    starred: bool


@dataclass(frozen=True, slots=True)
class FlagChange:
    """One change the engine wants on the server (an outbox item's payload)."""

    entry_id: str
    flag: str  # "read" or "starred"
    value: bool


@dataclass(frozen=True, slots=True)
class FlagCounts:
    """The server's own tallies of the flags, from cheap calls: they check a sync that
    read only the entries reported as changed (the engine reads the full id lists when
    they disagree with the library)."""

    unread_by_feed: dict[str, int]  # remote feed id -> unread entries (zeros left out)
    starred: int


@runtime_checkable
class SyncClient(Protocol):
    """One account on one server. Synchronous (the engine runs it in a worker thread);
    not thread-safe: one client per thread. Every call may raise a `SyncError`."""

    kind: str  # "miniflux" or "greader"
    # The server's clock at its latest answer (its Date header), None before any: take
    # the next `entries_since` cursor from it, never from the local clock.
    server_time: datetime | None

    def verify(self) -> None:
        """Check the credentials with one cheap call (AuthError when wrong)."""

    def categories(self) -> list[RemoteCategory]: ...

    def feeds(self) -> list[RemoteFeed]: ...

    def unread_ids(self) -> frozenset[str]:
        """Every unread entry id on the server (to reconcile the read flag)."""

    def starred_ids(self) -> frozenset[str]:
        """Every starred entry id on the server."""

    def flag_counts(self) -> FlagCounts | None:
        """The server's unread count per feed and starred total, when `entries_since`
        reports every entry whose flags changed (so a sync need not read the full id
        lists, which cost as much as the entries on Miniflux's REST API); None when it
        does not."""

    def entries_since(self, since: int | None) -> Iterator[RemoteEntry]:
        """Entries newer than `since` (unix seconds; None: all), oldest first where the
        server allows. Newer means published after it for Google Reader servers (so the
        engine also fetches unread/starred ids it does not hold), changed after it for
        Miniflux's REST API (which also reports entries whose flags changed)."""

    def entries(self, ids: Sequence[str]) -> Iterator[RemoteEntry]:
        """The entries with these ids (fetched in batches); unknown ids are skipped."""

    def set_read(self, ids: Sequence[str], read: bool) -> int:
        """Make these entries read (or unread); only entries whose server state differs
        are sent, so a repeated call changes nothing. Returns how many changed."""

    def set_starred(self, ids: Sequence[str], starred: bool) -> int:
        """As `set_read`, for the starred flag."""

    def mark_all_read(
        self, *, feed_id: str | None = None, category_id: str | None = None, before: int | None
    ) -> None:
        """Mark every entry of a feed, a category or (both None) everything as read,
        if published at or before `before` (unix seconds; None: however new): entries
        the reader never downloaded are included, newer ones are not."""

    def subscribe(self, url: str, category: str = "", title: str = "") -> RemoteFeed:
        """Subscribe to a feed URL in a category (by title; created when missing)."""

    def unsubscribe(self, feed_id: str) -> None: ...

    def rename_feed(self, feed_id: str, title: str) -> None: ...

    def move_feed(self, feed_id: str, category: str) -> None:
        """Put a feed in a category (by title; created when missing)."""

    def cancel(self) -> None:
        """From any thread: make the call in flight (and later ones) raise `Cancelled`."""

    def close(self) -> None: ...
