"""Podcast downloads (issue 18 part 1) against a podcast served on 127.0.0.1: three
episodes download, a pause resumes from the right byte (Range), a server that ignores
Range restarts cleanly, hostile titles and URLs write nothing outside download_dir, the
size cap stops and removes the part, and "downloaded" survives reopening the library."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.podcastfeed import PodcastServer, serve_podcast
from tui_reader.config import Config
from tui_reader.feeds.refresh import refresh_feeds
from tui_reader.models import Enclosure
from tui_reader.podcasts import queue as queue_module
from tui_reader.podcasts.naming import (
    MAX_NAME_BYTES,
    extension_for,
    inside,
    publish,
    reserve_part,
    safe_stem,
)
from tui_reader.podcasts.player import PlayerError, plan_play
from tui_reader.podcasts.queue import DownloadQueue, Job, downloaded_paths
from tui_reader.podcasts.setup import download_folder, download_settings
from tui_reader.store import Store


class Runner:
    """The queue's `start`: each job on a thread of its own; `wait` joins them all."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.queue: DownloadQueue | None = None

    def __call__(self, job: Job) -> None:
        assert self.queue is not None
        thread = threading.Thread(target=self.queue.run, args=(job,))
        self.threads.append(thread)
        thread.start()

    def wait(self) -> None:
        while self.threads:
            self.threads.pop(0).join(timeout=60)


def make_queue(
    store: Store, folder: Path, *, max_mb: int = 100, on_change: object = None
) -> tuple[DownloadQueue, Runner]:
    runner = Runner()
    config = Config(download_dir=str(folder), download_max_mb=max_mb)
    queue = DownloadQueue(
        store,
        download_folder(config),
        download_settings(config),
        max_parallel=2,
        start=runner,
        on_change=on_change,  # type: ignore[arg-type]
    )
    runner.queue = queue
    return queue, runner


def library(path: Path, served: PodcastServer) -> Store:
    store = Store.open(path)
    store.add_feed(served.feed_url)
    summary = asyncio.run(refresh_feeds(store, store.feeds()))
    assert not summary.failed, summary
    return store


def episodes(store: Store) -> list[tuple[str, Enclosure]]:
    """(article id, its enclosure), oldest first."""
    articles = sorted(store.articles(), key=lambda a: a.published)
    media = store.media_of_feed(articles[0].feed_id)
    return [(a.id, media[a.id].enclosures[0]) for a in articles]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def is_loopback(ip: str) -> bool:
    return ipaddress.ip_address(ip).is_loopback


@pytest.fixture
def podcast(tmp_path: Path) -> Iterator[PodcastServer]:
    with serve_podcast(tmp_path / "site") as served:
        yield served


# --------------------------------------------------------------------------- names


def test_names_come_from_the_title_and_stay_safe() -> None:
    assert safe_stem("Episode 12: The ../../etc/passwd") == "Episode 12 The .. .. etc passwd"
    assert safe_stem("../../etc/x") == "etc x"
    assert safe_stem("/etc/passwd") == "etc passwd"
    assert safe_stem("..") == "episode" and safe_stem("") == "episode"
    assert safe_stem("a\x00b\x1b[31mc\u202ed") == "a b [31mc d"
    assert safe_stem(".hidden") == "hidden"
    assert safe_stem("CON") == "_CON" and safe_stem("lpt1.mp3") == "_lpt1.mp3"
    assert safe_stem("%2e%2e%2f") == "%2e%2e%2f"  # a literal name: nothing decodes it
    long = safe_stem("é" * 300)
    assert len(long.encode()) <= MAX_NAME_BYTES - 16 and long == "é" * len(long)


def test_extension_from_the_real_type_else_a_known_media_extension() -> None:
    assert extension_for("audio/mpeg; charset=x", "video/mp4", "https://a/x.ogg") == ".mp3"
    assert extension_for(None, "audio/x-m4a", "https://a/x") == ".m4a"
    assert extension_for("application/octet-stream", "", "https://a/b/ep.opus?x=1") == ".opus"
    assert extension_for("text/html", "", "https://a/run.sh") == ""
    assert extension_for(None, "", "https://a/%2e%2e%2fx.exe") == ""


def test_parts_and_final_names_never_overwrite(tmp_path: Path) -> None:
    (tmp_path / "Ep.mp3").write_bytes(b"old")
    part = reserve_part(tmp_path, "Ep", set())
    assert part.name == "Ep (2).part"
    part.write_bytes(b"new")
    (tmp_path / "Ep (2).mp3").write_bytes(b"someone else's")
    final = publish(part, ".mp3")
    assert final.name == "Ep (2) (2).mp3" and final.read_bytes() == b"new"
    assert (tmp_path / "Ep.mp3").read_bytes() == b"old"
    assert not inside(tmp_path, tmp_path / ".." / "x") and inside(tmp_path, final)


