"""The reader on a library bound to a real Miniflux 2.2.6: `r` syncs, then refreshes the
library's command feeds (which no sync brings), in the sync's worker; the toast and the
notification include their new articles."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.pilot_helpers import MessageLog, settle
from tests.support.notify_helpers import recorder
from tui_reader.app import TuiReader
from tui_reader.config import Config
from tui_reader.screens.main import MainScreen
from tui_reader.store import Store
from tui_reader.sync.miniflux import MinifluxClient

from .conftest import FeedServer, Item, unique
from .test_cli_sync_local import SCRIPT

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def test_r_on_a_bound_library_refreshes_its_command_feeds(
    bound: Store, admin: MinifluxClient, feed_server: FeedServer, tmp_path: Path
) -> None:
    admin.subscribe(feed_server.publish(unique("r"), "Served", [Item("r-1", "Served one", BASE)]))
    state = tmp_path / "titles.json"
    state.write_text(json.dumps(["Cmd one"]))
    script = tmp_path / "feed.py"
    script.write_text(SCRIPT)
    exec_url = "exec:" + shlex.join([sys.executable, str(script), str(state)])
    bound.add_feed(exec_url, "", "Local", trust_command=True)
    command, calls = recorder(tmp_path)
    app = TuiReader(bound, Config(notify="command", notify_command=command))
    log = MessageLog()
    async with app.run_test(size=(120, 40), message_hook=log) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("r")
        await settle(pilot, lambda: not screen.refreshing)
        assert {a.title for a in bound.articles()} == {"Served one", "Cmd one"}
        [toast] = [n for n in log.notifications if n.title == "Sync finished"]
        assert "1 new article" in toast.message and "Refreshed 1 command feed" in toast.message
        await settle(pilot, lambda: calls())
        [args] = calls()
        assert args[:2] == ["2", "2"] and sorted(args[2:]) == ["Cmd one", "Served one"]

        state.write_text(json.dumps(["Cmd one", "Cmd two"]))
        await pilot.press("r")
        await settle(pilot, lambda: len(calls()) == 2)
        assert "Cmd two" in {a.title for a in bound.articles()}
        assert calls()[-1] == ["1", "1", "Cmd two"]
        assert not screen.refreshing
