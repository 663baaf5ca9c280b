"""`tui-reader refresh --category`, and Ctrl+C in the other commands."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.cli_loopback import rss, serve
from tui_reader import cli
from tui_reader.__main__ import main
from tui_reader.store import Store


def test_refresh_category_includes_its_subcategories(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `cat:tech` in a query: Tech and Tech/Python, not Technology nor Science."""
    folders = {
        "tech": "Tech",
        "python": "Tech/Python",
        "technology": "Technology",
        "sci": "Science",
    }
    documents = {f"{name}.xml": rss(name, [f"{name}-1"]) for name in folders}
    db = tmp_path / "library"
    with serve(documents) as base:
        with Store.open(db) as store:
            for name, folder in folders.items():
                store.add_feed(f"{base}/{name}.xml", name, folder)
        code = main(["--db", str(db), "refresh", "--category", "tech"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Refreshed 2 feeds: 2 updated" in out
    with Store.open(db, read_only=True) as store:
        fetched = sorted(f.category for f in store.feeds() if f.last_success)
    assert fetched == ["Tech", "Tech/Python"]


def test_ctrl_c_in_any_command_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.HANDLERS, "feeds", interrupted)
    assert main(["feeds"]) == 130
    assert capsys.readouterr().err == "tui-reader: interrupted\n"
