"""The sync clients are core code: no Textual or Rich, and both kinds meet the interface."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tui_reader.sync.base import SyncClient
from tui_reader.sync.greader import GReaderClient
from tui_reader.sync.miniflux import MinifluxClient


def test_sync_imports_no_ui_library():
    code = (
        "import sys, tui_reader.sync.miniflux, tui_reader.sync.greader\n"
        "import tui_reader.sync.engine, tui_reader.sync.account\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_both_clients_meet_the_interface():
    rest = MinifluxClient("http://127.0.0.1:9", token="x")
    greader = GReaderClient("http://127.0.0.1:9", user="u", password="p")
    try:
        assert isinstance(rest, SyncClient) and isinstance(greader, SyncClient)
        assert (rest.kind, greader.kind) == ("miniflux", "greader")
    finally:
        rest.close()
        greader.close()


def test_a_client_needs_credentials():
    with pytest.raises(ValueError, match="API token"):
        MinifluxClient("http://127.0.0.1:9")
