"""Running the user's own commands (`notify_command`, `bookmark_command`): argv, never a
shell, no terminal, a timeout; what they print is not shown, only a failure line.

The command line in the config is split like a shell would (`shlex`), but no shell runs
it: `|`, `;`, `$VAR` or `>` mean nothing unless the user writes `sh -c '...'` themselves.
The arguments the reader adds come from feeds, so each goes through `safe_argument`
first: one line, no control characters (a terminal or a log the command writes to never
receives an escape), a length cap, and never a leading `-`, `+` or `@` that a program
could read as an option, a `+command` (vi, less) or an `@file` (curl, response files).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Sequence

from .text import clean_line

# Seconds a command may run before it is stopped (with its children): a notifier that
# waits for a click, or a bookmark script on a dead network, must not pile up.
COMMAND_TIMEOUT = 30.0
# Characters kept of one argument taken from a feed.
ARGUMENT_LIMIT = 300
# Bytes of a failed command's stderr kept to explain the failure (one line is shown).
STDERR_LIMIT = 4096
# A leading character that a program may read as something other than text.
_OPTION_LIKE = ("-", "+", "@")


class CommandError(RuntimeError):
    """The command could not be used or failed; the message is one plain line for the user."""


def command_words(spec: str, setting: str) -> list[str]:
    """The argv of a configured command line (`setting` names it in messages)."""
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise CommandError(f"{setting} is not a valid command line ({exc}).") from None
    if not words:
        raise CommandError(f"{setting} is empty.")
    return words


def with_target(program: str, args: Sequence[str], target: str) -> tuple[str, ...]:
    """`program` and `args` with `target` (an address or a file): "%s" in an argument is
    replaced by it, else it is appended (the browser, the podcast player)."""
    if any("%s" in arg for arg in args):
        return (program, *(arg.replace("%s", target) for arg in args))
    return (program, *args, target)


def start_detached(argv: Sequence[str]) -> None:
    """Start `argv` in its own session, no input, output discarded, not waited for (a
    graphical browser, a player). OSError when it cannot start."""
    subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def safe_argument(value: object, limit: int = ARGUMENT_LIMIT) -> str:
    """Text from a feed made fit to be one argument of a user's command (see module doc).

    `clean_line` turns C0/C1 controls (ESC, BEL, CR, LF...) into visible pictures or
    spaces and drops bidi overrides and invisible characters; a leading option-like
    character gets a space in front, so that the text stays as written but no `getopt`
    reads it as an option."""
    text = clean_line(value, limit)
    if text.startswith(_OPTION_LIKE):
        text = " " + text
    return text


def run_command(argv: Sequence[str], setting: str, timeout: float = COMMAND_TIMEOUT) -> None:
    """Run `argv` to its end, detached from the terminal (a session of its own, stdin
    and stdout /dev/null); raise `CommandError` with one line if it cannot start, fails
    or runs past `timeout` (then it and its children are stopped)."""
    import tempfile  # only when a command runs

    # stderr goes to a file, not a pipe: a child the command leaves running in the
    # background would hold a pipe open, and reading it would wait for that child too.
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                start_new_session=True,  # no controlling terminal: it never reads our keys
                close_fds=True,
            )
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandError(f"{setting}: could not start {argv[0]}: {reason}.") from None
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise CommandError(
                f"{setting}: {argv[0]} was still running after {timeout:g} s and was stopped."
            ) from None
        if returncode == 0:
            return
        errors.seek(0)
        said = _last_line(errors.read(STDERR_LIMIT))
    how = (
        f"was stopped by signal {-returncode}"
        if returncode < 0
        else f"failed (exit status {returncode})"
    )
    raise CommandError(f"{setting}: {argv[0]} {how}" + (f": {said}" if said else "."))


def _last_line(raw: bytes) -> str:
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    return clean_line(lines[-1], 200) if lines else ""


def run_in_terminal(argv: Sequence[str], setting: str) -> None:
    """Run `argv` in the foreground with the terminal (the caller has suspended the
    app), for interactive commands; raise `CommandError` if it cannot start or fails."""
    try:
        returncode = subprocess.run(list(argv), check=False).returncode
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"{setting}: could not start {argv[0]}: {reason}.") from None
    if returncode != 0:
        raise CommandError(f"{setting}: {argv[0]} failed (exit status {returncode}).")


def _stop(process: subprocess.Popen[bytes]) -> None:
    # Its own session: the group id is its pid, and the group holds what it started.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()
