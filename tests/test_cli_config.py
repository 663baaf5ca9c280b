"""The commands follow the config file as the reader does, and check it the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_reader.__main__ import main
from tui_reader.store import Store

from .cli_loopback import rss, serve
from .conftest import make_articles


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_refresh_keeps_the_read_articles_the_config_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("keep_read_per_feed = 2\n")
    db = tmp_path / "library"
    with serve({"feed.xml": rss("Served", ["new-1", "new-2"])}) as base:
        with Store.open(db) as store:
            feed, _ = store.add_feed(f"{base}/feed.xml", "Served")
            old = make_articles("old", 6)
            store.merge_articles(feed.id, old, old[0].published)
            store.set_read(a.id for a in store.articles([feed.id]))
        code, out, err = run(capsys, "--db", str(db), "--config", str(config), "refresh")
    assert code == 0, err
    assert err == ""
    assert "2 new articles" in out
    with Store.open(db, read_only=True) as store:
        articles = store.articles([feed.id])
        read = [a for a in articles if store.is_read(a.id)]
        # The reader (launch.py) would keep 2 read articles: so does the command.
        assert len(read) == 2
        assert len(articles) == 4


def test_a_command_that_writes_says_what_is_wrong_in_the_config(
    library_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("keep_read_per_feed = -1\n")
    with Store.open(library_path, read_only=True) as store:
        first = store.articles()[0].id
    code, out, err = run(
        capsys, "--db", str(library_path), "--config", str(config), "mark", "--read", first
    )
    assert code == 0
    assert "'keep_read_per_feed' must be between 0 and 1000000; the default is used." in err
    assert out.startswith("1 changed")
