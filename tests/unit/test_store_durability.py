"""Durability of the library: the writer lock, kill -9, disk faults, damaged files.

The promises under test (docs/storage.md):

* one writer per library (a second one, in this or another process, gets `LibraryLocked`
  with a message; read-only opens work alongside);
* whatever `flush()` acknowledged survives SIGKILL at any moment, and the library always
  opens again;
* a failing disk (ENOSPC, EIO at any step of an atomic write) never damages the previous
  file, leaves no temp file, surfaces as `StoreError` and to error listeners, and the
  change is written once the disk works again;
* a damaged library.json is moved aside (never overwritten) with a plain message that
  points at the backup; a damaged per-feed file only costs that feed's data.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

import tui_reader.store.atomic as atomic
import tui_reader.store.writer as writer_module
from tests.conftest import NOW, make_articles
from tui_reader.__main__ import main
from tui_reader.htmltext import word_count
from tui_reader.store import (
    SCHEMA_VERSION,
    LibraryCorrupt,
    LibraryLocked,
    Store,
    StoreError,
    article_id,
)
from tui_reader.store.atomic import TEMP_MARK
from tui_reader.store.records import encode_new_bodies

WORKER = Path(__file__).resolve().parents[1] / "store_crash_worker.py"


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if TEMP_MARK in p.name]


def feed_id(store: Store, title: str) -> str:
    return next(f.id for f in store.feeds() if f.title == title)


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The writer backs off 0.5 s after a failed write; the tests need not wait that long.
    monkeypatch.setattr(writer_module, "RETRY_DELAY", 0.01)


# --------------------------------------------------------------------------- the lock


def test_second_writer_in_process_is_refused_and_first_unaffected(library_path: Path) -> None:
    with Store.open(library_path) as first:
        with pytest.raises(LibraryLocked) as caught:
            Store.open(library_path)
        message = str(caught.value)
        assert "Another tui-reader" in message and str(os.getpid()) in message
        assert "--db" in message
        aid = first.articles()[0].id
        assert first.set_read([aid]) == [aid]
        first.flush()
    with Store.open(library_path) as again:  # released on close
        assert again.is_read(aid)


def test_second_writer_process_is_refused(library_path: Path) -> None:
    script = (
        "import sys\n"
        "from tui_reader.store import Store, LibraryLocked\n"
        "try:\n"
        "    Store.open(sys.argv[1])\n"
        "except LibraryLocked as exc:\n"
        "    print(exc); sys.exit(3)\n"
    )
    with Store.open(library_path) as first:
        proc = subprocess.run(
            [sys.executable, "-c", script, str(library_path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 3, proc.stderr
        assert f"Another tui-reader (process {os.getpid()})" in proc.stdout
        # The CLI says the same in plain words, exit status 2, no traceback.
        proc = subprocess.run(
            [sys.executable, "-m", "tui_reader", "--db", str(library_path), "mark", "--read", "x"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 2
        assert "Another tui-reader" in proc.stderr and "Traceback" not in proc.stderr
        # Read-only commands work alongside the writer.
        proc = subprocess.run(
            [sys.executable, "-m", "tui_reader", "--db", str(library_path), "list", "--json"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 15
        aid = first.articles()[0].id
        first.set_starred([aid])
        first.flush()
        with Store.open(library_path, read_only=True) as reader:
            assert reader.is_starred(aid)


def test_lock_is_released_when_the_holder_dies(library_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from tui_reader.store import Store\n"
            "Store.open(sys.argv[1]); print('open', flush=True); time.sleep(60)\n",
            str(library_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        with pytest.raises(LibraryLocked):
            Store.open(library_path)
    finally:
        proc.kill()
        proc.wait()
    with Store.open(library_path) as store:
        assert len(store) == 15


# --------------------------------------------------------------------------- kill -9


class Model:
    """What the acknowledged operations promise about the library."""

    def __init__(self) -> None:
        self.feeds: dict[str, dict[str, str]] = {}
        self.articles: dict[str, dict[str, str]] = {}
        self.read: set[str] = set()
        self.starred: set[str] = set()

    @classmethod
    def of(cls, store: Store) -> Model:
        model = cls()
        for feed in store.feeds():
            model.feeds[feed.id] = {"title": feed.title, "category": feed.category}
        for article in store.articles():
            model.articles[article.id] = {"feed": article.feed_id, "title": article.title}
            if store.is_read(article.id):
                model.read.add(article.id)
            if store.is_starred(article.id):
                model.starred.add(article.id)
        return model

    def apply(self, op: dict[str, Any]) -> None:
        kind = op["op"]
        if kind == "added":
            self.feeds[op["feed"]] = {"title": op["title"], "category": op["category"]}
        elif kind == "remove":
            del self.feeds[op["feed"]]
            for aid in [a for a, v in self.articles.items() if v["feed"] == op["feed"]]:
                del self.articles[aid]
                self.read.discard(aid)
                self.starred.discard(aid)
        elif kind == "merge":
            for aid, title in op["articles"].items():
                self.articles[aid] = {"feed": op["feed"], "title": title}
        elif kind == "flag":
            flag = self.read if op["kind"] == "read" else self.starred
            for aid in op["ids"]:
                if aid in self.articles:
                    (flag.add if op["value"] else flag.discard)(aid)
        elif kind == "update":
            self.feeds[op["feed"]] = {"title": op["title"], "category": op["category"]}


def check_survivors(store: Store, model: Model, uncertain: list[dict[str, Any]]) -> None:
    """Every acknowledged change is there; only the unacknowledged ones may go either way."""
    maybe_added = any(op["op"] in ("add", "added") for op in uncertain)
    maybe_removed = {op["feed"] for op in uncertain if op["op"] == "remove"}
    maybe_renamed = {op["feed"] for op in uncertain if op["op"] == "update"}
    maybe_merged = {aid for op in uncertain if op["op"] == "merge" for aid in op["articles"]}
    maybe_flagged = {aid for op in uncertain if op["op"] == "flag" for aid in op["ids"]}

    actual = {f.id: f for f in store.feeds()}
    for fid, want in model.feeds.items():
        if fid not in actual:
            assert fid in maybe_removed, f"acknowledged feed {fid} is missing"
            continue
        if fid not in maybe_renamed:
            got = actual[fid]
            assert (got.title, got.category) == (want["title"], want["category"])
    for fid in actual.keys() - model.feeds.keys():
        assert maybe_added, f"feed {fid} appeared from nowhere"
    for aid, want in model.articles.items():
        if want["feed"] not in actual or aid in maybe_merged:
            continue
        got = store.article(aid)
        assert got is not None, f"acknowledged article {aid} is missing"
        assert got.title == want["title"]
        if aid not in maybe_flagged:
            assert store.is_read(aid) == (aid in model.read), aid
            assert store.is_starred(aid) == (aid in model.starred), aid
    for article in store.articles():
        if article.id not in model.articles:
            assert article.id in maybe_merged, f"article {article.id} appeared from nowhere"


def test_acknowledged_changes_survive_kill_9(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    directory = tmp_path / "lib"
    Store.open(directory).close()
    model = Model()
    total_ops = 0
    deadline = time.monotonic() + 30
    rounds = 0
    while total_ops < 1000 and time.monotonic() < deadline:
        rounds += 1
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(directory), str(rng.randrange(2**31))],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        lines: list[dict[str, Any]] = []
        target = rng.randint(60, 180)
        ops = 0
        try:
            while ops < target:
                line = proc.stdout.readline()
                assert line, "the worker stopped on its own"
                lines.append(json.loads(line))
                ops += "op" in lines[-1]
            time.sleep(rng.random() * 0.01)  # land somewhere inside an operation
        finally:
            proc.send_signal(signal.SIGKILL)
            rest = proc.stdout.read()
            proc.wait()
        # Lines the worker printed before it died still count: an ack is an ack.
        lines.extend(json.loads(x) for x in rest.splitlines() if x.strip().endswith("}"))
        total_ops += sum("op" in x for x in lines)

        last_ack = max((i for i, x in enumerate(lines) if "ack" in x), default=-1)
        pending_add: dict[str, Any] = {}
        for entry in lines[: last_ack + 1]:
            if entry.get("op") == "add":
                pending_add = entry
            elif entry.get("op") == "added":
                model.apply({**entry, **{k: pending_add[k] for k in ("title", "category")}})
            elif "op" in entry:
                model.apply(entry)
        uncertain = [x for x in lines[last_ack + 1 :] if "op" in x]

        store = Store.open(directory)  # must always open
        try:
            assert store.warnings == []
            store.flush()  # a backup the writer is making now has a temp file of its own
            assert temp_files(directory) == []
            check_survivors(store, model, uncertain)
            model = Model.of(store)
        finally:
            store.close()
    assert rounds >= 5 and total_ops >= 500, (rounds, total_ops)


# --------------------------------------------------------------------------- disk faults


class FaultyOs(SimpleNamespace):
    """Stands in for `os` inside tui_reader.atomic: one step fails with one errno."""

    def __init__(self, step: str, code: int) -> None:
        super().__init__()
        self.step, self.code, self.active, self.hits = step, code, True, 0

    def _fail(self) -> None:
        self.hits += 1
        raise OSError(self.code, os.strerror(self.code))

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def open(self, path: Any, *args: Any, **kwargs: Any) -> int:
        if self.active and self.step == "open" and TEMP_MARK in str(path):
            self._fail()
        return os.open(path, *args, **kwargs)

    def write(self, fd: int, data: Any) -> int:
        if self.active and self.step == "write":
            # Half the data first, as a full disk does, then the error.
            os.write(fd, bytes(data[: len(data) // 2]))
            self._fail()
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        if self.active and self.step == ("dirfsync" if is_dir else "fsync"):
            self._fail()
        os.fsync(fd)

    def replace(self, src: Any, dst: Any) -> None:
        if self.active and self.step == "replace":
            self._fail()
        os.replace(src, dst)


FAULTS = [
    ("open", errno.ENOSPC),
    ("open", errno.EACCES),
    ("write", errno.ENOSPC),
    ("write", errno.EIO),
    ("fsync", errno.ENOSPC),
    ("fsync", errno.EIO),
    ("replace", errno.ENOSPC),
    ("replace", errno.EIO),
    ("dirfsync", errno.EIO),
]


@pytest.fixture
def inject(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, int], FaultyOs]:
    def install(step: str, code: int) -> FaultyOs:
        fake = FaultyOs(step, code)
        monkeypatch.setattr(atomic, "os", fake)
        return fake

    return install


def loadable(path: Path) -> dict[str, Any]:
    data = orjson.loads(path.read_bytes())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(("step", "code"), FAULTS)
def test_flag_write_faults(
    store: Store, inject: Callable[[str, int], FaultyOs], step: str, code: int
) -> None:
    errors: list[str] = []
    store.add_error_listener(errors.append)
    alpha = feed_id(store, "Alpha")
    first, second = [a.id for a in store.articles([alpha])][:2]
    store.set_read([first])
    store.flush()
    path = store.directory / "flags" / f"{alpha}.json"
    before = path.read_bytes()

    fault = inject(step, code)
    store.set_read([second])
    with pytest.raises(StoreError, match="could not be saved"):
        store.flush(timeout=10)
    assert fault.hits >= 1
    assert errors and os.strerror(code) in errors[0]
    assert temp_files(store.directory) == []
    if step != "dirfsync":  # after the rename the new file is in place, just not synced
        assert path.read_bytes() == before
    loadable(path)
    assert store.is_read(second)  # memory keeps the change for the retry

    fault.active = False
    store.flush(timeout=10)
    assert second.encode() in path.read_bytes()
    assert store.last_write_error is None
    store.close()
    with Store.open(store.directory) as again:
        assert again.is_read(first) and again.is_read(second)


@pytest.mark.parametrize(("step", "code"), FAULTS[2:5])
def test_library_json_write_faults(
    store: Store, inject: Callable[[str, int], FaultyOs], step: str, code: int
) -> None:
    errors: list[str] = []
    store.add_error_listener(errors.append)
    path = store.directory / "library.json"
    store.flush()
    before = path.read_bytes()
    fault = inject(step, code)
    beta = feed_id(store, "Beta")
    store.update_feed(beta, title="Beta 2")
    with pytest.raises(StoreError):
        store.flush(timeout=10)
    assert errors and path.read_bytes() == before and temp_files(store.directory) == []
    fault.active = False
    store.flush(timeout=10)
    assert loadable(path) and b"Beta 2" in path.read_bytes()


@pytest.mark.parametrize(("step", "code"), [("write", errno.ENOSPC), ("replace", errno.EIO)])
def test_merge_write_faults(
    store: Store, inject: Callable[[str, int], FaultyOs], step: str, code: int
) -> None:
    gamma = feed_id(store, "Gamma")
    headers = store.directory / "headers" / f"{gamma}.json"
    bodies = store.directory / "bodies" / f"{gamma}.json"
    before = headers.read_bytes(), bodies.read_bytes()
    fault = inject(step, code)
    with pytest.raises(StoreError, match="Could not save new articles"):
        store.merge_articles(gamma, make_articles("gamma", 6), NOW)
    assert (headers.read_bytes(), bodies.read_bytes()) == before
    assert temp_files(store.directory) == []
    with pytest.raises(StoreError):
        store.flush(timeout=10)  # still pending: flush says so
    fault.active = False
    store.flush(timeout=10)  # the writer saves the merged feed
    store.close()
    with Store.open(store.directory) as again:
        assert again.unread_count([gamma]) == 6
        newest = again.articles([gamma])[0]
        assert again.body(newest.id).startswith("<p>Body of gamma")


def test_close_reports_a_lasting_fault_and_stops_the_writer(
    store: Store, inject: Callable[[str, int], FaultyOs]
) -> None:
    inject("write", errno.ENOSPC)
    store.set_read([store.articles()[0].id])
    with pytest.raises(StoreError):
        store.close()
    assert store.writer.thread is not None and not store.writer.thread.is_alive()
    assert temp_files(store.directory) == []


# --------------------------------------------------------------------------- damage


def library_json(directory: Path) -> bytes:
    return (directory / "library.json").read_bytes()


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda good: good[: len(good) // 2],
    "trailing garbage": lambda good: good + b"\x00garbage",
    "empty": lambda good: b"",
    "blank": lambda good: b" \n",
    "not json": lambda good: b"<html>hello</html>",
    "binary": lambda good: bytes(range(256)),
    "a list": lambda good: b"[]",
    "feeds is a list": lambda good: b'{"feeds": []}',
    "a record is a number": lambda good: b'{"meta": {"1": 5}}',
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_library_json_is_moved_aside_and_restorable(
    library_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Store.open(library_path).close()  # a good open: library.json.bak exists
    assert (library_path / "library.json.bak").exists()
    bad = DAMAGE[damage](library_json(library_path))
    (library_path / "library.json").write_bytes(bad)

    with pytest.raises(LibraryCorrupt) as caught:
        Store.open(library_path)
    exc = caught.value
    assert exc.moved_to is not None and exc.moved_to.read_bytes() == bad
    assert not (library_path / "library.json").exists()
    assert exc.backup == library_path / "library.json.bak"
    message = str(exc)
    assert "could not be read" in message and exc.moved_to.name in message
    assert "library.json.bak" in message and "tui-reader restore-backup" in message
    assert "Traceback" not in message and "orjson" not in message

    # Until restored, opening again refuses rather than starting over the backup.
    with pytest.raises(LibraryCorrupt, match="restore-backup"):
        Store.open(library_path)

    assert main(["restore-backup", "--db", str(library_path)]) == 0
    assert "Restored" in capsys.readouterr().out
    with Store.open(library_path) as store:
        assert [f.title for f in store.feeds()] == ["Gamma", "Alpha", "Beta"]
        assert len(store) == 15


def test_damage_without_a_backup_says_so(tmp_path: Path) -> None:
    directory = tmp_path / "lib"
    with Store.open(directory) as store:
        store.add_feed("https://a.example.com/feed", "A")
    assert not (directory / "library.json.bak").exists()  # only a good *open* makes one
    (directory / "library.json").write_bytes(b"{")
    with pytest.raises(LibraryCorrupt) as caught:
        Store.open(directory)
    assert caught.value.backup is None and "restore-backup" not in str(caught.value)


def test_damage_twice_never_overwrites_an_earlier_copy(library_path: Path) -> None:
    (library_path / "library.json").write_bytes(b"first")
    with pytest.raises(LibraryCorrupt) as one:
        Store.open(library_path)
    (library_path / "library.json.bak").unlink(missing_ok=True)
    (library_path / "library.json").write_bytes(b"second")
    with pytest.raises(LibraryCorrupt) as two:
        Store.open(library_path)
    assert one.value.moved_to != two.value.moved_to
    assert one.value.moved_to.read_bytes() == b"first"
    assert two.value.moved_to.read_bytes() == b"second"


def test_read_only_open_of_damaged_library_changes_nothing(library_path: Path) -> None:
    (library_path / "library.json").write_bytes(b"{not json")
    with pytest.raises(StoreError) as caught:
        Store.open(library_path, read_only=True)
    assert not isinstance(caught.value, LibraryCorrupt)
    assert "cannot be read" in str(caught.value)
    assert library_json(library_path) == b"{not json"


def test_newer_schema_is_refused(library_path: Path) -> None:
    data = orjson.loads(library_json(library_path))
    data["meta"]["1"]["schema"] = SCHEMA_VERSION + 1
    (library_path / "library.json").write_bytes(orjson.dumps(data))
    with pytest.raises(StoreError, match="newer tui-reader"):
        Store.open(library_path)
    assert orjson.loads(library_json(library_path)) == data


def test_damaged_feed_record_is_skipped(library_path: Path) -> None:
    data = orjson.loads(library_json(library_path))
    data["feeds"]["99"] = {"url": "https://x.example.com/"}  # no id
    data["feeds"]["98"] = {"id": "../../escape", "url": "https://y.example.com/"}
    (library_path / "library.json").write_bytes(orjson.dumps(data))
    with Store.open(library_path) as store:
        assert len(store.feeds()) == 3
        assert store.warnings == ["A damaged subscription record was skipped."] * 2


@pytest.mark.parametrize("kind", ["headers", "flags", "bodies"])
def test_damaged_shard_costs_only_that_feed(library_path: Path, kind: str) -> None:
    with Store.open(library_path) as store:
        alpha, beta = feed_id(store, "Alpha"), feed_id(store, "Beta")
        store.record_fetch(alpha, ok=True, etag='"v1"', last_modified="Sun, 1 Nov 2026")
        store.set_read([a.id for a in store.articles([alpha])][:2])
        store.set_read([a.id for a in store.articles([beta])][:1])
    shard = library_path / kind / f"{alpha}.json"
    shard.write_bytes(b'{"articles": {"1": ')

    with Store.open(library_path) as store:
        newest = store.articles([alpha])
        if kind == "bodies":  # bodies are read on demand: the damage shows on first use
            assert store.warnings == []
            assert store.body(newest[0].id) == ""
        assert len(store.warnings) == 1
        warning = store.warnings[0]
        assert f"The {kind} file of feed 'Alpha' was damaged" in warning
        assert "set aside" in warning and "Traceback" not in warning
        assert not shard.exists()
        assert len(list(shard.parent.glob(f"{alpha}.json.corrupt-*"))) == 1
        # Other feeds are untouched.
        assert store.unread_count([beta]) == 4 and len(store.articles([beta])) == 5
        feed = store.feed(alpha)
        if kind == "headers":
            assert newest == []
        else:
            assert len(newest) == 6
        if kind == "flags":
            assert store.unread_count([alpha]) == 6  # marks lost
            assert feed.etag == '"v1"'  # the articles are all there: keep the validators
        else:
            # The next refresh must fetch everything instead of getting 304 forever.
            assert feed.etag is None and feed.last_modified is None
            result = store.merge_articles(alpha, make_articles("alpha", 6), NOW)
            assert result.new + result.updated == 6
    with Store.open(library_path) as store:
        assert store.warnings == []
        assert store.feed(alpha).etag == ('"v1"' if kind == "flags" else None)
        aid = store.articles([alpha])[0].id
        assert store.body(aid).startswith("<p>Body of alpha")


def test_wrong_types_inside_shards_are_skipped(library_path: Path) -> None:
    with Store.open(library_path) as store:
        alpha = feed_id(store, "Alpha")
    headers = library_path / "headers" / f"{alpha}.json"
    data = orjson.loads(headers.read_bytes())
    docs = data["articles"]
    docs["100"] = {"id": 5, "key": "k", "title": "t", "link": "", "author": "", "published": 0}
    docs["101"] = {"id": "abc", "key": "k", "title": ["x"], "link": "", "author": ""}
    docs["102"] = "not a record"
    first = docs["1"]
    docs["103"] = {**first, "id": "zzz", "published": "yesterday", "words": "many"}
    headers.write_bytes(orjson.dumps(data))
    flags = library_path / "flags" / f"{alpha}.json"
    flags.write_bytes(b'{"flags": {"1": {"read": 5, "starred": [1, null], "gone": "x"}}}')
    with Store.open(library_path) as store:
        assert len(store.articles([alpha])) == 7  # six good ones and "zzz"
        odd = store.article("zzz")
        assert odd is not None and odd.published.year == 1970 and odd.words == 0
        assert store.unread_count([alpha]) == 7 and store.starred_count() == 0


# --------------------------------------------------------------------------- other


def test_stale_temp_files_are_removed_on_open(library_path: Path) -> None:
    leftovers = [
        library_path / f"library.json{TEMP_MARK}4242",
        library_path / "headers" / f"abc.json{TEMP_MARK}4242-1",
        library_path / "flags" / f"abc.json{TEMP_MARK}1",
        library_path / "bodies" / f"abc.json{TEMP_MARK}1",
    ]
    for path in leftovers:
        path.write_bytes(b"half a fi")
    with Store.open(library_path, read_only=True):
        assert all(p.exists() for p in leftovers)  # a reader changes nothing
    with Store.open(library_path) as store:
        assert not any(p.exists() for p in leftovers)
        assert len(store) == 15 and store.warnings == []


def test_read_only_filesystem_gives_plain_words(library_path: Path, read_only_disk: None) -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(library_path)
    message = str(caught.value)
    assert "the disk is read-only" in message and str(library_path) in message
    with Store.open(library_path, read_only=True) as store:  # reading still works
        assert len(store) == 15


def test_library_path_under_a_file_gives_plain_words(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="Cannot use the library"):
        Store.open(tmp_path / "file" / "lib")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_permission_denied_gives_plain_words(library_path: Path) -> None:
    library_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            Store.open(library_path)
    finally:
        library_path.chmod(0o700)


def test_unreadable_library_json_gives_plain_words(
    library_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "library.json":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(StoreError, match="permission denied"):
        Store.open(library_path)
    monkeypatch.undo()
    with Store.open(library_path) as store:  # the lock was released
        assert len(store) == 15


@pytest.mark.parametrize(("step", "code"), [f for f in FAULTS if f[0] != "write"])
def test_a_staged_bodies_file_survives_a_failed_publish_and_is_retried(
    store: Store, inject: Callable[[str, int], FaultyOs], step: str, code: int
) -> None:
    """A parser process's staged bodies file is the only copy of those bodies: a failure
    to rename it into place keeps it, and the writer's retry publishes it."""
    feed, _ = store.add_feed("https://new.example.com/feed", "New")
    items = make_articles("new", 3)
    bare = [replace(a, body_html="", words=word_count(a.body_html)) for a in items]
    encoded = encode_new_bodies(feed.id, items, store.directory / "bodies")
    fault = inject(step, code)
    if step == "dirfsync":  # the rename happened: the merge fails, but the file is in place
        with pytest.raises(StoreError):
            store.merge_articles(feed.id, bare, NOW, encoded)
    else:
        with pytest.raises(StoreError, match="Could not save new articles"):
            store.merge_articles(feed.id, bare, NOW, encoded)
        assert Path(encoded.staged).exists()  # kept for the retry
    assert fault.hits >= 1
    want = {article_id(feed.id, a.key): a.body_html for a in items}
    assert store.bodies_of_feed(feed.id) == want  # readable meanwhile
    fault.active = False
    store.flush(timeout=10)
    assert temp_files(store.directory) == []
    store.close()
    with Store.open(store.directory) as again:
        assert {a.id: again.body(a.id) for a in again.articles([feed.id])} == want


