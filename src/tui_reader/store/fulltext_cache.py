"""The full-text cache (one file per feed) and the reading positions (a setting).

`FullTextCache` owns the records of the fulltext files read so far (feed id -> article id
-> record) and its own lock, which guards them and orders each feed's payload with its
version. It reads a feed's file on first use, writes it at once through the `Writer`
(from a worker thread, never the UI) and asks the `Index` which articles still exist.

`ReadingPositions` owns where each article was left (article id -> record), read from
the `reading_positions` setting on first use and saved back through the settings
callbacks it is given. It has no lock: only the UI thread uses it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ..text import clean_line
from .index import Index
from .records import StoreError, load_json_file, unique_aside
from .writer import Writer

# Reading positions remembered (the most recently left articles win).
MAX_POSITIONS = 500


class FullTextCache:
    """Full texts fetched from article pages, per feed, read on demand."""

    def __init__(self, directory: Path, index: Index, writer: Writer, *, read_only: bool) -> None:
        self.directory = directory
        self.index = index
        self.writer = writer
        self.read_only = read_only
        self.lock = threading.Lock()
        # Only a few feeds are read in full text: no LRU, one dict per feed used.
        self.records: dict[str, dict[str, dict[str, Any]]] = {}

    def get(self, feed_id: str, article_id: str) -> dict[str, Any] | None:
        return self._feed_records(feed_id).get(article_id)

    def forget(self, feed_id: str) -> None:
        """An unsubscribed feed's records go (its file is deleted by the store)."""
        with self.lock:
            self.records.pop(feed_id, None)

    def _feed_records(self, feed_id: str) -> dict[str, dict[str, Any]]:
        with self.lock:
            cached = self.records.get(feed_id)
            if cached is not None:
                return cached
        path = self.directory / "fulltext" / f"{feed_id}.json"
        try:
            data = load_json_file(path) or {}
        except (ValueError, orjson.JSONDecodeError):
            # Only a cache: set the damaged file aside and fetch again when asked.
            data = {}
            if not self.read_only:
                with contextlib.suppress(OSError):
                    os.replace(path, unique_aside(path, "corrupt"))
        except OSError:
            data = {}
        records: dict[str, dict[str, Any]] = {}
        for doc in data.get("fulltext", {}).values():
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                continue
            records[doc["id"]] = {
                "id": doc["id"],
                "html": doc.get("html") if isinstance(doc.get("html"), str) else "",
                "url": doc.get("url") if isinstance(doc.get("url"), str) else "",
                "error": doc.get("error") if isinstance(doc.get("error"), str) else "",
                "fetched": doc.get("fetched") if isinstance(doc.get("fetched"), float) else 0.0,
            }
        with self.lock:
            return self.records.setdefault(feed_id, records)

    def record(self, feed_id: str, article_id: str, *, html: str, url: str, error: str) -> None:
        """Record a fetch of an article of `feed_id` and write the feed's file at once
        (StoreError when it cannot be written). Records of articles that no longer exist
        are dropped on every write, so the file never outgrows its feed."""
        records = self._feed_records(feed_id)
        # Lock order: the state lock, then this one (the set of ids must not change
        # while the stale records are dropped).
        with self.index.lock, self.lock:
            ids = self.index.by_feed.get(feed_id, set())
            records[article_id] = {
                "id": article_id,
                "html": html,
                "url": url,
                "error": clean_line(error, 500),
                "fetched": time.time(),
            }
            for stale in [aid for aid in records if aid not in ids]:
                del records[stale]
            payload = {"fulltext": {str(n): doc for n, doc in enumerate(records.values(), 1)}}
            version = self.writer.next_version()
        try:
            (self.directory / "fulltext").mkdir(exist_ok=True)
            self.writer.write_shard("fulltext", feed_id, payload, version)
        except OSError as exc:
            raise StoreError(f"Could not save the full text: {exc.strerror or exc}") from None


class ReadingPositions:
    """Where each article was left: scroll offset in lines and whether in full text."""

    def __init__(
        self, get_setting: Callable[[str, Any], Any], set_setting: Callable[[str, Any], None]
    ) -> None:
        self._get_setting = get_setting
        self._set_setting = set_setting
        self._positions: dict[str, dict[str, Any]] | None = None

    def _all(self) -> dict[str, dict[str, Any]]:
        if self._positions is None:
            raw = self._get_setting("reading_positions", {})
            self._positions = {
                aid: {"y": int(doc.get("y") or 0), "full": bool(doc.get("full"))}
                for aid, doc in (raw.items() if isinstance(raw, dict) else ())
                if isinstance(aid, str)
                and isinstance(doc, dict)
                and isinstance(doc.get("y", 0), int)
            }
        return self._positions

    def get(self, article_id: str) -> tuple[int, bool]:
        doc = self._all().get(article_id)
        return (doc["y"], doc["full"]) if doc else (0, False)

    def set(self, article_id: str, y: int, full: bool) -> None:
        """Remember where the article was left (the newest `MAX_POSITIONS` are kept).

        The top of an article in the feed's text is the default and is not stored.
        """
        positions = self._all()
        y = max(0, int(y))
        old = positions.pop(article_id, None)
        if y or full:
            positions[article_id] = {"y": y, "full": full}  # re-inserted: newest last
            while len(positions) > MAX_POSITIONS:
                del positions[next(iter(positions))]
        elif old is None:
            return
        if old == positions.get(article_id) and old is not None:
            return
        self._set_setting("reading_positions", dict(positions))
