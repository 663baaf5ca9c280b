"""The TinyDB storage class of library.json: orjson, kept in memory, written atomically.

`AtomicStorage` owns the parsed document of one file and its dirty mark (guarded by the
index's state lock, which every caller holds). It never writes on its own when it has an
`on_dirty` callback: the store's `Writer` takes a `snapshot()` and writes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from .atomic import atomic_write
from .records import StoreReadOnly, load_json_file


class AtomicStorage(Storage):
    """TinyDB storage: orjson, whole-file atomic writes, data kept in memory after a read.

    TinyDB calls `write` after every change; here that only updates memory and marks the
    file dirty. The store's writer thread calls `persist`, so a refresh that touches 1,000
    feeds writes library.json a few times instead of 1,000 times.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        read_only: bool = False,
        on_dirty: Callable[[], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.on_dirty = on_dirty
        self.dirty = False
        self._cache: dict[str, dict[str, Any]] | None = None

    def read(self) -> dict[str, dict[str, Any]] | None:
        if self._cache is None:
            self._cache = load_json_file(self.path)
        return self._cache

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        self._cache = data
        self.dirty = True
        if self.on_dirty is not None:
            self.on_dirty()
        else:
            self.persist(self.snapshot())

    def put(self, table: str, doc_id: str, doc: dict[str, Any]) -> None:
        """Set one document. TinyDB's own update rebuilds the whole table dict on every
        call (O(feeds) per `record_fetch`, seconds over a refresh of 2,000 feeds); this is
        O(1) and writes exactly the document shape TinyDB reads back."""
        data = self.read() or {}
        data.setdefault(table, {})[doc_id] = doc
        self.write(data)

    def delete(self, table: str, doc_id: str) -> None:
        data = self.read() or {}
        if data.get(table, {}).pop(doc_id, None) is not None:
            self.write(data)

    def snapshot(self) -> bytes | None:
        """The bytes to persist, or None when nothing changed; clears the dirty mark."""
        if not self.dirty or self._cache is None:
            return None
        self.dirty = False
        return orjson.dumps(self._cache)

    def persist(self, data: bytes | None) -> None:
        if data is not None:
            atomic_write(self.path, data)

    def close(self) -> None:
        self._cache = None
