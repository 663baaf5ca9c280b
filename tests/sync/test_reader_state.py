"""Without a server: the sidebar's sync line and H's account lines in words, and which
mark-all records `A` queues for each kind of view."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tui_reader.models import NewArticle
from tui_reader.screens.main.syncing import queue_mark_all
from tui_reader.store import Store
from tui_reader.sync.status import account_lines, ago, state_line
from tui_reader.views import View

NOW = 1_800_000_000.0
BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_state_line():
    synced = {"last_sync": NOW - 150, "last_error": None}
    assert state_line(synced, 0, running=False, now=NOW) == "synced 2 min ago"
    assert state_line(synced, 0, running=True, now=NOW) == "syncing…"
    assert state_line(synced, 2, running=False, now=NOW) == "will sync: 2 changes"
    assert state_line({}, 0, running=False, now=NOW) == "not synced yet"
    offline = {"last_error": "cannot connect to x (is the server running?)", "offline": True}
    assert state_line(offline, 3, running=False) == "offline: 3 changes waiting"
    assert state_line(offline, 1, running=False) == "offline: 1 change waiting"
    assert state_line(offline, 12, running=False, width=22) == "offline: 12 waiting"
    assert state_line(synced, 12, running=False, width=20) == "will sync: 12"
    refused = {"last_error": "wrong token\x1b[31m\nsecond line", "offline": False}
    line = state_line(refused, 3, running=False)  # untrusted: one line, no escapes
    assert line.startswith("error: wrong token") and line.endswith(" second line")
    assert "\x1b" not in line and "\n" not in line
    assert [ago(s) for s in (5, 61, 7200, 3 * 86400)] == [
        "just now", "1 min ago", "2 h ago", "3 days ago"
    ]  # fmt: skip


def test_account_lines_hide_the_password_in_a_url_and_list_what_was_skipped():
    account = {
        "kind": "greader", "url": "https://me:pw@example.com/api/greader.php", "user": "me",
        "last_sync": None, "last_error": "example.com answered 500", "offline": True,
        "skipped": ["entry 12: gone", "http://x/feed: not a feed"],
    }  # fmt: skip
    text = "\n".join(account_lines(account, 4))
    assert "pw" not in text and "example.com/api/greader.php as me" in text
    assert (
        "4 changes waiting" in text
        and "Last error (server unreachable): example.com answered 500" in text
    )
    assert "Skipped by the last sync (2):\n  entry 12: gone" in text


def test_which_mark_all_a_queues(tmp_path: Path):
    with Store.open(tmp_path / "lib") as store:
        feeds = {}
        for name, category in (("a", "Tech"), ("b", "Tech/Python"), ("c", "News")):
            feed, _ = store.add_feed(f"http://127.0.0.1:9/{name}.xml", name, category)
            store.merge_articles(
                feed.id,
                [
                    NewArticle(f"{name}{i}", "T", "", "", BASE - timedelta(hours=i))
                    for i in range(3)
                ],
                BASE,
            )
            feeds[name] = feed.id
        assert queue_mark_all(store, View("feed", feeds["a"])) == 0  # not bound: nothing
        store.sync.bind("miniflux", "http://127.0.0.1:9", "", "")
        newest = math.ceil(BASE.timestamp())

        def queued(view: View) -> list[tuple[str | None, int]]:
            store.sync.ack(r["seq"] for r in store.sync.pending())
            queue_mark_all(store, view)
            return [(r["feed"], r["before"]) for r in store.sync.pending()]

        assert queued(View("feed", feeds["c"])) == [(feeds["c"], newest)]
        # A folder: each of its feeds, subfolders included (server categories are flat).
        assert sorted(queued(View("category", "Tech"))) == sorted(
            [(feeds["a"], newest), (feeds["b"], newest)]
        )
        assert queued(View("all")) == [(None, newest)]
        assert queued(View("unread")) == [(None, newest)]
        for kind in ("today", "starred", "saved"):
            assert queued(View(kind, "x")) == []  # the articles' own records only
