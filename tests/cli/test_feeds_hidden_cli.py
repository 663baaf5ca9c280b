"""`tui-reader feeds` counts unread articles as the reader does: without those the
[[ignore]] rules hide, which it counts beside them; `--json` keeps its fields' meaning
(`articles` and `unread` with the hidden ones) and adds `hidden` and `unread_shown`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_reader.__main__ import main
from tui_reader.config import apply_to_store, load_config
from tui_reader.store import Store

from .test_killfile_cli import RULES


def test_feeds_counts_as_the_reader_and_json_only_adds(
    library_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(RULES)
    with Store.open(library_path, read_only=True) as store:
        raw = store.unread_counts_by_feed()
        apply_to_store(load_config(config), store)
        shown = store.unread_counts_by_feed()  # what the reader's sidebar says
        titles = {f.id: f.title for f in store.feeds()}
    assert shown != raw  # the rules hide some unread articles

    base = ["--db", str(library_path), "--config", str(config), "feeds"]
    assert main([*base, "--json"]) == 0
    docs = {d["id"]: d for d in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {f: d["unread"] for f, d in docs.items()} == raw  # the meaning it always had
    assert {f: d["unread_shown"] for f, d in docs.items()} == shown
    by_title = {titles[f]: d["hidden"] for f, d in docs.items()}
    assert by_title == {"Alpha": 1, "Beta": 1, "Gamma": 4}

    assert main(base) == 0
    out = capsys.readouterr().out
    for feed_id, title in titles.items():
        [line] = [line for line in out.splitlines() if f"/ {title}  [" in line]
        hidden = by_title[title]
        assert f", {shown[feed_id]} unread, {hidden} hidden]" in line

    # Without rules, nothing is hidden and nothing more is said.
    assert main(["--db", str(library_path), "--config", str(tmp_path / "none.toml"), "feeds"]) == 0
    assert "hidden" not in capsys.readouterr().out
