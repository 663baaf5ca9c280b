"""Shared fixtures: every test gets private user directories and no network by default."""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import tui_reader.store.lock as lock_module
from tui_reader.models import NewArticle
from tui_reader.store import Store

# A fixed moment for tests that need stable dates (snapshots, sorting).
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def private_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test may read or write the real user's data, config or cache directories."""
    home = tmp_path_factory.mktemp("home")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(home / name.lower()))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("TUI_READER_DB", raising=False)
    monkeypatch.delenv("TUI_READER_CONFIG", raising=False)
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Freeze the app's notion of "now" at `NOW` (list dates, Today, the demo library)."""
    monkeypatch.setattr("tui_reader.clock.now", lambda: NOW)
    return NOW


def make_articles(prefix: str, count: int, start: datetime = NOW) -> list[NewArticle]:
    return [
        NewArticle(
            key=f"{prefix}-{i}",
            title=f"{prefix} article {i}",
            link=f"https://{prefix}.example.com/{i}",
            author=f"Author {i}",
            published=start - timedelta(hours=i * 7),
            body_html=f"<p>Body of {prefix} {i}.</p><ul><li>one</li><li>two</li></ul>",
        )
        for i in range(count)
    ]


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    """A small library: two categories, three feeds, 15 articles; closed, ready to open."""
    path = tmp_path / "library"
    store = Store.open(path)
    try:
        for name, category, count in (
            ("alpha", "Tech", 6),
            ("beta", "Tech", 5),
            ("gamma", "Science", 4),
        ):
            feed, _ = store.add_feed(f"https://{name}.example.com/feed", name.title(), category)
            store.merge_articles(feed.id, make_articles(name, count), NOW)
            store.record_fetch(feed.id, ok=True, when=NOW)
    finally:
        store.close()
    return path


@pytest.fixture
def store(library_path: Path) -> Iterator[Store]:
    opened = Store.open(library_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def read_only_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Creating or opening the library's lock file fails as on a read-only filesystem."""
    real_open = os.open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("library.lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(lock_module, "os", SimpleNamespace(**{**vars(os), "open": fake_open}))
    yield
