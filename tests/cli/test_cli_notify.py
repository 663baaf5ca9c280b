"""`tui-reader refresh` with `notify = "command"`: notify_command runs after a refresh
that brought new articles (a refresh from cron tells its user), with sanitised arguments."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.support.notify_helpers import hostile_items, recorder, served_feed, write_feed
from tui_reader.__main__ import main
from tui_reader.store import Store


def _config(tmp_path: Path, command: str, **extra: str) -> Path:
    path = tmp_path / "config.toml"
    lines = ['notify = "command"', f"notify_command = {command!r}"]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_refresh_runs_notify_command_with_sanitised_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command, calls = recorder(tmp_path)
    config = _config(tmp_path, command)
    db = tmp_path / "library"
    root = tmp_path / "site"
    with served_feed(root, hostile_items(8)) as url:
        with Store.open(db) as store:
            store.add_feed(url, "", "News")
        refresh = ["--config", str(config), "--db", str(db), "refresh"]
        assert main(refresh) == 0
        [args] = calls()
        assert args[:2] == ["8", "1"]
        assert len(args) == 2 + 5
        for title in args[2:]:
            assert not any(unicodedata.category(c) == "Cc" for c in title), repr(title)
            assert not title.startswith(("-", "+", "@")) and len(title) <= 300
        assert " -rf --no-preserve-root" in args  # stored as sent, passed never as an option
        # Nothing new: nothing said.
        assert main(refresh) == 0
        assert len(calls()) == 1
        # Two new articles: the count and their titles (newest first).
        write_feed(root, hostile_items(10, prefix="fresh "))
        assert main(refresh) == 0
        assert calls()[-1] == ["2", "1", "fresh article 8", "fresh article 9"]
        # --no-notify: a script that wants quiet gets it.
        write_feed(root, hostile_items(11, prefix="fresh "))
        assert main([*refresh, "--no-notify"]) == 0
        assert len(calls()) == 2
    assert "notify_command" not in capsys.readouterr().err


def test_notify_always_and_a_failing_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command, calls = recorder(tmp_path)
    db = tmp_path / "library"
    with served_feed(tmp_path / "site", hostile_items(7, start=7)) as url:
        with Store.open(db) as store:
            store.add_feed(url, "", "News")
        # The recorder exits with status 7 when its first argument is "7": 7 new articles.
        config = _config(tmp_path, command, notify_always="true")
        assert main(["--config", str(config), "--db", str(db), "refresh"]) == 0
        err = capsys.readouterr().err
        assert "notify_command:" in err and "failed (exit status 7)" in err
        assert main(["--config", str(config), "--db", str(db), "refresh"]) == 0
    assert [args[:2] for args in calls()] == [["7", "1"], ["0", "0"]]
