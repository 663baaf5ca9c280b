"""Helpers for the end-to-end hostile-corpus tests (`test_hostile_e2e.py`).

* `serve_directory`: a threaded loopback HTTP server that sends every file as
  `application/octet-stream` and ignores conditional requests, so the app can rely on
  neither the Content-Type nor a 304 (a refetch really re-parses the document).
* `measure`: run a command and report its wall time and peak RSS, measured with
  `resource.getrusage(RUSAGE_CHILDREN)` inside a small wrapper process so that only that
  command's memory is counted.
* `PtySession`: the real app on a pseudo-terminal of a fixed size, with every byte it
  writes captured.
* `escape_sequences` / `printable_text`: split a tty capture into control sequences and
  the text between them, to compare what the app sends with what Textual sends anyway.
"""

from __future__ import annotations

import fcntl
import http.server
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

# --------------------------------------------------------------------------- sentinels

# The README's sentinels, as byte patterns that must never appear in a tty capture, the
# library files or the command-line output.
OSC52_PAYLOADS = (b"SFYwMy1TRU5USU5FTC1DTElQQk9BUkQ=", b"SFYxNi")  # v03, and v16's prefix
TITLE_SENTINELS = (b"HV03-WINDOW-TITLE", b"HV03-FEED-WINDOW-TITLE", b"HV16-WINDOW-TITLE")
ALWAYS_FORBIDDEN = (b"root:x:0:0",)
PWNED_FILES = (
    "/tmp/hv02-pwned.svg",
    "/tmp/hv15-pwned",
    *(f"/tmp/hv11-pwned-{n}" for n in range(1, 6)),
)


def sentinel_hits(data: bytes, *, secret_too: bool = True) -> list[str]:
    """Every README sentinel found in `data` (empty when clean)."""
    hits = [p.decode() for p in ALWAYS_FORBIDDEN if p in data]
    for payload in OSC52_PAYLOADS:
        if re.search(rb"(?:\x1b\]|\x9d)52;[^\x07\x1b]*" + re.escape(payload), data):
            hits.append(f"OSC 52 with {payload.decode()}")
    for title in TITLE_SENTINELS:
        if re.search(rb"(?:\x1b\]|\x9d)[02];[^\x07\x1b]*" + re.escape(title), data):
            hits.append(f"OSC window title {title.decode()}")
    if secret_too and b"HV15-SECRET" in data:
        hits.append("HV15-SECRET")
    return hits


def pwned_files() -> list[str]:
    return [path for path in PWNED_FILES if os.path.lexists(path)]


def tree_listing(root: Path) -> set[str]:
    """Every path under `root`, relative, for before/after comparisons."""
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# --------------------------------------------------------------------------- HTTP server


class _OctetStreamHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with a meaningless Content-Type and without 304s."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return "application/octet-stream"

    def send_head(self):  # type: ignore[no-untyped-def]
        # Drop validators so every refresh re-parses (dedup must hold, not a 304).
        for name in ("If-Modified-Since", "If-None-Match"):
            del self.headers[name]
        return super().send_head()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


@contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 (a free port); yields the base URL ending in '/'."""
    handler = partial(_OctetStreamHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="hostile-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- measuring

_MEASURE = """
import json, resource, subprocess, sys, time
argv = json.loads(sys.argv[1])
start = time.perf_counter()
done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({
    "rc": done.returncode, "seconds": seconds, "peak_kib": peak,
    "stdout": done.stdout.decode("utf-8", "surrogateescape"),
    "stderr": done.stderr.decode("utf-8", "surrogateescape"),
}))
"""


@dataclass(frozen=True)
class Measured:
    """One command's result, wall time and peak RSS."""

    argv: tuple[str, ...]
    rc: int
    seconds: float
    peak_mib: float
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def measure(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> Measured:
    """Run `argv` in a fresh wrapper process; RUSAGE_CHILDREN there is this command only."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps(argv)],
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=True,
    )
    report = json.loads(done.stdout)
    return Measured(
        argv=tuple(argv),
        rc=report["rc"],
        seconds=report["seconds"],
        peak_mib=report["peak_kib"] / 1024,  # Linux reports KiB
        stdout=report["stdout"],
        stderr=report["stderr"],
    )


# --------------------------------------------------------------------------- pty


class PtySession:
    """The app on a pseudo-terminal; `output` holds every byte it wrote."""

    def __init__(
        self, argv: list[str], env: dict[str, str], cwd: Path, cols: int = 120, rows: int = 40
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self._master = master
        self.output = bytearray()
        self.marks: dict[str, int] = {}
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)},
            cwd=cwd,
            start_new_session=True,  # the pty becomes its controlling terminal
        )
        os.close(slave)
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.2)
                if not ready:
                    if self.process.poll() is not None:
                        return
                    continue
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO once the child has closed the pty
                return
            if not chunk:
                return
            with self._lock:
                self.output.extend(chunk)

    def snapshot(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def mark(self, name: str) -> None:
        """Remember where the capture is now (to compare before/after a phase)."""
        with self._lock:
            self.marks[name] = len(self.output)

    def wait_for(self, needle: bytes, timeout: float = 15.0, start: int = 0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.snapshot()[start:]:
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def wait_quiet(self, quiet: float = 0.25, timeout: float = 10.0) -> None:
        """Wait until the app has written nothing for `quiet` seconds (it caught up)."""
        deadline = time.monotonic() + timeout
        last = len(self.snapshot())
        since = time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = len(self.snapshot())
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return

    def send(self, data: bytes | str, pause: float = 0.03) -> None:
        os.write(self._master, data.encode() if isinstance(data, str) else data)
        if pause:
            time.sleep(pause)

    def click(self, x: int, y: int) -> None:
        """A left click at 0-based cell (x, y), as an SGR (1006) mouse report."""
        self.send(f"\x1b[<0;{x + 1};{y + 1}M", pause=0.01)
        self.send(f"\x1b[<0;{x + 1};{y + 1}m", pause=0.04)

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self, timeout: float = 15.0) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # our own child's group only
            return self.process.wait(timeout=5)
        finally:
            self._reader.join(timeout=5)
            os.close(self._master)


# --------------------------------------------------------------------------- tty parsing

_SEQUENCE = re.compile(
    rb"\x1b\[(?P<csi_params>[\x30-\x3f]*)(?P<csi_inter>[\x20-\x2f]*)(?P<csi_final>[\x40-\x7e])"
    rb"|\x1b\](?P<osc>.*?)(?:\x07|\x1b\\)"
    rb"|\x1b[P_^X](?P<string>.*?)\x1b\\"
    rb"|\x1b(?P<esc_inter>[\x20-\x2f]*)(?P<esc_final>[\x30-\x7e])",
    re.S,
)
# CSI finals whose parameters name *what* is done (modes, reports, queries) rather than
# where or in which colour: their parameters are part of the kind.
_CSI_KIND_WITH_PARAMS = set(b"hlnctpqu")


@dataclass(frozen=True)
class Sequence:
    kind: str
    raw: bytes


def escape_sequences(data: bytes) -> list[Sequence]:
    """Every control sequence in `data`, each with a kind such as `CSI ?1049h` or `OSC 8`."""
    found: list[Sequence] = []
    for match in _SEQUENCE.finditer(data):
        if match.group("csi_final") is not None:
            params = match.group("csi_params")
            final = match.group("csi_final")
            prefix = bytes(c for c in params if c in b"<=>?")
            if final[0] in _CSI_KIND_WITH_PARAMS:
                prefix = params
            kind = "CSI " + (prefix + match.group("csi_inter") + final).decode("latin-1")
        elif match.group("osc") is not None:
            kind = "OSC " + match.group("osc").split(b";", 1)[0].decode("latin-1")[:8]
        elif match.group("string") is not None:
            kind = "STRING " + chr(match.group(0)[1])
        else:
            kind = "ESC " + (match.group("esc_inter") + match.group("esc_final")).decode("latin-1")
        found.append(Sequence(kind, match.group(0)))
    return found


def printable_text(data: bytes) -> str:
    """The capture with every control sequence removed, decoded as UTF-8."""
    return _SEQUENCE.sub(b"", data).decode("utf-8", "replace")


def osc8_urls(data: bytes) -> list[str]:
    """The URL of every OSC 8 hyperlink in the capture ("" closes a link)."""
    urls = []
    for match in re.finditer(rb"\x1b\]8;[^;\x07\x1b]*;([^\x07\x1b]*)(?:\x07|\x1b\\)", data):
        urls.append(match.group(1).decode("utf-8", "replace"))
    return urls


def background_colours(data: bytes) -> dict[str, int]:
    """How often each background colour (256-colour or truecolour SGR) is selected: a
    fingerprint of the theme."""
    counts: dict[str, int] = {}
    for match in re.finditer(rb"48;(?:2;\d+;\d+;\d+|5;\d+)", data):
        key = match.group(0).decode()
        counts[key] = counts.get(key, 0) + 1
    return counts


# --------------------------------------------------------------------------- browser

FAKE_BROWSER = """#!{python}
# Records its argv (one JSON list per line) instead of opening anything.
import json, os, sys
with open(os.environ["HOSTILE_BROWSER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
"""


def write_fake_browser(directory: Path) -> Path:
    path = directory / "fake-browser"
    path.write_text(FAKE_BROWSER.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    return path


def browser_calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
