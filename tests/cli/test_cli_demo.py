"""`tui-reader --demo`: its scratch copy goes away, even when the last reader was killed.

A reader killed with its terminal cannot remove its copy; the next demo start removes
every copy whose owner is gone, and only those.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tui_reader import demo_library, launch
from tui_reader.demo_library import make_demo_library, remove_stale_demos
from tui_reader.store import Store
from tui_reader.store.lock import DirectoryLock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="owners are found by pid on POSIX")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _copy(root: Path, name: str) -> Path:
    path = root / name
    Store.open(path).close()  # a real (empty) library, lock file and all
    return path


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_only_copies_whose_owner_is_gone_are_removed(temp_dir: Path) -> None:
    dead = _dead_pid()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = _copy(temp_dir, f"tui-reader-demo-{dead}-abc123")
        running = _copy(temp_dir, f"tui-reader-demo-{sleeper.pid}-def456")
        mine = _copy(temp_dir, f"tui-reader-demo-{os.getpid()}-ghi789")
        open_elsewhere = _copy(temp_dir, f"tui-reader-demo-{dead}-jkl012")
        unowned_old = _copy(temp_dir, "tui-reader-demo-oldstyle")
        day_ago = time.time() - demo_library.UNOWNED_STALE_AFTER - 60
        os.utime(unowned_old, (day_ago, day_ago))
        unowned_new = _copy(temp_dir, "tui-reader-demo-newstyle")
        other = _copy(temp_dir, f"something-else-{dead}-x")
        a_file = temp_dir / f"tui-reader-demo-{dead}-file"
        a_file.write_text("not a copy")
        lock = DirectoryLock(open_elsewhere)  # a reader that has it open (another namespace)
        lock.acquire()
        try:
            assert remove_stale_demos() == 2
        finally:
            lock.release()
        assert not stale.exists() and not unowned_old.exists()
        for kept in (running, mine, open_elsewhere, unowned_new, other, a_file):
            assert kept.exists(), kept
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_demo_copy_is_named_after_its_owner(temp_dir: Path) -> None:
    path = make_demo_library()
    assert path.parent == temp_dir
    assert path.name.startswith(f"tui-reader-demo-{os.getpid()}-")


def test_the_next_demo_start_removes_a_killed_readers_copy(
    temp_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole story: a demo reader killed (SIGKILL: no clean-up runs), then a new
    demo start, which leaves no copy behind once it quits."""
    code = (
        "import os, signal\n"
        "from tui_reader.demo_library import make_demo_library\n"
        "print(make_demo_library(), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "TMPDIR": str(temp_dir)}
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    left = Path(killed.stdout.strip())
    assert left.parent == temp_dir and left.is_dir(), killed.stderr
    seen: list[Path] = []
    monkeypatch.setattr(launch, "_run", lambda directory, args: seen.append(directory) or 0)
    args = argparse.Namespace(demo=True, db=None, config=None)
    assert launch.run_app(args) == 0
    assert not left.exists()
    assert len(seen) == 1 and seen[0] != left
    assert list(temp_dir.iterdir()) == []  # the new copy went too, on quitting
