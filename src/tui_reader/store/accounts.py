"""The library's server account (issue 17): what it is bound to, the outbox, and the
mapping between local and remote ids.

* library.json, table `account`, one document (`"1"`): `{"kind", "url", "user",
  "secret_command", "created", "last_sync", "last_attempt", "last_error",
  "upload_pending"}`. No secret.
* `outbox.json`: the changes waiting for the server, see `outbox.py` (older libraries
  kept them in library.json's `outbox` table: read from there once, then dropped).
* `sync.json` (written by the sync engine, atomically, after each pull):
  `{"cursor": unix s|null, "feeds": {local feed id: remote feed id},
  "articles": {local article id: remote entry id}}`. Read only when a sync needs it,
  never when the reader opens.
* `account.secret`: the password or token, only when the user asked to store it;
  mode 0600, never in library.json (nor its backup).

`SyncState` is part of the `Store` (`store.sync`); the store calls `queue_flags` from
`set_read`/`set_starred` and `queue_sub` from subscription edits, so every caller (the
reader, `tui-reader mark`) puts its changes in the outbox when the library is bound.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from .atomic import atomic_write
from .index import Index
from .outbox import TABLE as OUTBOX_TABLE
from .outbox import Outbox
from .tinydb_storage import AtomicStorage
from .writer import Writer

TABLE = "account"
DOC = "1"
MAPPING_FILE = "sync.json"
SECRET_FILE = "account.secret"
ACCOUNT_FIELDS = ("kind", "url", "user", "secret_command")


class SyncState:
    """The account document, the outbox, the id mapping and the stored secret."""

    def __init__(self, directory: Path, index: Index, writer: Writer) -> None:
        self.directory = directory
        self.index = index
        self.writer = writer
        self.outbox = Outbox(directory)
        self.outbox.on_dirty = writer.wake.set
        writer.side_files.append(self.outbox)
        self.storage: AtomicStorage | None = None
        # Called (state lock held, any thread: be quick) after a local change was queued:
        # the reader pushes soon after.
        self.listeners: list[Callable[[], None]] = []

    def attach(
        self,
        storage: AtomicStorage,
        data: dict[str, Any] | None,
        warnings: list[str],
        *,
        read_only: bool,
    ) -> None:
        """At open: library.json is read (`data`); read the outbox, from outbox.json or
        (an older library) from library.json's table."""
        self.storage = storage
        stale = self.outbox.load(data, warnings, read_only=read_only)
        if stale and not read_only and data is not None:
            # outbox.json exists and is the truth: the old table goes with the next write.
            data.pop(OUTBOX_TABLE, None)
            storage.write(data)

    # ------------------------------------------------------------------ the account

    def account(self) -> dict[str, Any] | None:
        """The bound account's document (a copy), None when the library is local only."""
        if self.storage is None:
            return None
        with self.index.lock:
            doc = ((self.storage.read() or {}).get(TABLE) or {}).get(DOC)
            return dict(doc) if isinstance(doc, dict) and doc.get("kind") else None

    @property
    def bound(self) -> bool:
        return self.account() is not None

    def bind(
        self, kind: str, url: str, user: str, secret_command: str, *, upload: bool = False
    ) -> None:
        """Bind the library. `upload`: the next syncs upload the local feeds and their
        marks until one of them succeeds (`upload_pending`)."""
        assert self.storage is not None
        doc = {
            "kind": kind, "url": url, "user": user, "secret_command": secret_command,
            "created": time.time(), "last_sync": None, "last_attempt": None, "last_error": None,
            "upload_pending": upload,
        }  # fmt: skip
        with self.index.lock:
            self.storage.put(TABLE, DOC, doc)

    def unbind(self) -> None:
        """Forget the account, its outbox, mapping and secret (articles stay)."""
        assert self.storage is not None
        with self.index.lock:
            self.storage.delete(TABLE, DOC)
            self.outbox.clear()
        for name in (MAPPING_FILE, SECRET_FILE):
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).unlink()

    def record(self, **fields: Any) -> None:
        """Update the account document (last_sync, last_attempt, last_error)."""
        assert self.storage is not None
        with self.index.lock:
            doc = ((self.storage.read() or {}).get(TABLE) or {}).get(DOC)
            if isinstance(doc, dict):
                self.storage.put(TABLE, DOC, {**doc, **fields})

    # ------------------------------------------------------------------ the secret

    def store_secret(self, secret: str) -> None:
        atomic_write(self.directory / SECRET_FILE, secret.encode())  # mode 0600

    def stored_secret(self) -> str | None:
        path = self.directory / SECRET_FILE
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            return handle.read().decode(errors="replace") or None

    # ------------------------------------------------------------------ the outbox

    def queue_flags(self, flag: str, article_ids: Iterable[str], value: bool) -> None:
        """Changes made locally (call with the state lock held). The sync engine's own
        changes come through `apply_remote` and are not queued."""
        if self.storage is None or not self._bound_locked():
            return
        self.outbox.add_flags(flag, article_ids, value)
        self._tell()

    def apply_remote(self, flag: str, article_ids: Iterable[str], value: bool) -> list[str]:
        """Set a flag as the server has it, without queueing it (the engine's thread;
        the articles must be loaded). An article with a change of this flag waiting in
        the outbox keeps its local value (the conflict rule): checked under the state lock,
        so a change the user makes meanwhile is never overwritten. Returns the ids changed."""
        index = self.index
        with index.lock:
            article_ids = [a for a in article_ids if not self.outbox.has_flag(a, flag)]
            target = index.read if flag == "read" else index.starred
            changed, feeds = index.set_flag(target, article_ids, value, counts=flag == "read")
            if feeds:
                self.writer.mark_flags_dirty(feeds)
        return changed

    def queue(self, kind: str, **fields: Any) -> None:
        """A mark-all or subscription change made locally."""
        with self.index.lock:
            if self.storage is None or not self._bound_locked():
                return
            self.outbox.add(kind, **fields)
            self._tell()

    def _tell(self) -> None:
        for listener in self.listeners:
            with contextlib.suppress(Exception):
                listener()

    def queue_sub(self, op: str, feed_id: str, **fields: Any) -> None:
        self.queue("sub", op=op, feed=feed_id, **fields)

    def feed_added(self, feed_id: str, created: bool, url: str, title: str, category: str) -> None:
        """`Store.add_feed`: a new local subscription is a subscribe on the server."""
        if created:
            self.queue_sub("subscribe", feed_id, url=url, title=title, category=category)

    def feed_changed(self, feed_id: str, changes: dict[str, Any]) -> None:
        """`Store.update_feed`: a new title or category is a rename or a move."""
        for op, field in (("rename", "title"), ("move", "category")):
            if field in changes:
                self.queue_sub(op, feed_id, **{field: changes[field]})

    def _bound_locked(self) -> bool:
        assert self.storage is not None
        doc = ((self.storage.read() or {}).get(TABLE) or {}).get(DOC)
        return isinstance(doc, dict) and bool(doc.get("kind"))

    def pending(self) -> list[dict[str, Any]]:
        with self.index.lock:
            return self.outbox.pending()

    def ack(self, seqs: Iterable[int]) -> None:
        with self.index.lock:
            self.outbox.ack(seqs)

    def has_pending_flag(self, article_id: str, flag: str) -> bool:
        with self.index.lock:
            return self.outbox.has_flag(article_id, flag)

    def waiting(self) -> int:
        with self.index.lock:
            return len(self.outbox)

    # ------------------------------------------------------------------ the mapping

    def load_mapping(self) -> dict[str, Any]:
        """`{"cursor", "feeds", "articles"}` (empty when never synced or unreadable: a
        sync then matches everything again, which is safe)."""
        empty: dict[str, Any] = {"cursor": None, "feeds": {}, "articles": {}}
        try:
            data = orjson.loads((self.directory / MAPPING_FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return empty
        if not isinstance(data, dict):
            return empty
        cursor = data.get("cursor")
        return {
            "cursor": cursor if isinstance(cursor, int) else None,
            "feeds": _str_map(data.get("feeds")),
            "articles": _str_map(data.get("articles")),
        }

    def save_mapping(self, mapping: dict[str, Any]) -> None:
        atomic_write(self.directory / MAPPING_FILE, orjson.dumps(mapping))


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
