"""The library: the only package that touches its files (and TinyDB).

Callers import from here: `Store` (library.py) and the errors and records they handle.
The package is split by job, each part owning its own state; `library.py` says which
part owns what, and docs/storage.md describes the files and the reasons.

The names are loaded on first use: a parser process imports `store.records` (ids, the
bodies file) and must not pay for TinyDB and the rest of the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .index import BODY_CACHE_FEEDS
    from .library import SCHEMA_VERSION, Store
    from .lock import LibraryLocked
    from .records import LibraryCorrupt, MergeResult, StoreError, StoreReadOnly, article_id

_HOMES = {
    "BODY_CACHE_FEEDS": ".index",
    "SCHEMA_VERSION": ".library",
    "Store": ".library",
    "LibraryLocked": ".lock",
    "LibraryCorrupt": ".records",
    "MergeResult": ".records",
    "StoreError": ".records",
    "StoreReadOnly": ".records",
    "article_id": ".records",
}

__all__ = [
    "BODY_CACHE_FEEDS",
    "SCHEMA_VERSION",
    "LibraryCorrupt",
    "LibraryLocked",
    "MergeResult",
    "Store",
    "StoreError",
    "StoreReadOnly",
    "article_id",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value  # once
    return value
