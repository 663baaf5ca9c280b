"""Helpers for the tests of feeds behind a login: a corpus for `feedserver.py`'s `/_auth/`
routes, and a password command that is a Python script (run with `sys.executable`)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.cli_loopback import rss

USER = "alice"
# Distinctive, so that a search of every file and every output finds any leak.
PASSWORD = "Pw-7f3c9e-correct-horse"
TOKEN = "Tok-51d0aa-battery-staple"


def make_corpus(root: Path) -> Path:
    """A corpus directory with feeds/private.xml and feeds/open.xml."""
    feeds = root / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    (feeds / "private.xml").write_bytes(rss("Private", ["p1", "p2"]))
    (feeds / "open.xml").write_bytes(rss("Open", ["o1"]))
    return root


def server_args(root: Path) -> list[str]:
    """`feedserver.running` arguments: any free port, the test user and secrets."""
    return [
        str(root),
        "--port",
        "0",
        "--auth-user",
        USER,
        "--auth-password",
        PASSWORD,
        "--auth-token",
        TOKEN,
    ]


def secret_script(directory: Path, secret: str = PASSWORD, *, exit_status: int = 0) -> list[str]:
    """An argument vector that prints `secret` (and a second line, and some stderr) and
    exits with `exit_status`: a password manager, as far as the reader can tell."""
    script = directory / f"secret-{exit_status}-{abs(hash(secret)) % 10_000}.py"
    script.write_text(
        "import sys\n"
        f"print({secret!r})\n"
        "print('second line, never used')\n"
        f"sys.stderr.write('stderr mentions ' + {secret!r} + '\\n')\n"
        f"sys.exit({exit_status})\n"
    )
    return [sys.executable, str(script)]


def toml_list(argv: list[str]) -> str:
    """`argv` as a TOML array of strings."""
    return (
        "[" + ", ".join('"' + a.replace("\\", "\\\\").replace('"', '\\"') + '"' for a in argv) + "]"
    )
