"""The outbox and the account state in the library, without a server: what is queued,
what replaces what, what survives a reopen, and the secret's handling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tui_reader.models import NewArticle
from tui_reader.store import Store
from tui_reader.sync.account import SecretError, find_secret, run_secret_command

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _library(path: Path, *, bound: bool) -> list[str]:
    with Store.open(path) as store:
        feed, _ = store.add_feed("http://127.0.0.1:9/feed.xml")
        store.merge_articles(
            feed.id, [NewArticle(f"k{i}", f"T{i}", "", "", NOW) for i in range(3)], NOW
        )
        if bound:
            store.sync.bind("miniflux", "http://127.0.0.1:9", "", "")
        return sorted(a.id for a in store.articles())


def test_a_local_library_queues_nothing(tmp_path: Path):
    ids = _library(tmp_path / "lib", bound=False)
    with Store.open(tmp_path / "lib") as store:
        store.set_read(ids)
        store.set_starred(ids[:1])
        store.update_feed(store.feeds()[0].id, title="Renamed")
        assert store.sync.waiting() == 0 and store.sync.account() is None


def test_changes_are_queued_the_latest_wins_and_survive_a_reopen(tmp_path: Path):
    ids = _library(tmp_path / "lib", bound=True)
    with Store.open(tmp_path / "lib") as store:
        store.set_read(ids[:2])
        store.set_read(ids[:1], False)  # replaces the first record for ids[0]
        store.set_starred(ids[2:])
        store.set_read(ids[1:2])  # already read: nothing changed, nothing queued
        store.update_feed(store.feeds()[0].id, category="Moved")
    with Store.open(tmp_path / "lib", read_only=True) as store:
        records = store.sync.pending()
    flags = [(r["article"], r["flag"], r["value"]) for r in records if r["kind"] == "flag"]
    assert sorted(flags) == sorted(
        [(ids[0], "read", False), (ids[1], "read", True), (ids[2], "starred", True)]
    )
    assert [(r["op"], r["category"]) for r in records if r["kind"] == "sub"] == [("move", "Moved")]
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)

    with Store.open(tmp_path / "lib") as store:
        store.sync.ack([records[0]["seq"]])
        assert store.sync.waiting() == len(records) - 1
        store.sync.unbind()
        assert store.sync.waiting() == 0 and store.sync.account() is None


def test_the_server_s_flags_are_not_queued_and_skip_pending_ones(tmp_path: Path):
    ids = _library(tmp_path / "lib", bound=True)
    with Store.open(tmp_path / "lib") as store:
        store.set_read(ids[:1])  # a local change waiting
        changed = store.sync.apply_remote("read", ids, False)
        assert changed == []  # ids[0] keeps its pending local value; the others were unread
        assert store.is_read(ids[0])
        assert store.sync.apply_remote("starred", ids, True) == ids
        assert store.sync.waiting() == 1


def test_a_failing_secret_command_says_so_without_its_output():
    with pytest.raises(SecretError) as caught:
        run_secret_command("echo hunter2; exit 3")
    assert "exit status 3" in str(caught.value) and "hunter2" not in str(caught.value)
    assert run_secret_command("printf 's3cret\\nsecond line'") == "s3cret"


def test_where_the_secret_comes_from(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TUI_READER_SECRET", raising=False)
    assert find_secret({"secret_command": "echo fromcmd"}, "stored") == "stored"
    assert find_secret({"secret_command": "echo fromcmd"}, None) == "fromcmd"
    monkeypatch.setenv("TUI_READER_SECRET", "fromenv")
    assert find_secret({}, None) == "fromenv"
    monkeypatch.delenv("TUI_READER_SECRET")
    with pytest.raises(SecretError, match="TUI_READER_SECRET"):
        find_secret({}, None)
