"""From a library's account document to a connected `SyncClient`, and where the secret
(password or API token) comes from.

The secret is read, in this order, from the file the user asked us to store it in
(`store.sync.stored_secret()`), from the account's `secret_command` (its standard
output, like newsboat's `*-passwordeval`), or from `$TUI_READER_SECRET`. It is never taken
from argv, never printed, logged or put in an error message: a failing command is
reported by its exit status only.
"""

from __future__ import annotations

import os
from typing import Any

from . import KINDS, SECRET_ENV
from .base import SyncClient, SyncError

__all__ = ["KINDS", "SECRET_ENV", "SecretError", "connect", "find_secret", "run_secret_command"]
SECRET_COMMAND_TIMEOUT = 60.0


class SecretError(SyncError):
    """No secret could be had; the message says where we looked, never a value."""


def run_secret_command(command: str, *, quiet: bool = False) -> str:
    """The first line of the command's standard output (run by the shell, as newsboat's
    `*-passwordeval`; stderr goes to the terminal, so a password manager can prompt).
    `quiet`: stderr is discarded (the reader, whose screen is the terminal)."""
    import subprocess  # here: the parser imports this module at every start

    try:
        done = subprocess.run(
            command, shell=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
            timeout=SECRET_COMMAND_TIMEOUT, check=False,
            stderr=subprocess.DEVNULL if quiet else None,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SecretError("the secret command took too long (over a minute)") from None
    except OSError as exc:
        raise SecretError(f"the secret command could not run ({exc.strerror})") from None
    if done.returncode != 0:
        raise SecretError(f"the secret command failed (exit status {done.returncode})")
    secret = done.stdout.decode(errors="replace").splitlines()[0] if done.stdout else ""
    if not secret:
        raise SecretError("the secret command printed nothing")
    return secret


def find_secret(account: dict[str, Any], stored: str | None, *, quiet: bool = False) -> str:
    if stored:
        return stored
    command = account.get("secret_command")
    if isinstance(command, str) and command:
        return run_secret_command(command, quiet=quiet)
    secret = os.environ.get(SECRET_ENV)
    if secret:
        return secret
    raise SecretError(
        f"no password or token: set ${SECRET_ENV}, or bind the account again with "
        "--secret-command or --store-secret"
    )


def connect(kind: str, url: str, user: str, secret: str) -> SyncClient:
    """A client for the account (nothing is sent yet). Miniflux without a user: `secret`
    is an API token; with one, the password."""
    if kind == "miniflux":
        from .miniflux import MinifluxClient

        if user:
            return MinifluxClient(url, user=user, password=secret)
        return MinifluxClient(url, token=secret)
    if kind == "greader":
        from .greader import GReaderClient

        if not user:
            raise SecretError("a Google Reader API account needs --user")
        return GReaderClient(url, user=user, password=secret)
    raise SecretError(f"unknown account kind {kind!r} (known: {', '.join(KINDS)})")
