"""The bundled demo library: `tui-reader --demo` opens a scratch copy built from it.

The content lives in `demo/library.json` (written for this project; every link is on a
reserved example domain). Article times are stored as "hours ago" and turned into dates
relative to now, so the Today view is never empty.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from . import clock
from .models import NewArticle
from .store import Store, article_id
from .text import clean_line, clean_text

# Library setting: ids of the demo's own feeds.
DEMO_FEEDS_SETTING = "demo_feeds"


def demo_data() -> dict[str, Any]:
    raw = resources.files("tui_reader.demo").joinpath("library.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def populate(store: Store, now: datetime | None = None) -> None:
    """Fill an empty store with the demo feeds and articles, dated relative to `now`."""
    now = now or clock.now()
    data = demo_data()
    feed_ids: dict[str, str] = {}
    for entry in data["feeds"]:
        feed, _ = store.add_feed(
            entry["url"], entry["title"], entry["category"], entry.get("site_url", "")
        )
        feed_ids[entry["id"]] = feed.id
        store.record_fetch(feed.id, ok=True, when=now)
    # Their addresses are made up (example domains): the reader does not try to fetch them.
    store.set_setting(DEMO_FEEDS_SETTING, sorted(feed_ids.values()))
    by_feed: dict[str, list[NewArticle]] = {}
    read_keys: set[tuple[str, str]] = set()
    starred_keys: set[tuple[str, str]] = set()
    for item in data["articles"]:
        feed_id = feed_ids[item["feed"]]
        by_feed.setdefault(feed_id, []).append(
            NewArticle(
                key=item["key"],
                title=clean_line(item["title"]),
                link=item["link"],
                author=clean_line(item.get("author", "")),
                published=now - timedelta(hours=float(item["hours_ago"])),
                body_html=clean_text(item["body_html"]),
            )
        )
        if item.get("read"):
            read_keys.add((feed_id, item["key"]))
        if item.get("starred"):
            starred_keys.add((feed_id, item["key"]))
    for feed_id, articles in by_feed.items():
        store.merge_articles(feed_id, articles, now)

    store.set_read(article_id(f, k) for f, k in read_keys)
    store.set_starred(article_id(f, k) for f, k in starred_keys)
    store.flush()


def make_demo_library(now: datetime | None = None) -> Path:
    """Build the demo library in a new scratch directory and return its path."""
    directory = Path(tempfile.mkdtemp(prefix="tui-reader-demo-"))
    store = Store.open(directory)
    try:
        populate(store, now)
    finally:
        store.close()
    return directory
