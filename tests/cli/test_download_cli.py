"""`tui-reader download` against a podcast served on 127.0.0.1 (issue 18 part 1)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest

from tests.support.podcastfeed import serve_podcast
from tui_reader.__main__ import main
from tui_reader.feeds.refresh import refresh_feeds
from tui_reader.store import Store


def write_config(path: Path, downloads: Path, max_mb: int = 100) -> Path:
    path.write_text(f'download_dir = "{downloads}"\ndownload_max_mb = {max_mb}\n')
    return path


def test_download_fetches_every_enclosure_once_and_list_json_shows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    downloads = tmp_path / "dl"
    config = write_config(tmp_path / "config.toml", downloads)
    lib = tmp_path / "lib"
    with serve_podcast(tmp_path / "site") as served:
        with Store.open(lib) as store:
            store.add_feed(served.feed_url)
            asyncio.run(refresh_feeds(store, store.feeds()))
        args = ["download", "--db", str(lib), "--config", str(config)]
        assert main([*args, "--feed", served.feed_url]) == 0
        out = capsys.readouterr().out
        assert "3 to download into" in out and "3 downloaded" in out
        for n in (1, 2, 3):
            assert f"downloading Episode {n}" in out
            assert f"done Episode {n} -> {downloads / 'Loopback Cast'}" in out
            saved = downloads / "Loopback Cast" / f"Episode {n}.mp3"
            assert saved.read_bytes() == served.files[f"episode{n}.mp3"]
        requests = served.counters.requests
        assert main([*args, "--new"]) == 0
        assert "Nothing to download." in capsys.readouterr().out
        assert served.counters.requests == requests
    assert main(["list", "--json", "--db", str(lib)]) == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    shown = sorted((d["state"], Path(d["path"]).name) for r in rows for d in r["downloads"])
    assert shown == [("done", f"Episode {n}.mp3") for n in (1, 2, 3)]


def test_failures_give_exit_status_1_and_an_unknown_feed_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "config.toml", tmp_path / "dl")
    lib = tmp_path / "lib"
    items = [("Gone", "{base}missing.mp3", "audio/mpeg"), ("Here", "{base}episode1.mp3", "")]
    with serve_podcast(tmp_path / "site", items) as served:
        with Store.open(lib) as store:
            store.add_feed(served.feed_url)
            asyncio.run(refresh_feeds(store, store.feeds()))
        args = ["download", "--db", str(lib), "--config", str(config)]
        assert main(args) == 1
        captured = capsys.readouterr()
        assert "failed Gone: HTTP 404 Not Found" in captured.out
        assert "1 of 2 downloads failed" in captured.err
        assert main([*args, "--feed", "https://nowhere.example/feed"]) == 2
        assert "no subscription" in capsys.readouterr().err
        # --new leaves the failure alone; without it, it is tried again.
        assert main([*args, "--new"]) == 0
        assert main(args) == 1
