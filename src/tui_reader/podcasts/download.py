"""Download one enclosure to a `.part` file: streamed, resumable, capped, stoppable.

The same fetch stack and rules as feeds (`feeds/curl_session.py`, `feeds/fetch_policy.py`,
`feeds/addresses.py`): libcurl without its own redirects, every hop through the URL
policy and the blocked ports, the connect timeout, at most `max_redirects` hops, and the
private-address rule with the *feed* as origin (a public feed's enclosure may not lead to
the user's router). What differs from a feed fetch, and why:

* the body goes to a file as it arrives, never into memory;
* no total deadline (an episode can take an hour) but a stall timeout: no byte for
  `FetchLimits.deadline` seconds ends the transfer;
* no Accept-Encoding: a file is stored byte for byte, and a Range counts those bytes;
  a response compressed anyway is refused rather than stored compressed;
* `download_max_mb` caps the size: a larger Content-Length is refused before a byte is
  written, and a body that grows past it is stopped and its partial file removed.

Resume: a `.part` with N bytes asks for `Range: bytes=N-` (with `If-Range` when a
validator is known). A `206` whose Content-Range starts at N is appended; a `200` (the
server ignores ranges, or the file changed) starts the file again from nothing.

Stopping (`Control.stop("pause" | "cancel")`, from any thread) cancels the transfer at
once; the caller decides what happens to the `.part` (kept for a pause, removed for a
cancel).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..feeds.addresses import (
    AddressClassifier,
    AddressGuard,
    is_local_address,
    origin_is_local,
    proxy_in_use,
)
from ..feeds.curl_session import CurlError, CurlSession, Response
from ..feeds.fetch_policy import _blocked_port, _Chain, _describe, _port_reason, next_hop
from ..feeds.fetch_types import DEFAULT_USER_AGENT, FetchLimits, _reason, _size, _validator
from ..text import check_url, clean_line

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")
# A transfer that can take an hour still has libcurl's backstop.
_MAX_TIME = 24 * 3600.0

Progress = Callable[[int, int | None], None]  # (bytes in the file, total or None)


class DownloadFailed(Exception):
    """A download that cannot go on; the message is plain words, safe to show."""


class Stopped(Exception):
    """The user paused or cancelled (`Control.stop`): seen between two pieces of the body."""


class TooLarge(DownloadFailed):
    """The file is larger than the size cap (its partial file is removed)."""


@dataclass(frozen=True, slots=True)
class DownloadSettings:
    """What every download of a session shares (from the config)."""

    max_bytes: int  # the size cap (download_max_mb)
    limits: FetchLimits = FetchLimits()  # noqa: RUF009 - frozen: one shared default is safe
    user_agent: str = DEFAULT_USER_AGENT
    classify: AddressClassifier = is_local_address
    resolve: tuple[str, ...] = ()


@dataclass(slots=True)
class Outcome:
    """What came of a finished transfer: the `.part` is complete."""

    size: int
    content_type: str | None
    validator: str | None


class Control:
    """Pause or cancel a running download from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reason: Literal["", "pause", "cancel"] = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None

    def attach(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[object]) -> None:
        with self._lock:
            self._loop, self._task = loop, task
            stop_now = bool(self.reason)
        if stop_now:
            loop.call_soon_threadsafe(task.cancel)

    def detach(self) -> None:
        with self._lock:
            self._loop = self._task = None

    def stop(self, reason: Literal["pause", "cancel"]) -> None:
        with self._lock:
            self.reason = reason
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    def reset(self) -> None:
        with self._lock:
            self.reason = ""


@dataclass
class _Sink:
    """Receives the response: checks the status and headers, writes the body."""

    part: Path
    offset: int  # bytes already in the .part (0: a fresh start)
    max_bytes: int
    on_progress: Progress | None
    stall: Callable[[], None]
    on_validator: Callable[[str | None], None] | None = None
    control: Control | None = None
    response: Response | None = None
    handle: int | None = None  # the open .part file descriptor
    written: int = 0
    total: int | None = None
    restarted: bool = False
    ranges: list[str] = field(default_factory=list)

    def start(self, response: Response) -> bool:
        self.response = response
        status = response.status
        if status in _REDIRECTS or not 200 <= status < 300:
            return False
        encodings = [e.lower() for e in response.header_list("content-encoding")]
        if any(e not in ("identity",) for e in encodings):
            shown = clean_line(", ".join(encodings), max_length=40)
            raise DownloadFailed(f"the server sent the file compressed ({shown}); not stored")
        length = _digits(response.header("content-length"))
        start = 0
        if status == 206 and self.offset:
            match = _CONTENT_RANGE.match(response.header("content-range") or "")
            if match is None or int(match.group(1)) != self.offset:
                raise DownloadFailed("the server sent the wrong part of the file")
            start = self.offset
            if match.group(3) != "*":
                self.total = int(match.group(3))
        elif status == 206:
            raise DownloadFailed("the server sent a part of the file nobody asked for")
        else:
            self.restarted = bool(self.offset)  # 200: the whole file again, from byte 0
            if length is not None:
                self.total = length
        if self.total is None and length is not None:
            self.total = start + length
        if self.total is not None and self.total > self.max_bytes:
            raise TooLarge(_too_large(self.max_bytes))
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        flags |= os.O_APPEND if start else os.O_TRUNC
        self.handle = os.open(self.part, flags, 0o644)
        if self.on_validator is not None and (self.restarted or not start):
            # What a resume sends as If-Range: the version of the file this part is of.
            self.on_validator(_strong_validator(response))
        self.written = start
        self._report()
        return True

    def feed(self, data: bytes) -> None:
        assert self.handle is not None
        if self.control is not None and self.control.reason:
            # Stop before writing: a piece libcurl already holds must not finish a
            # transfer the user has just paused.
            raise Stopped
        self.stall()
        if self.written + len(data) > self.max_bytes:
            raise TooLarge(_too_large(self.max_bytes))
        view = memoryview(data)
        while view:
            done = os.write(self.handle, view)
            view = view[done:]
        self.written += len(data)
        self._report()

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.written, self.total)

    def close(self) -> None:
        if self.handle is not None:
            os.close(self.handle)
            self.handle = None