# --------------------------------------------------------------------------- downloads


def test_three_episodes_download_and_are_remembered(tmp_path: Path, podcast: PodcastServer) -> None:
    folder = tmp_path / "downloads"
    store = library(tmp_path / "lib", podcast)
    try:
        queue, runner = make_queue(store, folder)
        jobs = [queue.enqueue(aid, enclosure) for aid, enclosure in episodes(store)]
        runner.wait()
        assert [job.state for job in jobs] == ["done"] * 3, [job.error for job in jobs]
        for n, job in enumerate(jobs, start=1):
            assert job.path is not None
            assert job.path == folder / "Loopback Cast" / f"Episode {n}.mp3"
            assert job.path.read_bytes() == podcast.files[f"episode{n}.mp3"]
        assert not list(folder.rglob("*.part"))
        article_ids = [job.article_id for job in jobs]
    finally:
        store.close()
    with Store.open(tmp_path / "lib", read_only=True) as again:
        paths = [downloaded_paths(again, aid) for aid in article_ids]
        assert [len(p) for p in paths] == [1, 1, 1]
        # A second queue sees them done, without a request.
        requests = podcast.counters.requests
    store = Store.open(tmp_path / "lib")
    try:
        queue, runner = make_queue(store, folder)
        job = queue.enqueue(*episodes(store)[0])
        runner.wait()
        assert job.state == "done" and podcast.counters.requests == requests
    finally:
        store.close()


def pause_midway(queue_ref: list[DownloadQueue]) -> object:
    """An on_change that pauses each job once, after its first bytes are on disk."""
    paused: set[int] = set()

    def changed(job: Job) -> None:
        if job.state == "downloading" and job.done > 0 and job.id not in paused:
            paused.add(job.id)
            queue_ref[0].pause(job)

    return changed


@pytest.mark.parametrize("ignores_range", [False, True], ids=["range", "no-range"])
def test_pause_then_resume_continues_from_the_right_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ignores_range: bool
) -> None:
    monkeypatch.setattr(queue_module, "PROGRESS_INTERVAL", 0.0)
    route = "{base}_norange/episode2.mp3" if ignores_range else "{base}episode2.mp3"
    with serve_podcast(tmp_path / "site", [("Episode 2", route, "audio/mpeg")]) as served:
        store = library(tmp_path / "lib", served)
        try:
            holder: list[DownloadQueue] = []
            queue, runner = make_queue(store, tmp_path / "dl", on_change=pause_midway(holder))
            holder.append(queue)
            (aid, enclosure), *_ = episodes(store)
            job = queue.enqueue(aid, enclosure)
            runner.wait()
            assert job.state == "paused", job.error
            assert job.part is not None and job.part.name == "Episode 2.part"
            kept = job.part.stat().st_size
            expected = served.files["episode2.mp3"]
            assert 0 < kept < len(expected) and job.done == kept
            assert job.part.read_bytes() == expected[:kept]
            record = store.downloads.get(aid, enclosure.url)
            assert record is not None and record.state == "partial" and record.size == kept
            queue.resume(job)
            runner.wait()
            assert job.state == "done", job.error
            assert served.counters.ranges == [f"/episode2.mp3 bytes={kept}-"]
            partial_answers = served.counters.as_dict()["by_status"].get("206", 0)
            assert partial_answers == (0 if ignores_range else 1)
            assert job.path is not None and job.path.read_bytes() == expected
            assert [p.name for p in files_under(tmp_path / "dl")] == ["Episode 2.mp3"]
        finally:
            store.close()


def test_cancel_removes_the_part_and_retry_starts_again(
    tmp_path: Path, podcast: PodcastServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_module, "PROGRESS_INTERVAL", 0.0)
    store = library(tmp_path / "lib", podcast)
    try:
        holder: list[DownloadQueue] = []
        queue, runner = make_queue(store, tmp_path / "dl", on_change=pause_midway(holder))
        holder.append(queue)
        aid, enclosure = episodes(store)[1]
        job = queue.enqueue(aid, enclosure)
        runner.wait()
        assert job.state == "paused"
        queue.cancel(job)
        assert job.state == "cancelled" and files_under(tmp_path / "dl") == []
        assert store.downloads.get(aid, enclosure.url) is None
        queue.retry(job)
        runner.wait()
        assert job.state == "done" and job.path is not None
        assert job.path.read_bytes() == podcast.files["episode2.mp3"]
    finally:
        store.close()


