"""Ctrl+C during `tui-reader refresh`: one line, exit 130, no parser left, library whole.

A real `tui-reader refresh` runs in its own process group against a loopback server
started here: most feeds answer at once, some never answer until the test ends. Once
the quick ones are in, the whole group gets SIGINT, as a terminal's Ctrl+C does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_loopback import rss, serve
from tui_reader.__main__ import main
from tui_reader.feeds import parse_pool
from tui_reader.store import Store

FEEDS = parse_pool.POOL_MIN_FEEDS + 4  # a refresh this big parses in processes
ITEMS = 8


SLOW = {f"{n}.xml" for n in range(FEEDS) if n % 4 == 0}


@pytest.fixture
def server() -> Iterator[str]:
    documents = {
        f"{n}.xml": rss(f"Feed {n}", [f"{n}-{i}" for i in range(ITEMS)]) for n in range(FEEDS)
    }
    with serve(documents, slow=SLOW) as url:
        yield url


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _interrupted_refresh(db: Path, *, whole_group: bool) -> tuple[int, str, str, set[int]]:
    """Run `refresh`, wait until every quick feed is in, send SIGINT; return the exit
    status, stdout, stderr and the processes the command had started."""
    command = subprocess.Popen(
        [sys.executable, "-m", "tui_reader", "--db", str(db), "refresh"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    lines: list[str] = []
    assert command.stdout is not None and command.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(command.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    helpers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while sum(1 for line in lines if line.startswith("[")) < FEEDS - len(SLOW):
            assert command.poll() is None, "refresh ended before it was interrupted"
            assert time.monotonic() < deadline, f"the quick feeds never came in: {lines}"
            time.sleep(0.02)
        helpers = _descendants(command.pid)
        if whole_group:
            os.killpg(command.pid, signal.SIGINT)
        else:
            command.send_signal(signal.SIGINT)
        code = command.wait(timeout=20)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    reader.join(timeout=10)
    err = command.stderr.read()
    command.stderr.close()
    return code, "".join(lines), err, helpers


def _wait_gone(pids: set[int]) -> None:
    deadline = time.monotonic() + 10
    while alive := {pid for pid in pids if Path(f"/proc/{pid}").exists()}:
        assert time.monotonic() < deadline, f"processes outlived the command: {alive}"
        time.sleep(0.05)


def _check_library(db: Path, *, fetched: int) -> None:
    with Store.open(db) as store:  # not LibraryLocked: the lock went with the command
        assert store.warnings == []
        feeds = store.feeds()
        assert len(feeds) == FEEDS
        done = [f for f in feeds if f.last_success is not None]
        assert len(done) == fetched
        assert all(f.last_error is None for f in feeds)
        assert len(store.articles()) == fetched * ITEMS
        for feed in done:
            assert len(store.articles([feed.id])) == ITEMS


def test_ctrl_c_during_refresh_says_one_line_and_leaves_nothing_behind(
    server: str, tmp_path: Path
) -> None:
    urls = tmp_path / "urls"
    urls.write_text("".join(f"{server}/{n}.xml\n" for n in range(FEEDS)))
    db = tmp_path / "library"
    assert main(["--db", str(db), "import", str(urls)]) == 0
    quick = FEEDS - len(SLOW)
    pools = parse_pool.pool_is_possible("fork")

    # 1: every feed is new, so the parsers are forked by the command itself; 2: the
    # quick feeds have validators now, so the pool comes from the fork server (whose
    # workers printed `ForkServerProcess-N` tracebacks); 3: SIGINT to the command alone
    # (`kill -INT`), not its group.
    for whole_group in (True, True, False):
        code, out, err, helpers = _interrupted_refresh(db, whole_group=whole_group)
        assert err == f"tui-reader: interrupted; {quick} feeds saved\n"
        assert code == 130
        assert "Refreshed" not in out  # no summary of a refresh that did not finish
        if pools:
            assert len(helpers) >= 2, "expected parser processes"
        _wait_gone(helpers)
        _check_library(db, fetched=quick)


def test_ctrl_c_typed_in_a_terminal_clears_the_bar_and_says_one_line(
    server: str, tmp_path: Path
) -> None:
    """On a terminal the refresh draws a progress bar; Ctrl+C typed there (the terminal
    sends SIGINT to the whole foreground group) leaves the line and nothing else."""
    import pty
    import select

    urls = tmp_path / "urls"
    urls.write_text("".join(f"{server}/{n}.xml\n" for n in range(FEEDS)))
    db = tmp_path / "library"
    assert main(["--db", str(db), "import", str(urls)]) == 0
    quick = FEEDS - len(SLOW)
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal's foreground job
        os.execv(sys.executable, [sys.executable, "-m", "tui_reader", "--db", str(db), "refresh"])
    screen = b""
    status: int | None = None
    try:

        def read_until(done: bytes | None, seconds: float) -> None:
            nonlocal screen
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and (done is None or done not in screen):
                if select.select([fd], [], [], 0.05)[0]:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:  # the child closed the terminal
                        return
                    if not chunk:
                        return
                    screen += chunk

        read_until(f"{quick}/{FEEDS}".encode(), 60)
        assert f"{quick}/{FEEDS}".encode() in screen, screen[-500:]
        os.write(fd, b"\x03")  # Ctrl+C, as typed
        read_until(None, 10)
        _, status = os.waitpid(pid, 0)
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 130
    after = screen.rsplit(b"^C", 1)[1]
    assert after.endswith(f"tui-reader: interrupted; {quick} feeds saved\r\n".encode())
    assert b"Traceback" not in screen and b"Process" not in screen
    _check_library(db, fetched=quick)