def test_a_staged_bodies_file_lost_before_its_publish_is_fetched_again(
    store: Store, inject: Callable[[str, int], FaultyOs]
) -> None:
    feed, _ = store.add_feed("https://new.example.com/feed", "New")
    items = make_articles("new", 2)
    bare = [replace(a, body_html="", words=word_count(a.body_html)) for a in items]
    encoded = encode_new_bodies(feed.id, items, store.directory / "bodies")
    fault = inject("replace", errno.EIO)
    with pytest.raises(StoreError):
        store.merge_articles(feed.id, bare, NOW, encoded)
    store.record_fetch(feed.id, ok=True, etag='"v1"', when=NOW)  # as a refresh would
    Path(encoded.staged).unlink()  # gone before the writer's retry
    fault.active = False
    with pytest.raises(StoreError, match="gone"):  # the first retry finds it gone...
        store.flush(timeout=10)
    store.flush(timeout=10)  # ... and the next one saves the feed without those bodies
    assert any("fetched again" in w for w in store.warnings)
    assert store.feed(feed.id).etag is None  # type: ignore[union-attr]
    assert len(store.articles([feed.id])) == 2
    assert temp_files(store.directory) == []


def test_files_written_without_fsync_start_their_writeback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh's article files (no fsync each, one sync at the end) ask the kernel to
    start writing them at once; fsynced files need no such hint. The hint never fails a
    write, whatever the descriptor."""
    from tui_reader.store import atomic

    read_end, write_end = os.pipe()
    try:
        atomic._start_writeback(write_end)  # sync_file_range refuses a pipe: ignored
    finally:
        os.close(read_end)
        os.close(write_end)
    hinted: list[int] = []
    monkeypatch.setattr(atomic, "_start_writeback", hinted.append)
    staged = atomic.stage_file(tmp_path / "a.json", b"{}", durable=False)
    assert staged.read_bytes() == b"{}" and len(hinted) == 1
    atomic.atomic_write(tmp_path / "b.json", b"{}", durable=True)
    assert len(hinted) == 1
    atomic.atomic_write(tmp_path / "c.json", b"{}", durable=False)
    assert len(hinted) == 2 and (tmp_path / "c.json").read_bytes() == b"{}"
