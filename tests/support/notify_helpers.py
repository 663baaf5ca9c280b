"""Test material for notifications and bookmarks: a JSON Feed with hostile titles served
on loopback, and a command that records the arguments it was given (standard library only).

    with served_feed(tmp_path, hostile_items(3)) as url: ...
    command, calls = recorder(tmp_path)  # config: notify_command = command; calls() reads
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .paths import FEEDSERVER, tool

# Titles a feed could send to trick a command or a terminal.
HOSTILE_TITLES = (
    "-rf --no-preserve-root",
    "\x1b]0;PWNED-TITLE\x07 escape and \x1b[2J wipe",
    "line one\nline two\r\nline three",
    "[@click=app.quit]click[/] and \x9b31m C1",
    "@/etc/passwd",
    "x" * 10_000,
)


def hostile_items(count: int, start: int = 0, prefix: str = "") -> list[dict[str, Any]]:
    """`count` JSON Feed items, titled from `HOSTILE_TITLES` (then plain words)."""
    items = []
    for n in range(start, start + count):
        title = HOSTILE_TITLES[n] if n < len(HOSTILE_TITLES) else f"{prefix}article {n}"
        items.append(
            {
                "id": f"item-{n}",
                "url": f"https://example.org/{n}",
                "title": title,
                "content_html": f"<p>Body of {n}: <b>bold</b> &amp; more\x1b[31m</p>",
                "date_published": f"2026-11-{28 - n % 28:02d}T09:00:00Z",  # newest first
            }
        )
    return items


def write_feed(root: Path, items: list[dict[str, Any]], name: str = "hostile.json") -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "-Hostile \x1b[5m feed",
        "items": items,
    }
    (root / "feeds").mkdir(parents=True, exist_ok=True)
    (root / "feeds" / name).write_text(json.dumps(feed), encoding="utf-8")


@contextmanager
def served_feed(root: Path, items: list[dict[str, Any]]) -> Iterator[str]:
    """Serve a JSON Feed of `items` on loopback; yields its URL. `write_feed` on the same
    root changes what the next fetch gets."""
    write_feed(root, items)
    process = subprocess.Popen(
        tool(FEEDSERVER, str(root), "--port", "0", "--max-seconds", "300"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base
        yield f"{base}/feeds/hostile.json"
    finally:
        process.terminate()
        process.wait(timeout=10)


RECORDER = """\
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(sys.argv[2:]) + "\\n")
sys.exit(int(sys.argv[2]) if sys.argv[2:3] == ["7"] else 0)
"""


def recorder(tmp_path: Path, name: str = "calls") -> tuple[str, Callable[[], list[list[str]]]]:
    """A command line (for notify_command / bookmark_command) that appends its arguments
    to a file, and a function that reads every call's arguments back. (A first argument
    of "7" makes it fail with exit status 7.)"""
    script = tmp_path / "record_argv.py"
    script.write_text(RECORDER, encoding="utf-8")
    out = tmp_path / f"{name}.jsonl"
    command = " ".join(shlex.quote(str(p)) for p in (sys.executable, script, out))

    def calls() -> list[list[str]]:
        if not out.exists():
            return []
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]

    return command, calls
