"""Running a command subscription's command, with every limit a fetch has.

`fetch_command_feed` is what the refresh does instead of `Fetcher.fetch` for an `exec:`
or `filter:` feed, and it answers the same way: a `FetchResult` ("ok" with the document,
or "error" with a plain-words reason), never an exception.

* **Trust.** A command runs only if the feed record says the user allowed it
  (`Feed.trusted_command`, set by `add`/`import --allow-commands` or a confirmation in the
  reader) and the record's url is still exactly that text. Anything else (an `exec:` that
  arrived from an OPML file, a server, or an edit of library.json) is refused with a
  message saying how to allow it.
* **The process.** An argument vector (no shell), standard input from `/dev/null` (a
  filter's: the fetched document), a session of its own (no controlling terminal, so it
  cannot read the keyboard or draw on the reader's screen), and the user's environment.
* **Limits.** `timeout` seconds in all (then the whole process group is killed), at most
  `max_output` bytes of output (the feed body cap; then it is killed too), the first
  `MAX_STDERR_BYTES` of its standard error kept, and its tail shown in the error. When
  it ends, whatever it left running in its process group is stopped too.
* **Not in the way.** It runs as an asyncio subprocess: the refresh's other feeds go on
  while it works. At most `MAX_PARALLEL` commands run at once per refresh loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import weakref
from dataclasses import dataclass

from ..models import Feed
from ..text import clean_line
from .command_url import CommandRejected, parse_command_url, shown
from .fetch import Fetcher, FetchResult
from .fetch_types import _seconds, _size

DEFAULT_COMMAND_TIMEOUT = 60.0
MAX_STDERR_BYTES = 64 * 1024
# How much of the standard error goes into the message (its end: where errors are).
SHOWN_STDERR = 300
MAX_PARALLEL = 4
# Seconds stderr is still read after the command has exited (see run_command).
STDERR_GRACE = 0.5
_POLL = 0.05
_REAP_WAIT = 5.0
_CHUNK = 64 * 1024

# One semaphore per event loop (a refresh runs its own loop, the reader's in a thread).
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, slots=True)
class CommandRun:
    """What one run gave: the output, or `error` in plain words (stderr included)."""

    output: bytes = b""
    error: str | None = None
    stderr: str = ""  # sanitised, one line, its last SHOWN_STDERR characters


def refusal(feed: Feed) -> str | None:
    """Why `feed`'s command may not run, or None if it may."""
    if feed.trusted_command and feed.trusted_command == feed.url:
        return None
    return (
        "refused to run this command: it was not added by you with --allow-commands "
        "(or it was changed since). If you trust it, subscribe again with "
        "`tui-reader add --allow-commands '...'` or confirm it in the Add dialog"
    )


async def fetch_command_feed(feed: Feed, fetcher: Fetcher, *, timeout: float) -> FetchResult:
    """The feed document of an `exec:` / `filter:` feed. Never raises (but for a cancel)."""
    refused = refusal(feed)
    if refused is not None:
        return FetchResult("error", feed.url, error=refused)
    try:
        spec = parse_command_url(feed.url)
    except CommandRejected as exc:
        return FetchResult("error", feed.url, error=f"the command cannot be run: {exc}")
    stdin: bytes | None = None
    base = ""
    if spec.kind == "filter":
        # The normal fetch: the same limits, address rules and redirect checks.
        fetched = await fetcher.fetch(spec.url)
        if fetched.status != "ok":
            error = fetched.error or "the feed could not be fetched"
            return FetchResult(
                "error",
                feed.url,
                error=f"fetching the filter's address: {error}",
                http_status=fetched.http_status,
                retry_after=fetched.retry_after,
            )
        stdin, base = fetched.body, fetched.final_url
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(MAX_PARALLEL)
    async with slots:
        run = await run_command(
            spec.argv, stdin=stdin, timeout=timeout, max_output=fetcher.limits.max_body_bytes
        )
    if run.error is not None:
        return FetchResult("error", feed.url, error=run.error)
    # No validators and no permanent_url: the subscription's url is the command's text.
    return FetchResult("ok", feed.url, body=run.output, final_url=base)


