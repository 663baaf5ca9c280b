"""The sync outbox: the changes made locally on a library bound to a server account,
waiting to be pushed (issue 17).

Records live in their own file, `outbox.json` (TinyDB shape, table `outbox`), one
document per change, keyed by `seq`:

* `{"seq", "kind": "flag", "article", "flag": "read"|"starred", "value", "created"}`
* `{"seq", "kind": "mark_all", "feed": local id|None, "category": title|None, "before"}`
* `{"seq", "kind": "sub", "op": "subscribe"|"unsubscribe"|"rename"|"move", "feed",
  "url", "title", "category", "created"}`

Why a file of its own: every flag change on a bound library adds a record, and when the
outbox lived in library.json each keypress rewrote the whole library.json (every feed's
record) with its fsyncs. outbox.json holds only the waiting changes.

A flag record names the local article id; the engine looks its remote id up when it
pushes, so a record made before the article's mapping was saved is still pushed. A newer
flag record for the same article and flag replaces the older one (the user's latest
action is the one that counts). A record is deleted only after the server acknowledged it
(`ack`), so a crash at any moment leaves it to be pushed again, which is safe because the
clients only send what differs from the server's state.

The store's writer writes outbox.json (atomically, fsynced) before library.json and the
flags files in the same pass, so a flag on disk always has its outbox record on disk too.
Every method is called with the index's state lock held.

Migration: a library written before outbox.json kept the records in library.json's
`outbox` table. When outbox.json is missing they are read from there and outbox.json is
written by the next pass; once outbox.json exists it is the only truth, and the old table
is dropped from library.json at that open (`legacy_table_stale`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from .records import load_json_file, unique_aside

TABLE = "outbox"
FILE = "outbox.json"
FLAGS = ("read", "starred")


class Outbox:
    """The pending changes, in memory and in outbox.json."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE
        self.name = FILE
        self.dirty = False  # records changed since the last snapshot
        self.on_dirty: Callable[[], None] | None = None  # wakes the writer
        self._records: dict[int, dict[str, Any]] = {}
        self._flag_seq: dict[tuple[str, str], int] = {}  # (article, flag) -> seq
        self._next = 1

    def load(self, main: dict[str, Any] | None, warnings: list[str], *, read_only: bool) -> bool:
        """Read the records: from outbox.json, or (a library from before it) from
        library.json's `outbox` table. A damaged outbox.json is set aside (a writer) with a
        warning. Returns True when library.json still holds an old table that outbox.json
        replaces (the caller drops it)."""
        legacy = (main or {}).get(TABLE)
        try:
            data = load_json_file(self.path)
        except (ValueError, OSError) as exc:
            data = {}
            moved = ""
            if not read_only:
                try:
                    target = unique_aside(self.path, "corrupt")
                    self.path.rename(target)
                    moved = f" (set aside as {target.name})"
                except OSError:
                    pass
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            warnings.append(
                f"The sync outbox {self.path} could not be read ({reason}){moved}: "
                "local changes not yet sent to the server may be lost."
            )
        if data is None:  # no outbox.json: a library from before it, or nothing queued yet
            for doc in (legacy or {}).values():
                self._take(doc)
            if self._records and not read_only:
                self.dirty = True  # the first pass writes outbox.json
            return False
        for doc in (data.get(TABLE) or {}).values():
            self._take(doc)
        return legacy is not None

    def _take(self, doc: object) -> None:
        if isinstance(doc, dict) and isinstance(doc.get("seq"), int):  # else: damaged, dropped
            self._remember(doc)

    def _remember(self, doc: dict[str, Any]) -> None:
        seq = doc["seq"]
        self._records[seq] = doc
        self._next = max(self._next, seq + 1)
        if doc.get("kind") == "flag":
            self._flag_seq[(str(doc.get("article")), str(doc.get("flag")))] = seq

    def _changed(self) -> None:
        self.dirty = True
        if self.on_dirty is not None:
            self.on_dirty()

    def _put(self, doc: dict[str, Any]) -> None:
        doc["seq"] = self._next
        self._next += 1
        self._remember(doc)
        self._changed()

    def add_flags(self, flag: str, article_ids: Iterable[str], value: bool) -> None:
        now = time.time()
        for aid in article_ids:
            old = self._flag_seq.pop((aid, flag), None)
            if old is not None:
                self._drop(old)
            self._put(
                {"kind": "flag", "article": aid, "flag": flag, "value": value, "created": now}
            )

    def add(self, kind: str, **fields: Any) -> None:
        """A mark-all or a subscription record."""
        self._put({"kind": kind, **fields, "created": time.time()})

    def _drop(self, seq: int) -> None:
        doc = self._records.pop(seq, None)
        if doc is None:
            return
        if doc.get("kind") == "flag":
            key = (str(doc.get("article")), str(doc.get("flag")))
            if self._flag_seq.get(key) == seq:
                del self._flag_seq[key]
        self._changed()

    def ack(self, seqs: Iterable[int]) -> None:
        """The server acknowledged these records: delete them. A record replaced meanwhile
        by a newer one (another seq) stays."""
        for seq in seqs:
            self._drop(seq)

    def pending(self) -> list[dict[str, Any]]:
        """Copies of the records, oldest first."""
        return [dict(self._records[seq]) for seq in sorted(self._records)]

    def has_flag(self, article_id: str, flag: str) -> bool:
        return (article_id, flag) in self._flag_seq

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        for seq in list(self._records):
            self._drop(seq)

    def snapshot(self) -> bytes | None:
        """The file's bytes when it changed since the last snapshot (clears the mark);
        the writer sets `dirty` again when the write fails."""
        if not self.dirty:
            return None
        self.dirty = False
        return orjson.dumps({TABLE: {str(seq): doc for seq, doc in self._records.items()}})
