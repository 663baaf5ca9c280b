"""Async HTTP fetching of feeds and pages, with every limit enforced per fetch.

Feeds come from strangers, so a fetch must not be able to hurt the reader: not by being
slow, not by being big, not by redirecting somewhere odd and not by raising. `Fetcher`
owns one `CurlSession` (libcurl driven by the event loop, see `curl_session.py` for why)
and enforces:

* **A total deadline** (`FetchLimits.deadline`) around the whole fetch, redirects and body
  streaming included, with `asyncio.timeout`: a server dripping one byte a second never
  trips a per-read timeout. The clock starts once the first request holds its connection
  slots, so time spent queueing behind other feeds is not charged to this one.
* **A cap on decoded bytes** (`max_body_bytes`). libcurl hands over the raw bytes and they
  are decoded here, in pieces of at most `_PIECE` bytes per stage, so a
  `Content-Encoding: gzip, gzip` bomb that turns a few KB on the wire into a gigabyte is
  stopped at the cap, a piece at a time. Raw bytes are capped too, so a stream that
  decodes to nothing (trailing garbage, empty deflate blocks) cannot run forever either.
* **Redirects followed by hand** (`follow_redirects=False`) so each hop passes the URL
  policy (`text.check_url`: http/https with a host), at most `max_redirects` hops. Only an
  all-permanent (301/308) chain reports `permanent_url`.
* **Bounded concurrency**: a global semaphore plus one per host, taken per request, so a
  slow host holds at most `per_host` slots and every other feed keeps flowing. Work is not
  split across workers up front; callers just start one task per feed. The per-host
  limit is politeness towards other people's servers; a loopback host (127.0.0.0/8,
  ::1, localhost) is the user's own machine, so only the global limit applies to it.
* **Public feeds stay public** (`addresses.py`): a feed on a public address may not
  redirect, nor have its article pages fetched automatically, into loopback, private,
  link-local or unique-local addresses; checked on the address libcurl connects to.
* **No exceptions**: every failure becomes a `FetchResult` with status "error" and a
  plain-words reason. Only `asyncio.CancelledError` propagates, as it must.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import ipaddress
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from tui_reader import __version__
from tui_reader.text import BAD_PORTS, UrlRejected, check_url, clean_line, normalize_feed_url

from .addresses import (
    AddressClassifier,
    AddressGuard,
    is_local_address,
    origin_is_local,
    proxy_in_use,
)
from .curl_session import E_WEIRD_SERVER_REPLY, CurlError, CurlSession, Response

try:  # Brotli is optional; only a version that can bound its output is used (see below).
    import brotli as _brotli
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

# brotli >= 1.2 can stop after N output bytes (`output_buffer_limit`); older versions inflate
# a whole chunk at once, which is exactly the bomb this module exists to stop. So "br" is
# only advertised when the bounded API is there.
BROTLI_AVAILABLE: bool = _brotli is not None and hasattr(
    _brotli.Decompressor(), "can_accept_more_data"
)

DEFAULT_USER_AGENT = f"tui-reader/{__version__} (+terminal feed reader)"

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.8"
ACCEPT_ENCODING = "gzip, deflate, br" if BROTLI_AVAILABLE else "gzip, deflate"

_MIB = 1024 * 1024
# Largest piece one decoding stage hands to the next: bounds memory per stage and how far
# the decoded total can overshoot the cap before it is noticed.
_PIECE = 64 * 1024
# More stacked encodings than this is not a real server, only a way to multiply work.
_MAX_ENCODINGS = 3
# A Retry-After longer than this is treated as this: a typo or a hostile server must not be
# able to switch a feed off for years.
MAX_RETRY_AFTER = 7 * 24 * 3600.0
# Validators are echoed back verbatim in request headers, so they must be header-safe.
_MAX_VALIDATOR = 512

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class FetchLimits:
    """Per-fetch limits. One instance is shared by all fetches of a `Fetcher`."""

    deadline: float = 30.0  # total seconds per feed, including redirects and slow drips
    connect_timeout: float = 10.0
    max_body_bytes: int = 20 * 1024 * 1024  # cap on DECODED bytes (bounded decompression)
    max_redirects: int = 5
    global_concurrency: int = 16
    per_host: int = 2
    # Loopback hosts are the user's own machine: exempt from `per_host` (see the docstring).
    loopback_exempt: bool = True


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one fetch. `error` is plain words, safe to show."""

    status: Literal["ok", "not_modified", "error"]
    url: str  # URL that was requested
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # Set when a chain of 301/308 moved the feed (http(s) only); the caller updates the
    # stored URL. Never set for a chain with a temporary hop or an https -> http downgrade.
    permanent_url: str | None = None
    final_url: str = ""  # where the body came from (base for relative links)
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from 429/503 Retry-After (delta or HTTP-date)
    # The caller's `admission` slot is still held for this body (see `Fetcher.fetch`).
    admitted: bool = False