async def run_command(
    argv: tuple[str, ...] | list[str],
    *,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
    max_output: int,
) -> CommandRun:
    """Run `argv` under the limits of the module docstring. Never raises but for a cancel."""
    program = os.path.expanduser(argv[0])  # no shell: `~/bin/x` is expanded here alone
    name = shown(argv[0], 80)
    try:
        process = await asyncio.create_subprocess_exec(
            program,
            *argv[1:],
            stdin=asyncio.subprocess.DEVNULL if stdin is None else asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # no controlling terminal; its own process group
            close_fds=True,
        )
    except FileNotFoundError:
        return CommandRun(error=f"the command {name!r} was not found")
    except PermissionError:
        return CommandRun(error=f"the command {name!r} may not be run (permission denied)")
    except OSError as exc:
        return CommandRun(error=f"the command {name!r} could not start: {exc.strerror}")
    out = bytearray()
    err = bytearray()
    too_big = False

    async def read_output() -> None:
        nonlocal too_big
        assert process.stdout is not None
        while chunk := await process.stdout.read(_CHUNK):
            if len(out) + len(chunk) > max_output:
                too_big = True
                _kill_group(process)
                return
            out.extend(chunk)

    async def read_errors() -> None:
        assert process.stderr is not None
        while chunk := await process.stderr.read(_CHUNK):
            room = MAX_STDERR_BYTES - len(err)
            if room > 0:
                err.extend(chunk[:room])  # the rest is read and dropped: no full pipe

    async def write_input() -> None:
        if process.stdin is None or stdin is None:
            return
        # A filter that stops reading early is its own business, not an error.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.write(stdin)
            await process.stdin.drain()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.close()

    timed_out = False
    errors_read = asyncio.ensure_future(read_errors())
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(read_output(), write_input())
            # `Process.wait()` also waits for every pipe to close, which a child left
            # running in the background (holding stderr) would delay until the timeout:
            # the exit status is watched instead, then stderr gets a moment, no more.
            while process.returncode is None and not errors_read.done():
                await asyncio.sleep(_POLL)
            if errors_read.done():
                await process.wait()  # every pipe is closed: returns once it exits
            else:
                await asyncio.wait({errors_read}, timeout=STDERR_GRACE)
    except TimeoutError:
        timed_out = True
    finally:
        errors_read.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await errors_read
        # Ended, timed out, too big, or the refresh was cancelled: nothing it started
        # may linger (its whole process group goes).
        _kill_group(process)
        if process.returncode is None:
            # Bounded: a child that left the group could keep a pipe (and wait()) open.
            with contextlib.suppress(ProcessLookupError, TimeoutError):
                await asyncio.wait_for(process.wait(), _REAP_WAIT)
    errors = _stderr_tail(bytes(err))
    if timed_out:
        return CommandRun(
            error=_with(f"the command did not finish within {_seconds(timeout)} s", errors),
            stderr=errors,
        )
    if too_big:
        return CommandRun(
            error=f"the command wrote more than {_size(max_output)}; it was stopped",
            stderr=errors,
        )
    status = process.returncode
    if status is not None and status < 0:
        try:
            signame = signal.Signals(-status).name
        except ValueError:
            signame = str(-status)
        return CommandRun(error=_with(f"the command was killed ({signame})", errors), stderr=errors)
    if status:
        return CommandRun(
            error=_with(f"the command failed (exit status {status})", errors), stderr=errors
        )
    if not out.strip():
        return CommandRun(error=_with("the command printed nothing", errors), stderr=errors)
    return CommandRun(output=bytes(out), stderr=errors)


def _kill_group(process: asyncio.subprocess.Process) -> None:
    # start_new_session made the process the leader of its own group: its children
    # (a shell's pipeline, a sleeping helper) go with it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _stderr_tail(raw: bytes) -> str:
    text = clean_line(raw.decode("utf-8", "replace"))
    if len(text) > SHOWN_STDERR:
        text = "…" + text[-(SHOWN_STDERR - 1) :]
    return text


def _with(message: str, errors: str) -> str:
    return f"{message}: {errors}" if errors else message
