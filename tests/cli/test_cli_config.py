"""The commands follow the config file as the reader does, and check it the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_loopback import rss, serve
from tests.conftest import make_articles
from tui_reader.__main__ import main
from tui_reader.store import Store


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


BAD_CONFIG = (
    'theme = "nosuchtheme"\n[keys]\n"no.such.binding" = "y"\n"article.toggle_star" = "f,S"\n'
)


def test_config_check_finds_what_the_reader_warns_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(BAD_CONFIG)
    code, out, _ = run(capsys, "--config", str(config), "config", "--check")
    assert code == 1
    assert "no problems found" not in out
    assert f"{config}: theme 'nosuchtheme' is not a theme" in out
    assert f"{config}: [keys] 'no.such.binding' is not a binding id; ignored." in out
    assert "'article.toggle_star' = 'f,S' takes 'f' from 'article.full_text'" in out


def test_the_example_configs_remaps_take_no_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_reader.config import EXAMPLE

    # The example with its commented-out remaps turned on.
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE.replace('# "', '"'))
    assert '"article.toggle_star"' in config.read_text()
    code, out, _ = run(capsys, "--config", str(config), "config", "--check")
    assert (code, out) == (0, f"{config}: no problems found.\n")


async def test_the_reader_warns_with_the_same_words(tmp_path: Path, store: Store) -> None:
    """One check: every line `config --check` prints is a warning in the reader."""
    import os
    import subprocess
    import sys

    from tests.pilot_helpers import settle
    from tui_reader.app import TuiReader
    from tui_reader.config import load_config

    path = tmp_path / "config.toml"
    path.write_text(BAD_CONFIG)
    checked = subprocess.run(
        [sys.executable, "-m", "tui_reader", "--config", str(path), "config", "--check"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000"},
    )
    expected = checked.stdout.splitlines()
    assert len(expected) == 3
    app = TuiReader(store, load_config(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, lambda: len(app._notifications) >= 3)
        await pilot.pause(0.2)
        shown = [n.message for n in app._notifications]
    assert shown == expected