def _strong_validator(response: Response) -> str | None:
    """The ETag (strong ones only: If-Range refuses weak ones), else Last-Modified."""
    etag = _validator(response.header("etag"))
    if etag and not etag.startswith("W/"):
        return etag
    return _validator(response.header("last-modified"))


def _digits(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _too_large(max_bytes: int) -> str:
    return (
        f"stopped: the file is larger than the {_size(max_bytes)} limit "
        "(download_max_mb in the config)"
    )


async def download(
    session: CurlSession,
    settings: DownloadSettings,
    url: str,
    part: Path,
    *,
    origin: str,
    validator: str | None = None,
    on_progress: Progress | None = None,
    on_validator: Callable[[str | None], None] | None = None,
    control: Control | None = None,
) -> Outcome:
    """Fetch `url` into `part`, resuming from its size. Raises `DownloadFailed` (plain
    words), or `Stopped` / `asyncio.CancelledError` (`control` said stop); `part` is
    left as it is either way, except that a file found too large is removed.

    `origin` is the feed's URL: a public feed's file may not be on a local address.
    `validator`: the ETag or Last-Modified of the response the part came from
    (`on_validator` is told it when a transfer starts from byte 0).
    """
    first = check_url(url)
    if not first.ok:
        raise DownloadFailed(f"address refused: {first.reason}")
    port = _blocked_port(first.url)
    if port is not None:
        raise DownloadFailed(f"address refused: {_port_reason(port)}")
    limits = settings.limits
    guard = AddressGuard(settings.classify)
    if proxy_in_use():
        guard.origin_local = False
    else:
        guard.origin_local = await origin_is_local(
            origin, settings.classify, limits.connect_timeout
        )
    if not guard.allows_host(first.host):
        raise DownloadFailed(f"address refused: {guard.reason()}")
    chain = _Chain(requested=first.url, current=first.url)
    try:
        offset = part.stat().st_size
    except FileNotFoundError:
        offset = 0
    loop = asyncio.get_running_loop()
    timer = asyncio.timeout_at(loop.time() + limits.deadline)

    def stall() -> None:  # each piece of the body gives the transfer more time
        timer.reschedule(loop.time() + limits.deadline)

    try:
        async with timer:
            while True:
                headers = ["Accept: */*"]
                if offset:
                    headers.append(f"Range: bytes={offset}-")
                    if validator:
                        headers.append(f"If-Range: {validator}")
                sink = _Sink(
                    part, offset, settings.max_bytes, on_progress, stall, on_validator, control
                )
                check = None if proxy_in_use() else guard.allows
                stall()
                try:
                    response = await session.get(chain.current, headers, sink, check)
                except CurlError as error:
                    if error.refused:
                        raise DownloadFailed(f"address refused: {guard.reason()}") from None
                    host = urlsplit(chain.current).hostname or ""
                    raise DownloadFailed(_describe(error, host, limits)) from None
                except TooLarge:
                    sink.close()
                    part.unlink(missing_ok=True)
                    raise
                finally:
                    sink.close()
                if response.status in _REDIRECTS:
                    try:
                        next_hop(chain, response, guard, limits.max_redirects)
                    except Exception as exc:  # _Failure: its message is plain words
                        raise DownloadFailed(str(exc)) from None
                    continue
                if response.status == 416 and offset:
                    # The part is as long as the file, or the file changed: start again.
                    part.unlink(missing_ok=True)
                    offset, validator = 0, None
                    continue
                if not 200 <= response.status < 300:
                    raise DownloadFailed(_reason(response.status, response.reason))
                if sink.handle is None and sink.total is None and not sink.written:
                    # A 2xx without a body: an empty file, still a file.
                    part.touch()
                if sink.total is not None and sink.written < sink.total:
                    raise DownloadFailed("the connection ended before the whole file came")
                found = _strong_validator(response)
                content_type = clean_line(response.header("content-type"), max_length=200)
                return Outcome(sink.written, content_type or None, found)
    except TimeoutError:
        raise DownloadFailed(f"stalled: nothing received for {limits.deadline:g} s") from None


def open_session(settings: DownloadSettings) -> CurlSession:
    """A session for downloads (enter it with ``async with``)."""
    return CurlSession(
        user_agent=settings.user_agent,
        connect_timeout=settings.limits.connect_timeout,
        max_time=_MAX_TIME,
        resolve=settings.resolve,
    )