# --------------------------------------------------------------------------- helpers


def _seconds(value: float) -> str:
    return f"{value:g}"


def _size(nbytes: int) -> str:
    if nbytes >= _MIB and nbytes % _MIB == 0:
        return f"{nbytes // _MIB} MB"
    if nbytes >= _MIB:
        return f"{nbytes / _MIB:.1f} MB"
    if nbytes >= 1024 and nbytes % 1024 == 0:
        return f"{nbytes // 1024} KB"
    return f"{nbytes} bytes"


def _header_safe(value: str | None, max_length: int = _MAX_VALIDATOR) -> bool:
    """True if `value` can be sent as a header value unchanged (printable ASCII)."""
    # isascii() and isprintable() together mean U+0020-U+007E only, checked at C speed.
    return (
        value is not None
        and 0 < len(value) <= max_length
        and value.isascii()
        and value.isprintable()
    )


def _validator(value: str | None) -> str | None:
    # A validator that cannot be echoed byte for byte is useless, and cleaning it would
    # change it; dropping it just means the next fetch is unconditional.
    return value if value is not None and _header_safe(value.strip()) else None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None.

    The result is clamped to [0, MAX_RETRY_AFTER]; an unparseable value gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        # Compare digit counts before converting, so "9" * 5000 costs nothing.
        return MAX_RETRY_AFTER if len(text) > 9 else min(float(int(text)), MAX_RETRY_AFTER)
    import email.utils  # rarely needed: only a Retry-After given as a date

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT
    delta = when.timestamp() - (time.time() if now is None else now)
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def _reason(status: int, fallback: str) -> str:
    # The standard phrase, not the server's: the server's is untrusted text.
    import http  # only for errors: a refresh where all is well never needs it

    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = clean_line(fallback, max_length=60)
    return f"HTTP {status} {phrase}".rstrip()


class _Failure(Exception):
    """Internal: a fetch that ended in an error result."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after


# --------------------------------------------------------------------------- decoding


class _Stage(Protocol):
    """One content-decoding stage: bytes in, decoded pieces of at most ~_PIECE bytes out."""

    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _ZlibStage:
    """gzip or deflate, inflated at most `_PIECE` bytes per `decompress` call."""

    def __init__(self, name: str) -> None:
        self.name = name
        # gzip: header + trailer (wbits | 16). deflate: should be zlib-wrapped per RFC 9110,
        # but some servers send raw deflate; the first chunk decides (as browsers do).
        self._wbits = zlib.MAX_WBITS | 16 if name == "gzip" else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._started and data:
            self._started = True
            if self.name == "deflate":
                try:
                    # Probe the header on a copy so a raw stream can be retried cleanly.
                    zlib.decompressobj(self._wbits).decompress(data[:2])
                except zlib.error:
                    self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from self._inflate(data)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        inflater = self._inflater
        pending = data
        while not inflater.eof:
            try:
                out = inflater.decompress(pending, _PIECE)
            except zlib.error:
                raise _Failure(f"the response's {self.name} compression is corrupt") from None
            pending = inflater.unconsumed_tail
            if out:
                yield out
            # A full piece may leave output inside zlib even with no input left: go round
            # again with b"" until a short piece says it is drained.
            if not out or (not pending and len(out) < _PIECE):
                break
        # Data after the end of the stream (another gzip member, or junk) is ignored, as
        # browsers do; the raw-byte cap stops it from being an endless download.

    def finish(self) -> Iterator[bytes]:
        # Leniency as in browsers: a stream cut short keeps what was decoded.
        yield from self._inflate(b"")


class _BrotliStage:
    """br with brotli >= 1.2's bounded output."""

    name = "br"

    def __init__(self) -> None:
        assert _brotli is not None
        self._decoder: Any = _brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        decoder = self._decoder
        pending = data
        while not decoder.is_finished():
            try:
                out = decoder.process(pending, output_buffer_limit=_PIECE)
            except _brotli.error:  # type: ignore[union-attr]
                raise _Failure("the response's br compression is corrupt") from None
            pending = b""
            if out:
                yield out
            else:
                break

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")


