"""Timing primitives for the benchmark scripts (standard library and tmux only).

* `run_once(cmd, out)`: run a command once; its wall time, CPU (user + sys) and peak RSS,
  read from `os.wait4`, so they cover the command and every child it waited for.
* `tmux(sock, *args)`: one tmux command against a private server socket.
* `probe(cmd, pattern, cols, rows, timeout, poll, env)`: time to first paint of a terminal
  program: it runs in a fresh tmux pane of a fixed size, and the pane's text is polled until
  `pattern` shows. Returns (seconds or None on timeout, the last screen).

Peak RSS cannot read below this process's own: Linux carries the forking parent's peak
across `exec` into `ru_maxrss`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def run_once(
    cmd: list[str],
    out: int | IO[bytes] | None = subprocess.DEVNULL,
    on_start: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run `cmd` (no shell, stdin closed) and measure it; `on_start(pid)` is called once
    the child runs (bench.py starts its memory sampler there)."""
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    if on_start is not None:
        on_start(child.pid)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024.0,  # Linux reports KiB
        "rc": child.returncode,
    }


def tmux(sock: str, *args: str, check: bool = True) -> str:
    """Run one tmux command on the server at `sock`; its stdout."""
    done = subprocess.run(
        ["tmux", "-S", sock, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def probe(
    cmd: list[str],
    pattern: re.Pattern[str],
    cols: int,
    rows: int,
    timeout: float,
    poll: float,
    env: dict[str, str],
) -> tuple[float | None, str]:
    """Seconds from starting `cmd` in a pane until `pattern` is on screen."""
    # A tmux server of its own per run: no interference with other tmux users, and none
    # from the previous run's server going away.
    name = f"probe-{os.getpid()}-{time.monotonic_ns()}"
    sock = os.path.join(tempfile.gettempdir(), f"{name}.sock")
    # The pane starts on a placeholder and the command is swapped in, so tmux's own
    # start-up is not timed.
    tmux(sock, "new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), "sleep 600")
    try:
        for key, value in env.items():
            tmux(sock, "set-environment", "-t", name, key, value)
        started = time.perf_counter()
        tmux(sock, "respawn-pane", "-k", "-t", name, shlex.join(cmd))
        while True:
            screen = tmux(sock, "capture-pane", "-p", "-t", name, check=False)
            elapsed = time.perf_counter() - started
            if pattern.search(screen):
                return elapsed, screen
            if elapsed > timeout:
                return None, screen
            time.sleep(poll)
    finally:
        tmux(sock, "kill-server", check=False)
        if os.path.exists(sock):
            os.unlink(sock)


def cpu_model() -> str:
    """The CPU's model name, for the machine line of a benchmark's results."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def newsboat_version() -> str:
    """newsboat's version line, or "not installed"."""
    if not shutil.which("newsboat"):
        return "not installed"
    out = subprocess.run(["newsboat", "-v"], capture_output=True, text=True).stdout
    return (out.splitlines() or ["?"])[0]


def git_revision(repo: Path) -> str:
    """The short commit `repo` is at."""
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
