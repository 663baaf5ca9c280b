"""`tui-reader refresh` on a bound library, against a real Miniflux 2.2.6: after the sync
it refreshes the library's command feeds (which no sync brings: their command is never
sent), and it runs notify_command for the new articles of both, as a plain refresh does."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.notify_helpers import recorder
from tui_reader.__main__ import main
from tui_reader.store import Store
from tui_reader.sync.miniflux import MinifluxClient

from ..support.miniflux_server import MinifluxServer
from .conftest import FeedServer, Item, unique

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

# Prints an RSS document with one item per title in the JSON list in argv[1].
SCRIPT = """
import json, sys
titles = json.load(open(sys.argv[1]))
items = "".join(
    f"<item><title>{t}</title><guid>{t}</guid><link>https://example.org/{i}</link></item>"
    for i, t in enumerate(titles)
)
print(f"<?xml version='1.0'?><rss version='2.0'><channel><title>Script</title>{items}"
      "</channel></rss>")
"""


def titles(db: Path) -> set[str]:
    with Store.open(db, read_only=True) as store:
        return {a.title for a in store.articles()}


def test_refresh_on_a_bound_library_refreshes_command_feeds_and_notifies(
    tmp_path: Path, miniflux_server: MinifluxServer, admin: MinifluxClient,
    feed_server: FeedServer, capsys: pytest.CaptureFixture[str],
):  # fmt: skip
    admin.subscribe(feed_server.publish(unique("s"), "Served", [Item("s-1", "Served one", BASE)]))
    command, calls = recorder(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'notify = "command"\nnotify_command = {command!r}\n')
    token = tmp_path / "token"
    token.write_text(miniflux_server.api_key + "\n")
    db = tmp_path / "lib"
    base = ["--db", str(db), "--config", str(config)]
    assert main([*base, "account", "add", "miniflux", miniflux_server.url,
                 "--secret-command", f"cat {token}"]) == 0  # fmt: skip

    state = tmp_path / "titles.json"
    state.write_text(json.dumps(["Cmd one"]))
    script = tmp_path / "feed.py"
    script.write_text(SCRIPT)
    exec_url = "exec:" + shlex.join([sys.executable, str(script), str(state)])
    assert main([*base, "add", "--allow-commands", exec_url]) == 0
    assert titles(db) == {"Served one", "Cmd one"}
    capsys.readouterr()

    # Nothing new anywhere: the command ran, nothing is told.
    assert main([*base, "refresh"]) == 0
    assert "Synced:" in capsys.readouterr().out
    assert calls() == []

    # The script's output changes and the server has a new feed: both arrive, one notice.
    state.write_text(json.dumps(["Cmd one", "Cmd two"]))
    admin.subscribe(feed_server.publish(unique("t"), "Second", [Item("t-1", "Served two", BASE)]))
    assert main([*base, "refresh"]) == 0
    out = capsys.readouterr().out
    assert "Synced:" in out and "1 new article" in out
    assert "Refreshed 1 feed" in out  # the command feed's own summary line
    assert {"Cmd two", "Served two"} <= titles(db)
    [args] = calls()
    assert args[:2] == ["2", "2"]
    assert sorted(args[2:]) == ["Cmd two", "Served two"]

    # --no-notify: still fetched, nothing run.
    state.write_text(json.dumps(["Cmd one", "Cmd two", "Cmd three"]))
    assert main([*base, "refresh", "--no-notify"]) == 0
    assert "Cmd three" in titles(db)
    assert len(calls()) == 1
