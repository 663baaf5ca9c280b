"""The writer: the background thread that puts the library's changes on disk.

`Writer` owns the thread, the coalescing of changes (`dirty_flags`, library.json's dirty
mark through `main_dirty`, the backup to save), the payload versions, the durable and
bulk (`bulk_writes`) writes and the bookkeeping `flush()` waits on. It owns the *file
lock* (`write_lock`), which serialises every file write and guards `written` (the
version on disk per file), `published` and the bulk-sync mark. Its condition `idle` is
built on the index's state lock (given to it through the `Index`), because a flush must
see "nothing pending and nothing being written" in one look at the state; everything the
writer's bookkeeping changes (`writing`, `passes`, `last_write_error`, `dirty_flags`) is
guarded by that lock.

It reads what to write from the `Index` (flags, headers, pinned bodies) and asks the
`Loader` for a feed not loaded yet. When a staged bodies file is lost before it could be
published, `on_bodies_lost(feed_id)` lets the store forget the feed's validators.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import orjson

from ..models import EncodedBodies
from .atomic import atomic_write, fsync_dir, publish_staged
from .index import Index
from .loader import Loader
from .records import StoreError, bodies_file, decode_bodies
from .tinydb_storage import AtomicStorage

FLUSH_DELAY = 0.01
RETRY_DELAY = 0.5
# Inside `bulk_writes` (a refresh) library.json is written at most this often unless
# someone flushes: 1,000 fetch records would otherwise rewrite it a hundred times.
BULK_MAIN_INTERVAL = 2.0


class SideFile(Protocol):
    """A small file of the library kept in memory and written whole by the writer
    before library.json and the flags files (the sync outbox, `outbox.py`)."""

    path: Path
    name: str
    dirty: bool

    def snapshot(self) -> bytes | None:
        """The bytes to write when changed (clears `dirty`; state lock held)."""


class StagedFileGone(FileNotFoundError):
    """A staged bodies file that was never renamed into place is missing."""


def discard(staged: Path) -> None:
    """Delete a staged file nobody will publish (a leftover is also removed at next open)."""
    with contextlib.suppress(OSError):
        staged.unlink()


class Writer:
    """Writes the library's pending changes: in the background, or at once when asked."""

    def __init__(
        self,
        directory: Path,
        index: Index,
        loader: Loader,
        *,
        on_bodies_lost: Callable[[str], None],
    ) -> None:
        self.directory = directory
        self.index = index
        self.loader = loader
        self.on_bodies_lost = on_bodies_lost
        self.main: AtomicStorage | None = None  # library.json, once it is opened
        self.side_files: list[SideFile] = []  # written first in every pass
        self.write_lock = threading.Lock()
        self.bulk_depth = 0  # > 0 inside `bulk_writes`
        self.bulk_unsynced = False  # an article file was written without fsync
        self.main_since = 0.0  # monotonic time library.json was last written (or deferred)
        self.flush_waiters = 0  # flush() calls waiting: the writer defers nothing then
        # library.json as it opened cleanly, to be saved as library.json.bak.
        self.pending_backup: bytes | None = None
        self.dirty_flags: set[str] = set()  # feeds whose flags file is to be written
        self.published: set[str] = set()  # staged files renamed into place (write_lock)
        # Every payload gets a version when it is built; a write is skipped when a newer
        # payload of the same file is already on disk, so two writers (the background
        # thread and a synchronous save) can never put an older state last.
        self._versions = itertools.count(1)
        self.written: dict[tuple[str, str], int] = {}
        self.wake = threading.Event()
        self.idle = threading.Condition(index.lock)
        self.writing = False
        self.passes = 0
        self.closed = False
        self.thread: threading.Thread | None = None
        self.error_listeners: list[Callable[[str], None]] = []
        self.last_write_error: str | None = None

    # ------------------------------------------------------------------ the thread

    def create_thread(self, *, start: bool) -> None:
        self.thread = threading.Thread(target=self._loop, name="store-writer")
        self.thread.daemon = True
        if self.pending_backup is not None:
            self.wake.set()
        if start:
            self.start()

    def start(self) -> None:
        """Start the thread, if it was created and not started yet."""
        thread = self.thread
        if thread is not None and thread.ident is None:
            thread.start()

    def flush(self, timeout: float = 30.0) -> None:
        """Block until every change made so far is on disk (or raise StoreError).

        Raises as soon as a write attempt made after the call fails, instead of waiting
        out the timeout; the change stays pending and the writer keeps retrying.
        """
        thread = self.thread
        if thread is None:
            return
        self.start()
        deadline = time.monotonic() + timeout
        with self.idle:
            start = self.passes
            self.flush_waiters += 1  # the writer defers nothing while someone waits
            try:
                self.wake.set()
                while self.has_pending() or self.writing:
                    if self.passes > start and self.last_write_error:
                        raise StoreError(f"Changes could not be saved: {self.last_write_error}")
                    if not thread.is_alive():
                        raise StoreError("Changes could not be saved: the writer has stopped.")
                    if time.monotonic() >= deadline:
                        raise StoreError("Changes could not be saved in time (the disk is slow?).")
                    self.idle.wait(0.05)
                    self.wake.set()
            finally:
                self.flush_waiters -= 1

    def stop(self) -> None:
        """Let the thread make one last attempt and stop, even if that fails: it must
        never write after the directory lock is released."""
        self.closed = True
        self.wake.set()
        if self.thread is not None and self.thread.ident is not None:
            self.thread.join(timeout=10)

    def main_dirty(self) -> None:
        """library.json changed (its storage's `on_dirty`)."""
        if self.bulk_depth == 0:  # inside bulk_writes the writer's own timer saves it
            self.wake.set()

    def mark_flags_dirty(self, feed_ids: Iterable[str]) -> None:
        """These feeds' flags files are to be written (call with the state lock held)."""
        self.dirty_flags.update(feed_ids)
        self.wake.set()

    def has_pending(self) -> bool:
        main = self.main
        pending = self.dirty_flags or self.index.unsaved or self.pending_backup is not None
        pending = pending or any(side.dirty for side in self.side_files)
        return bool(pending) or (main is not None and main.dirty)

    def next_version(self) -> int:
        return next(self._versions)  # atomic under the GIL, from any thread

    def _loop(self) -> None:
        while True:
            self.wake.wait(timeout=1.0)
            if not self.closed and not self.flush_waiters:
                # Let a burst of changes coalesce into one write; someone waiting in
                # flush() (a command about to exit) gains nothing from the wait.
                time.sleep(FLUSH_DELAY)
            self.wake.clear()
            # Read after the clear: a stop() that came during the sleep is either seen
            # here or has set the event again, so the next wait returns at once.
            closing = self.closed
            failed = self.write_pending()
            if closing:
                break
            if failed:
                time.sleep(RETRY_DELAY)  # back off before the retry (a full disk stays full)

    # ------------------------------------------------------------------ one pass

    def write_pending(self) -> bool:
        """One pass: write what is dirty. Returns True when something failed."""
        main_storage = self.main
        assert main_storage is not None
        backup = self.pending_backup
        if backup is not None:
            # Before library.json is first replaced; a failure only keeps the older backup.
            self.pending_backup = None
            with contextlib.suppress(OSError):
                atomic_write(self.directory / "library.json.bak", backup)
        index = self.index
        with index.lock:
            sides = [(side, side.snapshot()) for side in self.side_files]
            sides = [(side, data) for side, data in sides if data is not None]
            pending = self.dirty_flags
            self.dirty_flags = set()
            payloads = {fid: self.flags_payload(fid) for fid in pending if fid in index.feeds}
            unsaved = list(index.unsaved)
            now = time.monotonic()
            defer_main = (
                self.bulk_depth > 0
                and not self.flush_waiters
                and not self.closed
                and now - self.main_since < BULK_MAIN_INTERVAL
            )
            main = None if defer_main else main_storage.snapshot()
            if main is not None:
                self.main_since = now
            main_version = self.next_version()
            self.writing = bool(payloads or unsaved or sides) or main is not None
        failed: dict[str, str] = {}
        main_failed: str | None = None
        unsaved_failed: str | None = None
        side_failed: list[tuple[SideFile, str]] = []
        for side, data in sides:
            try:
                self.write_file(("side", side.name), main_version, side.path, data)
            except OSError as exc:
                side_failed.append((side, exc.strerror or str(exc)))
        if side_failed:
            # The outbox holds the record of every local flag change: a flags file must
            # never reach the disk before it, or a crash would let the server undo it.
            failed.update(dict.fromkeys(payloads, side_failed[0][1]))
            payloads = {}
        if main is not None:
            try:
                self.write_file(("main", ""), main_version, self.directory / "library.json", main)
            except OSError as exc:
                main_failed = exc.strerror or str(exc)
        for feed_id, (version, payload) in payloads.items():
            try:
                self.write_shard("flags", feed_id, payload, version)
            except OSError as exc:
                failed[feed_id] = exc.strerror or str(exc)
        for feed_id in unsaved:
            try:
                self.save_feed_shards(feed_id)
            except OSError as exc:
                unsaved_failed = exc.strerror or str(exc)
        with self.idle:
            self.writing = False
            self.passes += 1
            for side, _ in side_failed:
                side.dirty = True
            if side_failed and not failed:
                failed[""] = side_failed[0][1]  # reported below; not a feed
            if failed or main_failed or unsaved_failed:
                self.dirty_flags.update(f for f in failed if f)
                if main_failed:
                    main_storage.dirty = True
                self.last_write_error = main_failed or unsaved_failed or next(iter(failed.values()))
            elif payloads or unsaved or sides or main is not None:
                self.last_write_error = None
            self.idle.notify_all()
        if failed or main_failed or unsaved_failed:
            for listener in self.error_listeners:
                with contextlib.suppress(Exception):
                    listener(f"Could not save changes: {self.last_write_error}")
            return True
        return False

    def flags_payload(self, feed_id: str) -> tuple[int, dict[str, Any]]:
        """The flags file of a feed, with its version (call with the state lock held)."""
        # Only loaded feeds get dirty; this guards the file against an empty overwrite.
        self.loader.load_feeds((feed_id,))
        return self.next_version(), self.index.flags_doc(feed_id)

    # ------------------------------------------------------------------ files

    def write_file(
        self, slot: tuple[str, str], version: int, path: Path, data: bytes | Path
    ) -> bool:
        """Write `data` unless a newer version of the same file is already on disk. `data`
        may be a staged file (`atomic.stage_file`): it is then renamed into place, or
        deleted when it is not wanted."""
        with self.write_lock:
            # Inside `bulk_writes`, article files skip their fsyncs (synced once at the end);
            # library.json and flags, which hold the user's own changes, always sync. Read
            # under write_lock: the end of a bulk sees every unsynced write made in it.
            durable = self.bulk_depth == 0 or slot[0] in ("main", "flags", "side")
            if isinstance(data, Path) and not data.exists():
                if str(data) not in self.published:
                    raise StagedFileGone(errno.ENOENT, "the parsed articles' file is gone")
                # Renamed into place by an earlier attempt (another save of this feed, or
                # one whose directory fsync failed): only that fsync may be missing.
                if durable:
                    fsync_dir(path.parent)
                return False
            if not self._wants(slot, version):
                if isinstance(data, Path):
                    discard(data)
                return False
            if not durable:
                self.bulk_unsynced = True  # set before the write: a failed one may be half-synced
            if isinstance(data, Path):
                try:
                    # Kept if this fails: the bodies are nowhere else, and the writer retries.
                    publish_staged(data, path, durable=durable, keep_on_failure=True)
                finally:
                    if not data.exists():  # renamed, even if the directory fsync failed
                        self.published.add(str(data))
            else:
                atomic_write(path, data, durable=durable)
            self.written[slot] = version
            return True

    def _wants(self, slot: tuple[str, str], version: int) -> bool:
        """Whether a write of `slot` at `version` is to be made (call with write_lock)."""
        if self.written.get(slot, -1) > version:
            return False  # a newer version is on disk already
        # An unsubscribed feed's file must not be brought back.
        return slot[0] in ("main", "side") or slot[1] in self.index.feeds

    def write_shard(self, kind: str, feed_id: str, payload: dict[str, Any], version: int) -> None:
        path = self.directory / kind / f"{feed_id}.json"
        self.write_file((kind, feed_id), version, path, orjson.dumps(payload))

    def delete_feed_files(self, feed_id: str, kinds: Iterable[str]) -> None:
        """Delete a feed's files (under write_lock: never while one of them is written)."""
        with self.write_lock:
            for kind in kinds:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / kind / f"{feed_id}.json").unlink()

    @contextlib.contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """Article files without a pair of fsyncs each, synced all at once at the end;
        library.json at most every `BULK_MAIN_INTERVAL` (see `Store.bulk_writes`)."""
        with self.index.lock:
            if self.bulk_depth == 0:
                self.main_since = time.monotonic()
            self.bulk_depth += 1
        try:
            yield
        finally:
            with self.index.lock:
                self.bulk_depth -= 1
                last = self.bulk_depth == 0
            if last:
                with self.write_lock:
                    unsynced, self.bulk_unsynced = self.bulk_unsynced, False
                if unsynced:  # nothing to sync after a refresh where every feed said 304
                    os.sync()
                main = self.main
                if main is not None and main.dirty:
                    self.wake.set()  # the deferred library.json

    # ------------------------------------------------------------------ a feed's articles

    def save_feed_shards(self, feed_id: str) -> None:
        """Write a feed's pinned bodies and its headers from memory, then unpin them."""
        index = self.index
        with index.lock:
            bodies = index.unsaved.get(feed_id)
            if bodies is None:
                return  # saved meanwhile (by a merge or an earlier pass)
            if feed_id not in index.feeds:
                del index.unsaved[feed_id]
                return
            ids = index.feed_ids_sorted(feed_id)
            headers = index.headers_doc(ids)
            version = self.next_version()
        content: bytes | Path
        if isinstance(bodies, EncodedBodies) and bodies.ids == tuple(ids):
            content = Path(bodies.staged)  # the file as the parser process wrote it
        else:
            html_of = decode_bodies(bodies) if isinstance(bodies, EncodedBodies) else bodies
            content = bodies_file(ids, html_of)
        # Bodies first: a header without its body shows an empty article, the other way
        # round an article nobody can reach.
        path = self.directory / "bodies" / f"{feed_id}.json"
        try:
            self.write_file(("bodies", feed_id), version, path, content)
        except StagedFileGone:
            self._staged_file_lost(feed_id, bodies)
            raise
        if isinstance(bodies, EncodedBodies) and not isinstance(content, Path):
            discard(Path(bodies.staged))  # merged as text instead
        self.write_shard("headers", feed_id, headers, version)
        with index.lock:
            if index.unsaved.get(feed_id) is bodies:
                del index.unsaved[feed_id]

    def _staged_file_lost(self, feed_id: str, pinned: object) -> None:
        """A first fetch's staged bodies file vanished before it was renamed into place
        (deleted by hand?): its bodies are lost. The feed's files are written without
        them and the store clears its validators, so the next refresh fetches it whole
        and the bodies come back (the merge sees them as changed)."""
        with self.index.lock:
            if self.index.unsaved.get(feed_id) is pinned:
                self.index.unsaved[feed_id] = {}
            self.on_bodies_lost(feed_id)
