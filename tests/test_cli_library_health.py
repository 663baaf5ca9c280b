"""The command line and an unhealthy library: the lock, its file, its directory, damage.

* `restore-backup` is a writer like the others: refused while the reader has the
  library, one plain line (no traceback) on a read-only library;
* the lock file is never followed through a symlink, and a library directory other users
  can write to is refused (`store.lock.check_private` says why group-writable is fine
  when the group is the user's own);
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import tui_reader.store.lock as lock_module
from tui_reader.__main__ import main
from tui_reader.store import Store, StoreError


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def feed_id(store: Store, title: str) -> str:
    return next(f.id for f in store.feeds() if f.title == title)


@pytest.fixture
def read_only_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Creating or opening the lock file fails as on a read-only filesystem (EROFS)."""
    real_open = os.open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("library.lock"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(lock_module, "os", SimpleNamespace(**{**vars(os), "open": fake_open}))
    yield


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