HOSTILE: Sequence[tuple[str, str, str]] = (
    ("../../etc/x", "{base}episode1.mp3", "audio/mpeg"),
    ("/etc/passwd", "{base}episode2.mp3", "text/x-shellscript"),
    ("a\x07b\x1b]0;pwned\x07c\r\nd", "{base}episode3.mp3", "audio/mpeg"),
    ("CON", "{base}%2e%2e%2f%2e%2e%2fepisode1.mp3", "audio/mpeg"),
    ("ü" * 300, "{base}..%2f..%2fepisode2.mp3", ""),
    ("..", "{base}episode3.mp3?name=../../x.sh", "application/x-sh"),
)


def test_hostile_titles_and_urls_write_nothing_outside_the_folder(tmp_path: Path) -> None:
    outside_before = {p for p in tmp_path.rglob("*") if p.is_file()}
    with serve_podcast(tmp_path / "site", HOSTILE) as served:
        store = library(tmp_path / "lib", served)
        try:
            folder = tmp_path / "nest" / "dl"
            queue, runner = make_queue(store, folder)
            jobs = [queue.enqueue(aid, enclosure) for aid, enclosure in episodes(store)]
            runner.wait()
            # The server finds no file for the encoded-dots paths: those fail, in words.
            for job in jobs:
                assert job.state in ("done", "failed"), job.state
                assert job.state == "done" or job.error.startswith("HTTP 404")
            assert sum(job.state == "done" for job in jobs) == 4
        finally:
            store.close()
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - outside_before
    written = {p for p in written if not p.is_relative_to(tmp_path / "lib")}
    written = {p for p in written if not p.is_relative_to(tmp_path / "site")}
    assert written and all(p.is_relative_to(folder / "Loopback Cast") for p in written)
    for path in written:
        name = path.name
        assert len(name.encode()) <= 255
        assert name.isprintable() and not name.startswith(".")
        assert name.split(".")[0].upper() != "CON"
        assert path.suffix in (".mp3", "")
    names = sorted(p.name for p in written)
    assert "etc x.mp3" in names and "etc passwd.mp3" in names and "_CON.mp3" not in names


def test_the_size_cap_stops_and_removes_the_part(tmp_path: Path) -> None:
    # A file that declares its size is refused before a byte is written.
    with serve_podcast(tmp_path / "site") as served:
        big = served.root / "big.mp3"
        big.write_bytes(os.urandom(1_500_000))
        (served.root / "feed.xml").write_text(
            (served.root / "feed.xml").read_text().replace("episode1.mp3", "big.mp3"),
            encoding="utf-8",
        )
        store = library(tmp_path / "lib", served)
        try:
            queue, runner = make_queue(store, tmp_path / "dl", max_mb=1)
            jobs = [queue.enqueue(aid, enclosure) for aid, enclosure in episodes(store)]
            runner.wait()
            capped = jobs[0]
            assert capped.state == "failed"
            assert capped.error == (
                "stopped: the file is larger than the 1 MB limit (download_max_mb in the config)"
            )
            assert [job.state for job in jobs[1:]] == ["done", "done"]
            assert not list((tmp_path / "dl").rglob("*.part"))
            record = store.downloads.get(capped.article_id, capped.url)
            assert record is not None and record.state == "failed" and record.path == ""
        finally:
            store.close()


def test_a_body_without_a_length_is_stopped_at_the_cap(tmp_path: Path) -> None:
    """No Content-Length to judge by (a chunked answer): the cap counts the bytes."""
    from tui_reader.feeds.curl_session import Response
    from tui_reader.podcasts.download import TooLarge, _Sink

    part = tmp_path / "x.part"
    sink = _Sink(part, 0, 10, None, lambda: None)
    assert sink.start(Response(200, "OK", [("content-type", "audio/mpeg")]))
    sink.feed(b"0123456789")
    with pytest.raises(TooLarge, match="larger than the 10 bytes limit"):
        sink.feed(b"!")
    sink.close()
    assert part.read_bytes() == b"0123456789"  # download() removes it (tested above)


