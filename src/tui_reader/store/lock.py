"""The single-writer lock of a library directory.

`DirectoryLock` owns one thing: the open descriptor of `<library>/library.lock`, on which
it holds an exclusive `flock`. The store (`library.py`) takes it on a writable open and
releases it on close, after the writer thread has stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class LibraryLocked(RuntimeError):
    """Another process holds the library's writer lock."""


class DirectoryLock:
    """An exclusive, non-blocking `flock` on `<directory>/library.lock`.

    The kernel drops the lock when the process dies, so a crash never leaves the library
    locked. The holder's pid is written into the file for the error message.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / "library.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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
