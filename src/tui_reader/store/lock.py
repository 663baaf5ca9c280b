"""The single-writer lock of a library directory.

`DirectoryLock` owns one thing: the open descriptor of `<library>/library.lock`, on which
it holds an exclusive `flock`. The store (`library.py`) takes it on a writable open and
releases it on close, after the writer thread has stopped; `restore-backup` takes it
around its copy.

The lock file is opened with `O_NOFOLLOW` and must be a regular file: a `library.lock`
symlink planted by someone else is refused, never followed (the pid written into the
file would otherwise overwrite its target). `check_private` refuses a library directory
that other users can write to (see its docstring for the rule and the reason).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from pathlib import Path


class LibraryLocked(RuntimeError):
    """Another process holds the library's writer lock."""


class LibraryNotPrivate(OSError):
    """The library directory, or its lock file, is open to other users: refused."""


def check_private(directory: Path) -> None:
    """Refuse (`LibraryNotPrivate`) a library directory other users may write to.

    Whoever can write to the directory can plant files and symlinks in it (a
    `library.lock` symlink, a prepared shard) and swap the user's files under a running
    reader. Refused: writable by others (`o+w`), or writable by a group that is not the
    user's own primary group (a shared group). A group-writable directory whose group is
    the user's primary group is accepted: with the "user private group" convention of
    most Linux systems (umask 002) that group is the user alone, and refusing it would
    lock out ordinary setups. Directories are checked, not files: new files are made 0600.
    """
    for path in (directory, *(directory / kind for kind in _SUBDIRS)):
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        shared_group = info.st_mode & stat.S_IWGRP and info.st_gid != os.getegid()
        if info.st_mode & stat.S_IWOTH or shared_group:
            who = "all users" if info.st_mode & stat.S_IWOTH else "its group"
            raise LibraryNotPrivate(
                f"{path} can be written by {who}, so someone else could change the "
                f"library. Make it private first: chmod go-w {path}"
            )


_SUBDIRS = ("headers", "flags", "bodies", "fulltext")


class DirectoryLock:
    """An exclusive, non-blocking `flock` on `<directory>/library.lock`.

    The kernel drops the lock when the process dies, so a crash never leaves the library
    locked. The holder's pid is written into the file for the error message.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / "library.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            # O_NOFOLLOW: a symlink (even a dangling one) at the lock's name is refused.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise LibraryNotPrivate(
                f"{self.path} is a symbolic link; the lock file must be a plain file. "
                "Remove the link (someone may have planted it) and try again."
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise LibraryNotPrivate(f"{self.path} is not a plain file; remove it and try again.")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            except OSError:
                holder = ""
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise LibraryLocked(
                f"Another tui-reader{who} is using the library at {self.path.parent}. "
                "Close it first, or open a different library with --db."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
