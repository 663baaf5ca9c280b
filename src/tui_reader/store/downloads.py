"""Downloaded enclosures (issue 18): which file of which article is on disk, and where.

library.json, table `downloads`, one document per enclosure (doc id: `<article id>
<enclosure url>` hashed, see `doc_id`):

    {"article": "5c1e0a9b33d2", "feed": "5bd4e5f4", "url": "https://cdn.example/ep.mp3",
     "path": "/home/u/Downloads/podcasts/Feed/Episode 12.mp3", "size": 12345678,
     "total": 12345678, "state": "done", "error": null, "validator": "\\"abc\\"",
     "updated": 1764417600.0}

`state` is "done" (the file is at `path`), "partial" (paused or stopped: `path` is the
`.part` file to resume, `size` the bytes in it) or "failed" (`error` says why, in plain
words; `path` is "" unless a part was kept). A cancelled download has no record. The
store never reads or deletes the files themselves: they are the user's.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from .index import Index
from .records import StoreReadOnly
from .tinydb_storage import AtomicStorage

TABLE = "downloads"
STATES = ("done", "partial", "failed")


@dataclass(frozen=True, slots=True)
class DownloadRecord:
    article_id: str
    feed_id: str
    url: str
    path: str
    size: int
    total: int | None
    state: str
    error: str | None = None
    validator: str | None = None
    updated: float = 0.0


def doc_id(article_id: str, url: str) -> str:
    return hashlib.sha1(f"{article_id} {url}".encode(), usedforsecurity=False).hexdigest()[:16]


def _record(doc: Any) -> DownloadRecord | None:
    """A document read back (untrusted shape: a damaged one is skipped)."""
    if not isinstance(doc, dict):
        return None
    fields = doc.get("article"), doc.get("feed"), doc.get("url"), doc.get("path")
    state, size, total = doc.get("state"), doc.get("size"), doc.get("total")
    if not all(isinstance(value, str) for value in fields) or state not in STATES:
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        size = 0
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        total = None
    error, validator, updated = doc.get("error"), doc.get("validator"), doc.get("updated")
    return DownloadRecord(
        *fields,  # type: ignore[arg-type]
        size=size,
        total=total,
        state=state,
        error=error if isinstance(error, str) else None,
        validator=validator if isinstance(validator, str) else None,
        updated=float(updated) if isinstance(updated, int | float) else 0.0,
    )


class DownloadRecords:
    """The `downloads` table (`store.downloads`). Every access holds the state lock."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.storage: AtomicStorage | None = None
        self.read_only = False
        # article id -> its records, made on first use (`list --json` asks per article)
        self._by_article: dict[str, list[DownloadRecord]] | None = None

    def attach(self, storage: AtomicStorage, read_only: bool) -> None:
        self.storage = storage
        self.read_only = read_only

    def _table(self) -> dict[str, Any]:
        assert self.storage is not None
        return (self.storage.read() or {}).get(TABLE) or {}

    def all(self) -> list[DownloadRecord]:
        """Every record, oldest change first."""
        with self.index.lock:
            found = [r for r in map(_record, self._table().values()) if r is not None]
        return sorted(found, key=lambda r: r.updated)

    def of_article(self, article_id: str) -> list[DownloadRecord]:
        """The article's records (a new list)."""
        by_article = self._by_article
        if by_article is None:
            by_article = {}
            for record in self.all():
                by_article.setdefault(record.article_id, []).append(record)
            self._by_article = by_article
        return list(by_article.get(article_id, ()))

    def get(self, article_id: str, url: str) -> DownloadRecord | None:
        with self.index.lock:
            return _record(self._table().get(doc_id(article_id, url)))

    def put(self, record: DownloadRecord) -> None:
        """Save `record` (replacing the one for the same article and file)."""
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        assert self.storage is not None
        doc = {
            "article": record.article_id, "feed": record.feed_id, "url": record.url,
            "path": record.path, "size": record.size, "total": record.total,
            "state": record.state, "error": record.error, "validator": record.validator,
            "updated": record.updated or time.time(),
        }  # fmt: skip
        with self.index.lock:
            self.storage.put(TABLE, doc_id(record.article_id, record.url), doc)
            self._by_article = None

    def forget(self, article_id: str, url: str) -> None:
        if self.read_only:
            raise StoreReadOnly("the library was opened read-only")
        assert self.storage is not None
        with self.index.lock:
            self.storage.delete(TABLE, doc_id(article_id, url))
            self._by_article = None
