"""Crash-safe file writes for the library directory (the lock is in `lock.py`).

No TinyDB here and no state: the writer (`writer.py`) and the parser processes build on
these functions. A write goes to a temp file in the same
directory, is fsynced, renamed over the target and the directory is fsynced, so a crash
at any moment leaves either the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path

TEMP_MARK = ".tmp-"

# Errors from fsync on a directory that only mean "this filesystem cannot do that" (some
# network and FUSE filesystems): the rename happened and there is nothing better to do.
_DIR_FSYNC_UNSUPPORTED = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF}


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable.

    A no-op where directories cannot be opened or fsynced at all; a real failure (EIO,
    ENOSPC) is raised, because then the rename may not survive a power cut and the caller
    must keep the change pending and try again.
    """
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _DIR_FSYNC_UNSUPPORTED:
            raise
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` atomically; raises OSError and leaves `path` untouched.

    Steps: write a temp file next to `path`, fsync it, rename it over `path`, fsync the
    directory. A failure before the rename removes the temp file and leaves the old file;
    a failure of the directory fsync is raised after the rename (the new file is in place
    but perhaps not yet durable), so the caller writes again later.

    `durable=False` skips both fsyncs: still atomic against a crash of this process (the
    rename is), but not yet against power loss; the caller syncs a whole batch at once.
    """
    temp = stage_file(path, data, durable=durable)
    publish_staged(temp, path, durable=durable, synced=True)


_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range: Callable[[int, int, int, int], int] | None = None
_sync_file_range_looked_up = False


def _start_writeback(fd: int) -> None:
    """Have the kernel start writing `fd`'s data to disk now, without waiting for it.

    For files written without an fsync (a refresh syncs all of them once at the end):
    the disk then works while the refresh goes on, instead of all at the end, where a
    1,000-feed refresh otherwise waited ~0.1 s with idle cores. Linux's
    sync_file_range(SYNC_FILE_RANGE_WRITE), looked up once; elsewhere nothing happens.
    """
    global _sync_file_range, _sync_file_range_looked_up
    if not _sync_file_range_looked_up:
        _sync_file_range_looked_up = True
        with contextlib.suppress(ImportError, OSError, AttributeError):
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).sync_file_range
            function.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
            function.restype = ctypes.c_int
            _sync_file_range = function
    if _sync_file_range is not None:
        _sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)  # a failure only loses the hint


def stage_file(path: Path, data: bytes, *, durable: bool = False) -> Path:
    """Write `data` to a new temp file next to `path`, to become `path` by
    `publish_staged`; returns the temp file. On failure nothing is left behind.

    Used on its own by a parser process, which writes a new feed's bodies file while the
    store's writer (in the main process) decides if and when it replaces the real one.
    """
    # pid and thread in the name: two writers never share (and truncate) one temp file.
    temp = path.parent / f"{path.name}{TEMP_MARK}{os.getpid()}-{threading.get_ident()}"
    try:
        # O_NOFOLLOW: a symlink planted at the temp name is refused, never written through.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
            else:
                _start_writeback(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return temp


def publish_staged(
    temp: Path,
    path: Path,
    *,
    durable: bool = True,
    synced: bool = False,
    keep_on_failure: bool = False,
) -> None:
    """Rename a staged temp file over `path`: atomically, and (`durable`) with the file
    fsynced first, unless `synced` says it is already, and the directory after. A failure
    before the rename leaves `path` as it was and removes the temp file, unless
    `keep_on_failure` (its data exists nowhere else: the caller will try again)."""
    try:
        if durable and not synced:
            fd = os.open(temp, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(temp, path)
    except BaseException:
        if not keep_on_failure:
            with contextlib.suppress(OSError):
                temp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


def remove_stale_temp_files(directory: Path) -> int:
    """Delete temp files a crashed writer left behind; returns how many."""
    removed = 0
    if not directory.is_dir():
        return 0
    for entry in directory.iterdir():
        if TEMP_MARK in entry.name and entry.is_file():
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    return removed
