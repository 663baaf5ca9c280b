"""The sync outbox: the changes made locally on a library bound to a server account,
waiting to be pushed (issue 17).

Records live in library.json, table `outbox`, one document per change, keyed by `seq`:

* `{"seq", "kind": "flag", "article", "flag": "read"|"starred", "value", "created"}`
* `{"seq", "kind": "mark_all", "feed": local id|None, "category": title|None, "before"}`
* `{"seq", "kind": "sub", "op": "subscribe"|"unsubscribe"|"rename"|"move", "feed",
  "url", "title", "category", "created"}`

A flag record names the local article id; the engine looks its remote id up when it
pushes, so a record made before the article's mapping was saved is still pushed. A newer
flag record for the same article and flag replaces the older one (the user's latest
action is the one that counts). A record is deleted only after the server acknowledged it
(`ack`), so a crash at any moment leaves it to be pushed again, which is safe because the
clients only send what differs from the server's state.

library.json is written by the store's writer before the flags files in the same pass,
so a flag on disk always has its outbox record on disk too. Every method is called with
the index's state lock held (the storage is guarded by it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .tinydb_storage import AtomicStorage

TABLE = "outbox"
FLAGS = ("read", "starred")


class Outbox:
    """The pending changes, in memory and in library.json's `outbox` table."""

    def __init__(self) -> None:
        self.storage: AtomicStorage | None = None
        self._records: dict[int, dict[str, Any]] = {}
        self._flag_seq: dict[tuple[str, str], int] = {}  # (article, flag) -> seq
        self._next = 1

    def attach(self, storage: AtomicStorage, data: dict[str, Any] | None) -> None:
        """Read the records library.json holds (a damaged record is dropped)."""
        self.storage = storage
        for doc in ((data or {}).get(TABLE) or {}).values():
            if isinstance(doc, dict) and isinstance(doc.get("seq"), int):
                self._remember(doc)

    def _remember(self, doc: dict[str, Any]) -> None:
        seq = doc["seq"]
        self._records[seq] = doc
        self._next = max(self._next, seq + 1)
        if doc.get("kind") == "flag":
            self._flag_seq[(str(doc.get("article")), str(doc.get("flag")))] = seq

    def _put(self, doc: dict[str, Any]) -> None:
        assert self.storage is not None
        doc["seq"] = self._next
        self._next += 1
        self._remember(doc)
        self.storage.put(TABLE, str(doc["seq"]), doc)

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
        assert self.storage is not None
        self.storage.delete(TABLE, str(seq))

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