def test_a_public_feed_may_not_send_the_download_to_a_local_address(
    tmp_path: Path, podcast: PodcastServer
) -> None:
    store = library(tmp_path / "lib", podcast)
    try:
        queue, runner = make_queue(store, tmp_path / "dl")
        # Tests have only loopback addresses: here only loopback counts as local, so a
        # feed on 203.0.113.9 (a literal: no DNS) is public, and the file on 127.0.0.1
        # is a local address it may not lead to.
        queue.settings = replace(queue.settings, classify=is_loopback)
        job = queue.enqueue(*episodes(store)[0], start=False)
        job.origin = "https://203.0.113.9/feed"
        queue.pump()
        runner.wait()
        assert job.state == "failed" and "private or local address" in job.error
        assert files_under(tmp_path / "dl") == []
    finally:
        store.close()


def test_the_player_gets_an_argv_and_only_web_addresses(tmp_path: Path) -> None:
    with pytest.raises(PlayerError, match="No player is set"):
        plan_play("", "https://a.example/x.mp3")
    argv = plan_play("true --flag", "https://a.example/x.mp3")
    assert argv[1:] == ("--flag", "https://a.example/x.mp3")
    local = tmp_path / "-ep.mp3"
    local.write_bytes(b"x")
    argv = plan_play("true --play=%s", "https://a.example/x.mp3", str(local))
    assert argv[1:] == (f"--play={local.resolve()}",)
    with pytest.raises(PlayerError, match="Not played"):
        plan_play("true", "file:///etc/passwd")


def test_a_pause_survives_closing_the_library(
    tmp_path: Path, podcast: PodcastServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader closing pauses downloads (`stop_all`); the next session lists the part
    as paused and resumes it from its size."""
    monkeypatch.setattr(queue_module, "PROGRESS_INTERVAL", 0.0)
    store = library(tmp_path / "lib", podcast)
    holder: list[DownloadQueue] = []

    def close_midway(job: Job) -> None:
        if job.state == "downloading" and job.done > 0:
            holder[0].stop_all()

    try:
        queue, runner = make_queue(store, tmp_path / "dl", on_change=close_midway)
        holder.append(queue)
        aid, enclosure = episodes(store)[2]
        job = queue.enqueue(aid, enclosure)
        runner.wait()
        assert job.state == "paused"
        kept = job.done
    finally:
        store.close()
    store = Store.open(tmp_path / "lib")
    try:
        queue, runner = make_queue(store, tmp_path / "dl")
        queue.restore(store.downloads.all())
        (job,) = queue.jobs
        assert job.state == "paused" and job.done == kept and job.part is not None
        queue.resume(job)
        runner.wait()
        assert job.state == "done" and job.path is not None
        assert job.path.read_bytes() == podcast.files["episode3.mp3"]
        assert podcast.counters.ranges == [f"/episode3.mp3 bytes={kept}-"]
    finally:
        store.close()


def test_config_check_tells_of_a_player_that_cannot_start() -> None:
    from tui_reader.config import check_config, config_from_dict

    def problems(player: str) -> tuple[str, ...]:
        config = config_from_dict({"player": player}, source="c.toml")
        return check_config(config, bindings={}, themes=None)

    assert problems("") == () and problems("true --x") == ()
    assert problems("no-such-player-xyz %s") == (
        "c.toml: player 'no-such-player-xyz' is not a program on PATH; E cannot play.",
    )
    assert "cannot be read" in problems('mpv "unclosed')[0]
    config = config_from_dict({"max_downloads": 99, "download_max_mb": "big"}, source="c")
    assert (config.max_downloads, config.download_max_mb) == (2, 2000)
    assert len(config.warnings) == 2


def test_a_part_kept_by_a_failure_is_resumed_when_asked_again(
    tmp_path: Path, podcast: PodcastServer
) -> None:
    from tui_reader.store.downloads import DownloadRecord

    store = library(tmp_path / "lib", podcast)
    try:
        aid, enclosure = episodes(store)[0]
        folder = tmp_path / "dl" / "Loopback Cast"
        folder.mkdir(parents=True)
        part = folder / "Episode 1.part"
        expected = podcast.files["episode1.mp3"]
        part.write_bytes(expected[:1000])
        store.downloads.put(
            DownloadRecord(aid, "", enclosure.url, str(part), 1000, None, "failed", "stalled")
        )
        queue, runner = make_queue(store, tmp_path / "dl")
        queue.restore(store.downloads.all())
        (job,) = queue.jobs
        assert (job.state, job.error, job.done) == ("failed", "stalled", 1000)
        again = queue.enqueue(aid, enclosure)
        runner.wait()
        assert again is job and job.state == "done" and job.path is not None
        assert job.path.read_bytes() == expected
        assert podcast.counters.ranges == ["/episode1.mp3 bytes=1000-"]
    finally:
        store.close()
