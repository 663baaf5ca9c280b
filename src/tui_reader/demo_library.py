"""The bundled demo library: `tui-reader --demo` opens a scratch copy built from it.

The content lives in `demo/library.json` (written for this project; every link is on a
reserved example domain). Article times are stored as "hours ago" and turned into dates
relative to now, so the Today view is never empty.

The scratch copy is removed when the reader quits; a reader killed with its terminal
leaves it in the temp folder. Its name carries the owner's pid
(`tui-reader-demo-<pid>-xxxx`), and the next demo start removes every copy whose owner
is gone (`remove_stale_demos`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from . import clock
from .models import Enclosure, NewArticle
from .store import Store, article_id
from .store.lock import DirectoryLock, LibraryLocked
from .text import clean_line, clean_text, safe_link

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
                enclosures=_enclosures(item.get("enclosures", ())),
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


def _enclosures(entries: Any) -> tuple[Enclosure, ...]:
    """An article's files (one demo article is a podcast episode), as a parser gives them."""
    return tuple(
        Enclosure(safe_link(e["url"]), clean_line(e["type"]), e.get("length"), e.get("duration"))
        for e in entries
        if safe_link(e["url"])
    )


_PREFIX = "tui-reader-demo-"
_OWNER = re.compile(re.escape(_PREFIX) + r"(\d+)-")
# A copy made before names carried the owner (no pid to ask about) is left this long.
UNOWNED_STALE_AFTER = 24 * 3600.0


def make_demo_library(now: datetime | None = None) -> Path:
    """Build the demo library in a new scratch directory and return its path."""
    directory = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
    store = Store.open(directory)
    try:
        populate(store, now)
    finally:
        store.close()
    return directory


def remove_stale_demos(temp_dir: Path | None = None) -> int:
    """Remove the demo copies in `temp_dir` (default: the temp folder) whose reader is
    gone, killed instead of quit; returns how many. A copy is left alone if it is
    someone else's, if its owner still runs, or if its library is open (locked: a reader
    in another pid namespace sharing /tmp, say). It is removed under its own lock, so
    that nothing can open it meanwhile."""
    if os.name != "posix":  # no pid to ask about without signalling it
        return 0
    root = temp_dir or Path(tempfile.gettempdir())
    removed = 0
    try:
        entries = [e for e in os.scandir(root) if e.name.startswith(_PREFIX)]
    except OSError:
        return 0
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False) or not _abandoned(entry):
                continue
        except OSError:
            continue
        path = Path(entry.path)
        lock = DirectoryLock(path)
        try:
            lock.acquire()
        except (LibraryLocked, OSError):
            continue  # open (or not ours to lock): in use after all
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            lock.release()
        removed += not path.exists()
    return removed


def _abandoned(entry: os.DirEntry[str]) -> bool:
    info = entry.stat(follow_symlinks=False)
    if info.st_uid != os.getuid():
        return False
    owner = _OWNER.match(entry.name)
    if owner is None:
        return time.time() - info.st_mtime > UNOWNED_STALE_AFTER
    pid = int(owner.group(1))
    return pid != os.getpid() and not _running(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as someone else's (PermissionError)
        return True
    return True
