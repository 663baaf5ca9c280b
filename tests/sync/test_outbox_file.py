"""The outbox in its own file (outbox.json): a flag change on a bound library does not
rewrite library.json, a library from before the file is migrated, a damaged file is set
aside with a warning, and a failed outbox write keeps the flags file back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tui_reader.models import NewArticle
from tui_reader.store import Store, StoreError
from tui_reader.store import atomic as atomic_module

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def bound_library(path: Path) -> list[str]:
    with Store.open(path) as store:
        feed, _ = store.add_feed("http://127.0.0.1:9/feed.xml")
        store.merge_articles(
            feed.id, [NewArticle(f"k{i}", f"T{i}", "", "", NOW) for i in range(3)], NOW
        )
        store.sync.bind("miniflux", "http://127.0.0.1:9", "", "")
        return sorted(a.id for a in store.articles())


def test_a_flag_change_writes_the_outbox_not_library_json(tmp_path: Path):
    ids = bound_library(tmp_path / "lib")
    main = tmp_path / "lib" / "library.json"
    with Store.open(tmp_path / "lib") as store:
        store.flush()  # the open's own writes (the backup) are done
        before = main.stat().st_ino
        store.set_read(ids[:2])
        store.set_starred(ids[2:])
        store.flush()
        assert main.stat().st_ino == before  # not replaced
    records = orjson.loads((tmp_path / "lib" / "outbox.json").read_bytes())["outbox"]
    assert sorted((r["article"], r["flag"]) for r in records.values()) == sorted(
        [(ids[0], "read"), (ids[1], "read"), (ids[2], "starred")]
    )
    assert "outbox" not in orjson.loads(main.read_bytes())


def test_an_outbox_kept_in_library_json_is_moved_to_its_own_file(tmp_path: Path):
    ids = bound_library(tmp_path / "lib")
    main = tmp_path / "lib" / "library.json"
    data = orjson.loads(main.read_bytes())
    data["outbox"] = {
        "3": {"seq": 3, "kind": "flag", "article": ids[0], "flag": "read", "value": True,
              "created": 1.0},
        "4": {"seq": 4, "kind": "sub", "op": "rename", "feed": "f", "title": "T", "created": 2.0},
        "5": {"seq": "five"},
    }  # fmt: skip
    main.write_bytes(orjson.dumps(data))
    (tmp_path / "lib" / "outbox.json").unlink(missing_ok=True)
    with Store.open(tmp_path / "lib", read_only=True) as store:  # reads the old place
        assert [r["seq"] for r in store.sync.pending()] == [3, 4]
    with Store.open(tmp_path / "lib") as store:
        assert [r["seq"] for r in store.sync.pending()] == [3, 4]
        store.set_read([ids[1]])  # seq 5: numbering goes on
    assert (tmp_path / "lib" / "outbox.json").exists()
    with Store.open(tmp_path / "lib") as store:  # outbox.json rules; the old table goes
        assert [r["seq"] for r in store.sync.pending()] == [3, 4, 5]
        store.sync.ack([3])
    assert "outbox" not in orjson.loads(main.read_bytes())
    with Store.open(tmp_path / "lib", read_only=True) as store:
        assert [r["seq"] for r in store.sync.pending()] == [4, 5]


def test_a_damaged_outbox_is_set_aside_with_a_warning(tmp_path: Path):
    bound_library(tmp_path / "lib")
    (tmp_path / "lib" / "outbox.json").write_bytes(b"{not json")
    with Store.open(tmp_path / "lib") as store:
        assert store.sync.waiting() == 0
        assert any("sync outbox" in w and "set aside" in w for w in store.warnings)
    assert list((tmp_path / "lib").glob("outbox.json.corrupt-*"))


def test_a_failed_outbox_write_holds_the_flags_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A flag on disk always has its outbox record on disk: if outbox.json cannot be
    written, the flags file waits too (else a crash would let the server undo it)."""
    ids = bound_library(tmp_path / "lib")
    flags_files = sorted((tmp_path / "lib" / "flags").glob("*.json"))
    real = atomic_module.atomic_write
    failing = {"on": True}

    def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
        if failing["on"] and path.name == "outbox.json":
            raise OSError(28, "No space left on device")
        real(path, data, durable=durable)

    with Store.open(tmp_path / "lib") as store:
        store.flush()
        before = [f.read_bytes() for f in flags_files]
        monkeypatch.setattr("tui_reader.store.writer.atomic_write", atomic_write)
        store.set_read(ids[:1])
        with pytest.raises(StoreError, match="No space left"):
            store.flush(timeout=5)
        assert [f.read_bytes() for f in flags_files] == before
        failing["on"] = False
        store.flush()
    with Store.open(tmp_path / "lib", read_only=True) as store:
        assert store.is_read(ids[0]) and store.sync.has_pending_flag(ids[0], "read")
