"""The command line and an unhealthy library: the lock, its file, its directory, damage.

* `restore-backup` is a writer like the others: refused while the reader has the
  library, one plain line (no traceback) on a read-only library;
* the lock file is never followed through a symlink, and a library directory other users
  can write to is refused (`store.lock.check_private` says why group-writable is fine
  when the group is the user's own);
* a damaged headers or flags file is named on stderr by every command that reads the
  library, with how to recover; `list` and `feeds` exit 1 when their output is
  incomplete, unless `--allow-partial`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui_reader.__main__ import main
from tui_reader.store import Store, StoreError


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def feed_id(store: Store, title: str) -> str:
    return next(f.id for f in store.feeds() if f.title == title)


# --------------------------------------------------------------------------- restore-backup


def test_restore_backup_is_refused_while_the_reader_has_the_library(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(library_path) as reader:  # the reader is open ...
        reader.add_feed("https://late.example.com/feed", "Late")
        reader.flush()
        current = (library_path / "library.json").read_bytes()
        code, out, err = run(capsys, "restore-backup", "--db", str(library_path))
    assert code == 2 and "Restored" not in out
    assert "Another tui-reader" in err and "Traceback" not in err
    # The same words as every other writer gives.
    with Store.open(library_path):
        _, _, mark_err = run(capsys, "mark", "--read", "x", "--db", str(library_path))
    assert err.split(" is using")[0] == mark_err.split(" is using")[0]
    assert (library_path / "library.json").read_bytes() == current
    assert not list(library_path.glob("library.json.before-restore-*"))
    # Once the reader is closed it works, and the library is the backup.
    backup = (library_path / "library.json.bak").read_bytes()
    code, out, _ = run(capsys, "restore-backup", "--db", str(library_path))
    assert code == 0 and "Restored" in out
    assert (library_path / "library.json").read_bytes() == backup
    assert len(list(library_path.glob("library.json.before-restore-*"))) == 1


def test_restore_backup_on_a_read_only_library_says_so_in_one_line(
    library_path: Path, capsys: pytest.CaptureFixture[str], read_only_disk: None
) -> None:
    Store.open(library_path, read_only=True).close()
    (library_path / "library.json.bak").write_bytes((library_path / "library.json").read_bytes())
    code, out, err = run(capsys, "restore-backup", "--db", str(library_path))
    assert code == 2 and out == ""
    assert "the disk is read-only" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not list(library_path.glob("library.json.before-restore-*"))


# --------------------------------------------------------------------------- the lock file


def test_a_planted_lock_symlink_is_refused_and_its_target_untouched(
    library_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "precious.txt"
    target.write_bytes(b"do not overwrite me\n")
    lock = library_path / "library.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(target)
    with pytest.raises(StoreError, match="symbolic link"):
        Store.open(library_path)
    code, _, err = run(capsys, "mark", "--read", "x", "--db", str(library_path))
    assert code == 2 and "symbolic link" in err and "Traceback" not in err
    code, _, err = run(capsys, "restore-backup", "--db", str(library_path))
    assert code == 2
    assert target.read_bytes() == b"do not overwrite me\n"
    # A dangling link is refused too (O_CREAT would otherwise create its target).
    lock.unlink()
    lock.symlink_to(tmp_path / "made-by-the-lock")
    with pytest.raises(StoreError, match="symbolic link"):
        Store.open(library_path)
    assert not (tmp_path / "made-by-the-lock").exists()
    lock.unlink()
    Store.open(library_path).close()  # a plain lock file again: fine
    assert lock.is_file() and not lock.is_symlink()


def test_a_library_directory_writable_by_others_is_refused(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library_path.chmod(0o777)
    try:
        with pytest.raises(StoreError, match="chmod go-w"):
            Store.open(library_path)
        code, _, err = run(capsys, "mark", "--read", "x", "--db", str(library_path))
        assert code == 2 and "all users" in err and "Traceback" not in err
        with Store.open(library_path, read_only=True) as store:  # reading never writes
            assert len(store) == 15
    finally:
        library_path.chmod(0o700)
    (library_path / "flags").chmod(0o757)
    try:
        with pytest.raises(StoreError, match="chmod go-w"):
            Store.open(library_path)
    finally:
        (library_path / "flags").chmod(0o700)
    Store.open(library_path).close()


def test_group_writable_is_fine_for_the_users_own_group_only(library_path: Path) -> None:
    assert os.stat(library_path).st_gid == os.getegid()
    library_path.chmod(0o770)  # umask 002 with a user private group
    Store.open(library_path).close()
    if os.geteuid() != 0:
        return  # changing a directory's group to another one needs root
    os.chown(library_path, -1, os.getegid() + 4242)  # a shared group
    try:
        with pytest.raises(StoreError, match="its group"):
            Store.open(library_path)
    finally:
        os.chown(library_path, -1, os.getegid())
        library_path.chmod(0o700)


# --------------------------------------------------------------------------- damage


def _damage(library_path: Path, kind: str, title: str = "Alpha") -> Path:
    with Store.open(library_path, read_only=True) as store:
        fid = feed_id(store, title)
    shard = library_path / kind / f"{fid}.json"
    shard.write_bytes(b'{"flags": {"1": ')
    return shard


def _star_two_per_feed(library_path: Path) -> int:
    with Store.open(library_path) as store:
        for feed in store.feeds():
            store.set_starred([a.id for a in store.articles([feed.id])][:2])
        return store.starred_count()


def test_list_starred_with_a_damaged_flags_file_fails_loudly(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _star_two_per_feed(library_path) == 6
    shard = _damage(library_path, "flags")
    code, out, err = run(capsys, "list", "--starred", "--db", str(library_path))
    assert len(out.splitlines()) == 4  # Alpha's stars cannot be read ...
    assert code == 1  # ... so this is not a silent success
    assert str(shard) in err and "flags file of feed 'Alpha' is damaged" in err
    assert "tui-reader refresh" in err and "--allow-partial" in err
    assert "Traceback" not in err
    code, out, err = run(
        capsys, "list", "--starred", "--json", "--allow-partial", "--db", str(library_path)
    )
    assert code == 0 and len(out.splitlines()) == 4
    assert str(shard) in err  # accepted, but still said
    assert shard.read_bytes() == b'{"flags": {"1": '  # a reader changes nothing


def test_feeds_with_a_damaged_headers_file_fails_loudly(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = _damage(library_path, "headers", "Beta")
    code, out, err = run(capsys, "feeds", "--db", str(library_path))
    assert code == 1 and "Beta" in out
    assert str(shard) in err and "headers file of feed 'Beta' is damaged" in err
    code, out, err = run(capsys, "feeds", "--json", "--allow-partial", "--db", str(library_path))
    assert code == 0 and len(out.splitlines()) == 3 and str(shard) in err


def test_a_healthy_library_says_nothing_on_stderr(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (["list"], ["list", "--starred"], ["feeds"], ["export"]):
        code, _, err = run(capsys, *argv, "--db", str(library_path))
        assert code == 0 and err == "", argv


def test_export_names_a_damaged_file_but_exports_everything(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = _damage(library_path, "headers", "Gamma")
    code, out, err = run(capsys, "export", "--db", str(library_path))
    assert code == 0 and out.count("xmlUrl=") == 3  # OPML holds no articles: complete
    assert str(shard) in err and "tui-reader refresh" in err


def test_mark_names_the_damaged_file_it_set_aside(
    library_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(library_path, read_only=True) as store:
        aid = store.articles([feed_id(store, "Beta")])[0].id
    shard = _damage(library_path, "flags")
    code, out, err = run(capsys, "mark", "--read", aid, "--db", str(library_path))
    assert code == 0 and "1 changed" in out
    assert "flags file of feed 'Alpha' was damaged" in err
    assert str(shard.parent) in err and ".corrupt-" in err  # where it is now
    assert "Traceback" not in err
    assert not shard.exists()