def _stages(content_encoding: list[str]) -> list[_Stage]:
    """Decoders for a Content-Encoding list, in decoding order (the reverse of applying)."""
    names = [name.strip().lower() for name in content_encoding]
    names = [name for name in names if name and name != "identity"]
    if len(names) > _MAX_ENCODINGS:
        raise _Failure(f"the response is compressed {len(names)} times over; refused")
    stages: list[_Stage] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            stages.append(_ZlibStage("gzip"))
        elif name == "deflate":
            stages.append(_ZlibStage("deflate"))
        elif name == "br" and BROTLI_AVAILABLE:
            stages.append(_BrotliStage())
        else:
            shown = clean_line(name, max_length=40)
            raise _Failure(f"the response uses an unsupported compression ({shown!r})")
    return stages


def _through(stages: list[_Stage], pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Lazily push pieces through `stages`: one piece in flight per stage, never more."""
    flow: Iterable[bytes] = pieces
    for stage in stages:
        flow = _feed_all(stage, flow)
    yield from flow


def _feed_all(stage: _Stage, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)


def _finish_all(stages: list[_Stage]) -> Iterator[bytes]:
    # Each stage's tail still has to pass through the stages after it.
    for index, stage in enumerate(stages):
        yield from _through(stages[index + 1 :], stage.finish())


# --------------------------------------------------------------------------- errors

# libcurl errors that mean the server's answer was not HTTP as it should be.
_PROTOCOL_ERRORS = frozenset({1, E_WEIRD_SERVER_REPLY, 16, 18, 52, 56, 92})
_TLS_ERRORS = frozenset({35, 53, 54, 58, 59, 64, 66, 77, 80, 82, 83, 90, 91, 98})


def _describe(error: CurlError, host: str, limits: FetchLimits) -> str:
    """Plain words for a failed transfer. libcurl's own text can quote the server, so it
    only ever appears cleaned and shortened."""
    code = error.code
    detail = clean_line(error.message, max_length=120)
    if code == 6:  # CURLE_COULDNT_RESOLVE_HOST
        return f"host not found ({clean_line(host, max_length=120)})"
    if error.os_errno == errno.ECONNREFUSED or "refused" in error.message.lower():
        return "connection refused"
    if code == 7:  # CURLE_COULDNT_CONNECT
        return f"could not connect ({detail or 'no reason given'})"
    if code == 28:  # CURLE_OPERATION_TIMEDOUT
        if not error.connected:
            return f"could not connect within {_seconds(limits.connect_timeout)} s"
        return f"timed out after {_seconds(limits.deadline)} s"
    if code == 60:  # CURLE_PEER_FAILED_VERIFICATION
        return f"TLS certificate not accepted ({detail})" if detail else "TLS error"
    if code in _TLS_ERRORS:
        return f"TLS error ({detail})" if detail else "TLS error"
    if error.os_errno == errno.ECONNRESET or "reset" in error.message.lower():
        return "connection reset by the server"
    if code in _PROTOCOL_ERRORS:
        return f"the server broke the HTTP protocol ({detail or 'no reason given'})"
    if code == 3:  # CURLE_URL_MALFORMAT
        return f"invalid address ({detail})"
    return f"network error ({detail})" if detail else "network error"


# --------------------------------------------------------------------------- fetcher


def _blocked_port(url: str) -> int | None:
    """The port of `url` if it is one of `text.BAD_PORTS` (SMTP, SSH, ...), else None.

    Checked on every hop: a feed or a redirect must not make the reader speak HTTP to a
    local mail or SSH server (cross-protocol requests).
    """
    try:
        port = urlsplit(url).port
    except ValueError:
        return None  # check_url already accepted it; libcurl will judge it again
    return port if port is not None and port in BAD_PORTS else None


def _port_reason(port: int) -> str:
    return f"port {port} belongs to another kind of service, not to web feeds"


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class _HostGate:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass
class _Chain:
    """What happened along the redirect chain of one fetch."""

    requested: str  # the normalised first URL
    current: str
    hops: int = 0
    all_permanent: bool = True
    downgraded: bool = False  # an https -> http hop

    def permanent_url(self) -> str | None:
        moved = self.hops and self.current != self.requested
        if not (moved and self.all_permanent and not self.downgraded):
            return None
        # The caller stores this as the subscription, so it must pass the subscription
        # policy too, not just the fetch policy.
        try:
            return normalize_feed_url(self.current)
        except UrlRejected:
            return None


@dataclass
class _Request:
    url: str
    headers: dict[str, str]
    conditional: bool
    sent_etag: str | None = None
    sent_last_modified: str | None = None
    admission: asyncio.Semaphore | None = None
    admitted: bool = False
    guard: AddressGuard = field(default_factory=AddressGuard)
    chain: _Chain = field(init=False)


class Fetcher:
    """Fetches feeds and pages under `FetchLimits`. Use as ``async with Fetcher() as f``.

    Safe to share between any number of concurrent tasks in one event loop.
    """

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),
        user_agent: str | None = None,
        *,
        classify: AddressClassifier = is_local_address,
        resolve: Iterable[str] = (),
    ) -> None:
        """`classify` and `resolve` are for tests: which addresses count as local, and
        names libcurl resolves without DNS ("host:port:address")."""
        agent = user_agent or DEFAULT_USER_AGENT
        if not _header_safe(agent, max_length=1024):
            raise ValueError("the user agent must be printable ASCII")
        self.limits = limits
        self.user_agent = agent
        self._classify = classify
        self._resolve = tuple(resolve)
        self._origins: dict[str, bool] = {}  # origin host -> is local (one lookup each)
        self._session: CurlSession | None = None
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, _HostGate] = {}

    async def __aenter__(self) -> Fetcher:
        limits = self.limits
        self._global = asyncio.Semaphore(limits.global_concurrency)
        session = CurlSession(
            user_agent=self.user_agent,
            connect_timeout=limits.connect_timeout,
            # libcurl's own limit is a backstop for the total deadline enforced here.
            max_time=limits.deadline + 5.0,
            resolve=self._resolve,
        )
        self._session = await session.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        admission: asyncio.Semaphore | None = None,
    ) -> FetchResult:
        """Fetch a feed, conditionally when validators are given. Never raises.

        A 304 gives status "not_modified"; an ok result carries the response's validators
        for the caller to store and pass back next time.

        `admission` bounds how many bodies a caller holds at once: a slot of it is taken
        once the request has its connection slots (a feed waiting for a busy host holds
        none) and before the deadline starts. An "ok" result keeps that slot
        (`FetchResult.admitted`) for the caller to release when done with the body; any
        other outcome releases it here.
        """
        headers = {"Accept": FEED_ACCEPT}
        sent_etag = _validator(etag)
        sent_modified = _validator(last_modified)
        if sent_etag:
            headers["If-None-Match"] = sent_etag.strip()
        if sent_modified:
            headers["If-Modified-Since"] = sent_modified.strip()
        request = _Request(
            url,
            headers,
            conditional=bool(sent_etag or sent_modified),
            sent_etag=sent_etag,
            sent_last_modified=sent_modified,
            admission=admission,
            guard=AddressGuard(self._classify),
        )
        try:
            result = await self._fetch(request)
        except BaseException:  # cancelled: nobody will get the body
            if request.admitted and admission is not None:
                admission.release()
            raise
        if request.admitted and admission is not None:
            if result.status == "ok":
                return dataclasses.replace(result, admitted=True)
            admission.release()
        return result

    async def fetch_page(self, url: str, *, origin: str | None = None) -> FetchResult:
        """Fetch an HTML page (feed discovery, full text) under the same limits.

        `origin` is the feed an automatic fetch comes from: a public feed's page may not be
        on a local address (see `addresses.py`). Without it the page is its own origin.
        """
        guard = AddressGuard(self._classify)
        if origin is not None:
            local = self._origins.get(origin)
            if local is None:
                local = await origin_is_local(origin, self._classify, self.limits.connect_timeout)
                self._origins[origin] = local
            guard.origin_local = local
        request = _Request(url, {"Accept": PAGE_ACCEPT}, conditional=False, guard=guard)
        return await self._fetch(request)

    # ------------------------------------------------------------------ internals

    async def _fetch(self, request: _Request) -> FetchResult:
        url = request.url
        session = self._session
        if session is None or not session.is_open:
            return FetchResult("error", url, error="the fetcher is not open")
        first = check_url(url)
        if not first.ok:
            return FetchResult("error", url, error=f"address refused: {first.reason}")
        port = _blocked_port(first.url)
        if port is not None:
            return FetchResult("error", url, error=f"address refused: {_port_reason(port)}")
        request.chain = _Chain(requested=first.url, current=first.url)
        guard = request.guard
        if not guard.allows_host(first.host):
            return self._error(request, f"address refused: {guard.reason()}")
        if guard.origin_local is None and proxy_in_use():
            guard.origin_local = False  # the proxy connects, not us: see addresses.py
        timer = asyncio.timeout(None)
        try:
            async with timer:
                return await self._follow(session, request, timer)
        except TimeoutError:
            if not timer.expired():
                raise  # pragma: no cover - inner timeouts are mapped in _follow
            return self._error(request, f"timed out after {_seconds(self.limits.deadline)} s")
        except _Failure as failure:
            return self._error(
                request,
                failure.message,
                http_status=failure.http_status,
                retry_after=failure.retry_after,
            )
        except Exception as exc:  # the promise is "never raises": map whatever slipped by
            return self._error(request, f"unexpected error ({type(exc).__name__})")

    def _error(
        self,
        request: _Request,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> FetchResult:
        return FetchResult(
            "error",
            request.url,
            final_url=request.chain.current,
            http_status=http_status,
            error=message,
            retry_after=retry_after,
        )

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold a per-host slot, then a global one (always in that order: no deadlock).

        The host slot is taken first so that a feed waiting for a busy host does not sit
        on a global slot that a feed for another host could use.
        """
        assert self._global is not None
        gate = self._hosts.get(host)
        if gate is None:
            exempt = self.limits.loopback_exempt and _is_loopback(host)
            allowed = self.limits.global_concurrency if exempt else self.limits.per_host
            gate = self._hosts[host] = _HostGate(asyncio.Semaphore(allowed))
        gate.users += 1
        try:
            async with gate.semaphore, self._global:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0 and self._hosts.get(host) is gate:
                del self._hosts[host]  # don't keep a semaphore per host ever seen

    async def _follow(
        self, session: CurlSession, request: _Request, timer: asyncio.Timeout
    ) -> FetchResult:
        chain = request.chain
        loop = asyncio.get_running_loop()
        header_lines = [f"{name}: {value}" for name, value in request.headers.items()]
        header_lines.append(f"Accept-Encoding: {ACCEPT_ENCODING}")
        while True:
            host = urlsplit(chain.current).hostname or ""
            async with self._slot(host):
                if chain.hops == 0:
                    if request.admission is not None and not request.admitted:
                        await request.admission.acquire()
                        request.admitted = True
                    timer.reschedule(loop.time() + self.limits.deadline)
                reader = _BodyReader(self.limits, request.conditional)
                check = None if proxy_in_use() else request.guard.allows
                try:
                    response = await session.get(chain.current, header_lines, reader, check)
                except CurlError as error:
                    if error.refused:
                        raise _Failure(f"address refused: {request.guard.reason()}") from None
                    status = reader.response.status if reader.response else None
                    raise _Failure(
                        _describe(error, host, self.limits), http_status=status or None
                    ) from None
            if response.status not in _REDIRECTS:
                return self._complete(request, response, reader)
            self._next_hop(chain, response, request.guard)

    def _next_hop(self, chain: _Chain, response: Response, guard: AddressGuard) -> None:
        status = response.status
        location = response.header("location")
        if not location:
            raise _Failure(f"{_reason(status, response.reason)} without a Location")
        if chain.hops >= self.limits.max_redirects:
            raise _Failure(f"too many redirects (more than {self.limits.max_redirects})")
        target = check_url(location, base=chain.current)
        if not target.ok:
            scheme = ""
            with contextlib.suppress(ValueError):
                scheme = urlsplit(location.strip()).scheme.lower()
            if scheme and scheme not in ("http", "https"):
                raise _Failure(f"redirect to a non-http address refused ({target.shown})")
            raise _Failure(f"redirect to an invalid address refused ({target.reason})")
        port = _blocked_port(target.url)
        if port is not None:
            raise _Failure(f"redirect refused: {_port_reason(port)}")
        if not guard.allows_host(target.host):
            raise _Failure(f"redirect refused: {guard.reason()}")
        chain.hops += 1
        chain.all_permanent = chain.all_permanent and status in _PERMANENT
        if chain.current.startswith("https:") and target.url.startswith("http:"):
            chain.downgraded = True
        chain.current = target.url.split("#", 1)[0]

    def _complete(self, request: _Request, response: Response, reader: _BodyReader) -> FetchResult:
        status = response.status
        chain = request.chain
        etag = _validator(response.header("etag"))
        last_modified = _validator(response.header("last-modified"))
        if status == 304 and request.conditional:
            return FetchResult(
                "not_modified",
                request.url,
                etag=etag or request.sent_etag,
                last_modified=last_modified or request.sent_last_modified,
                permanent_url=chain.permanent_url(),
                final_url=chain.current,
                http_status=status,
            )
        if not 200 <= status < 300:
            retry_after = None
            if status in _RETRY_STATUSES:
                retry_after = parse_retry_after(response.header("retry-after"))
            # The wait is reported in `retry_after` only; callers word it (refresh.py does).
            message = _reason(status, response.reason)
            raise _Failure(message, http_status=status, retry_after=retry_after)
        body = reader.finish()
        content_type = clean_line(response.header("content-type"), max_length=200) or None
        return FetchResult(
            "ok",
            request.url,
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            permanent_url=chain.permanent_url(),
            final_url=chain.current,
            http_status=status,
        )


class _BodyReader:
    """Receives one response from the `CurlSession`: wants the body of a 2xx only, and
    decodes it as it arrives, under the raw and decoded caps (raising `_Failure`)."""

    def __init__(self, limits: FetchLimits, conditional: bool) -> None:
        self.limit = limits.max_body_bytes
        # Compressed data is never much bigger than what it decodes to, so the same cap
        # (plus slack for headers of tiny bodies) bounds the download itself.
        self.raw_limit = self.limit + _PIECE
        self.response: Response | None = None
        self.stages: list[_Stage] = []
        # Pieces joined once at the end: growing one buffer copies it again and again.
        self.pieces: list[bytes] = []
        self.size = 0
        self.raw_total = 0

    def _too_large(self) -> _Failure:
        status = self.response.status if self.response else None
        return _Failure(f"response larger than {_size(self.limit)}", http_status=status)

    def start(self, response: Response) -> bool:
        self.response = response
        if not 200 <= response.status < 300:
            return False  # redirects, 304 and errors are judged on their headers alone
        declared = response.header("content-length") or ""
        if declared.isascii() and declared.isdigit() and int(declared) > self.raw_limit:
            raise self._too_large()  # no need to download what will be refused
        self.stages = _stages(response.header_list("content-encoding"))
        return True

    def feed(self, chunk: bytes) -> None:
        self.raw_total += len(chunk)
        if self.raw_total > self.raw_limit:
            raise self._too_large()
        if not self.stages:
            self._add(chunk)
            return
        for piece in _through(self.stages, (chunk,)):
            self._add(piece)

    def _add(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise self._too_large()
        self.pieces.append(piece)

    def finish(self) -> bytes:
        for piece in _finish_all(self.stages):
            self._add(piece)
        return self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
