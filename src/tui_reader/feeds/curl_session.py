"""One HTTP GET at a time per caller, many at once per loop: libcurl driven by asyncio.

Why libcurl (through pycurl) and not a pure-Python client: a refresh is hundreds of
small requests, and on the 2-core reference machine httpx spent ~2 ms of CPU per
request in connection-pool bookkeeping (0.45 s for 200 feeds, of a 0.1 s download).
libcurl does the HTTP work in C, as newsboat does; this module only connects it to the
event loop, so every other part of the fetcher (limits, redirects, decoding, the URL
policy) stays in `fetch.py` and in Python.

How it is driven: one `CurlMulti` per `CurlSession` (it owns the connection cache, so
keep-alive works across requests), in "socket action" mode. libcurl says which sockets
it wants watched (`M_SOCKETFUNCTION`) and when it next needs a timer
(`M_TIMERFUNCTION`); both map onto `loop.add_reader`/`add_writer`/`call_later`, and
each event is handed back with `socket_action`. No thread, no polling.

What libcurl is told NOT to do, because `fetch.py` does it under its own limits: follow
redirects (each hop must pass the URL policy), decode Content-Encoding (decoding is
bounded piece by piece there), speak anything but http/https. The body is handed, as it
arrives, to a `BodySink` that may refuse it (too large, not wanted): the transfer then
stops at once.

An optional address guard (`feeds/addresses.py`) sees every address libcurl is about to
connect to (`OPENSOCKETFUNCTION`, before the connection), and the address of every
finished transfer (`PRIMARY_IP`, for connections reused from the cache: pycurl allows
`getinfo` only then): a refusal ends the transfer with an error.

pycurl does not allow calling the multi handle from inside its own callbacks, so the
callbacks here only record and schedule; all `socket_action`/`remove_handle` calls are
made from plain loop callbacks or coroutines.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pycurl

# Not named in every pycurl release: libcurl's CURLE_WEIRD_SERVER_REPLY.
E_WEIRD_SERVER_REPLY = 8

# libcurl hands the body over in pieces of at most this many bytes (its maximum is
# 512 KiB). Larger pieces mean fewer Python calls per feed.
_RECEIVE_BUFFER = 256 * 1024


class BodySink(Protocol):
    """Where a response goes. Raising from a method stops the transfer; the exception is
    re-raised by `CurlSession.get`."""

    def start(self, response: Response) -> bool:
        """The header block is complete. Return False to skip the body (and the rest of
        the transfer, e.g. a redirect's or an error page's)."""
        ...

    def feed(self, data: bytes) -> None:
        """The next raw (still Content-Encoded) piece of the body."""
        ...


@dataclass(slots=True)
class Response:
    """Status line and headers of a response (the last one, after any 1xx)."""

    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)  # (lower-case name, value)

    def header(self, name: str) -> str | None:
        """All values of `name` joined with ", " (as one header), or None."""
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None

    def header_list(self, name: str) -> list[str]:
        """Every comma-separated element of every `name` header."""
        return [
            part.strip()
            for key, value in self.headers
            if key == name
            for part in value.split(",")
            if part.strip()
        ]


class CurlError(Exception):
    """A transfer failed in libcurl: `code` is the CURLE_* number, `message` libcurl's
    text (untrusted: it can quote the server), `connected` whether a connection was
    made at all, `os_errno` the system error behind it (0 if none), `refused` the
    address the guard refused ("" if none)."""

    def __init__(
        self, code: int, message: str, *, connected: bool, os_errno: int = 0, refused: str = ""
    ) -> None:
        super().__init__(f"curl error {code}: {message}")
        self.code = code
        self.message = message
        self.connected = connected
        self.os_errno = os_errno
        self.refused = refused


# Given an IP address libcurl is about to use, True to allow it.
AddressCheck = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class HttpLogin:
    """An HTTP login for one request (`feeds/auth_login.py` decides when one is given).

    `method` "basic" sends it at once; "digest" and "any" (basic or digest, whichever the
    server offers) first ask the server without it. Never NTLM or Negotiate: those could
    hand the user's system credentials (Kerberos) to whoever asks.
    """

    user: str
    password: str
    method: str = "any"

    def __repr__(self) -> str:  # a traceback or a log line never shows the password
        return f"HttpLogin(user={self.user!r}, method={self.method!r})"


_AUTH_METHODS = {
    "basic": pycurl.HTTPAUTH_BASIC,
    "digest": pycurl.HTTPAUTH_DIGEST,
    "any": pycurl.HTTPAUTH_BASIC | pycurl.HTTPAUTH_DIGEST,
}


class _Transfer:
    """One request in flight: its easy handle, the parsed response, the caller's sink."""

    __slots__ = (
        "curl",
        "failure",
        "future",
        "guard",
        "lines",
        "refused",
        "response",
        "sink",
        "started",
        "wanted",
    )

    def __init__(
        self,
        curl: pycurl.Curl,
        sink: BodySink,
        future: asyncio.Future[Response],
        guard: AddressCheck | None = None,
    ):
        self.curl = curl
        self.guard = guard
        self.refused = ""  # an address the guard refused
        self.response = Response()
        self.sink = sink
        self.future = future
        self.started = False  # sink.start() has been called
        self.wanted = True  # the sink still wants the body
        self.failure: BaseException | None = None  # raised by the sink
        self.lines = 0  # header lines seen: a bound against endless header streams

    # -- libcurl callbacks (inside socket_action: record only, never call the multi)

    def on_open_socket(self, purpose: int, address: Any) -> Any:
        """libcurl wants a socket for `address`: the guard may refuse it before connecting."""
        family = address.family
        if self.guard is not None and family in (socket.AF_INET, socket.AF_INET6):
            ip = str(address.addr[0])
            if not self.guard(ip):
                self.refused = ip
                return pycurl.SOCKET_BAD
        return socket.socket(family, address.socktype, address.protocol)

    def on_header(self, line: bytes) -> int | None:
        self.lines += 1
        if self.lines > 1000:
            return 0  # abort: no real response has a thousand header lines
        text = line.decode("latin-1").rstrip("\r\n")
        if text.startswith("HTTP/"):
            # A new status line: a 1xx before the real response, or the response itself.
            parts = text.split(" ", 2)
            status = parts[1] if len(parts) > 1 else ""
            self.response = Response(
                status=int(status) if status.isdigit() and len(status) == 3 else 0,
                reason=parts[2] if len(parts) > 2 else "",
            )
        elif ":" in text:
            name, _, value = text.partition(":")
            self.response.headers.append((name.strip().lower(), value.strip()))
        return None

    def begin(self) -> bool:
        if not self.started:
            self.started = True
            try:
                self.wanted = self.sink.start(self.response)
            except BaseException as exc:  # handed to the awaiting coroutine
                self.failure = exc
                self.wanted = False
        return self.wanted

    def on_body(self, data: bytes) -> int | None:
        if not self.begin():
            return 0  # a short count makes libcurl stop the transfer
        try:
            self.sink.feed(data)
        except BaseException as exc:
            self.failure = exc
            self.wanted = False
            return 0
        return None


def _ca_bundle() -> str | None:
    """The CA certificates to trust: $SSL_CERT_FILE if set, else certifi's bundle.

    A libcurl built for many Linux distributions cannot know where this one keeps its
    CA store, so the bundle is always named explicitly (certifi, as httpx and requests
    do; $SSL_CERT_FILE for users behind an intercepting proxy with its own CA).
    """
    override = os.environ.get("SSL_CERT_FILE")
    if override and os.path.isfile(override):
        return override
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi is a dependency
        return None
    return certifi.where()


class CurlSession:
    """GET requests through one shared `CurlMulti`, awaited from one event loop.

    Use as ``async with CurlSession(...) as session``. Concurrency is the caller's to
    bound (fetch.py holds its slots around every `get`).
    """

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float,
        max_time: float,
        resolve: Iterable[str] = (),
    ) -> None:
        self._user_agent = user_agent
        # "host:port:address" entries for libcurl's DNS cache (CURLOPT_RESOLVE): tests use
        # it to give a name an address without a DNS server.
        self._resolve = list(resolve)
        self._connect_ms = max(1, int(connect_timeout * 1000))
        self._max_ms = max(1, int(max_time * 1000))
        self._cainfo = _ca_bundle()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._multi: pycurl.CurlMulti | None = None
        self._transfers: dict[pycurl.Curl, _Transfer] = {}
        self._fds: dict[int, int] = {}  # fd -> the POLL_* events watched
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> CurlSession:
        self._loop = asyncio.get_running_loop()
        multi = pycurl.CurlMulti()
        multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._multi = multi
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        multi, self._multi = self._multi, None
        if multi is None:
            return
        for transfer in list(self._transfers.values()):
            self._drop(multi, transfer)
            if not transfer.future.done():
                transfer.future.cancel()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        multi.close()  # closes the cached connections; libcurl then unwatches sockets
        for fd in list(self._fds):
            self._unwatch(fd)

    @property
    def is_open(self) -> bool:
        return self._multi is not None

    async def get(
        self,
        url: str,
        headers: Iterable[str],
        sink: BodySink,
        guard: AddressCheck | None = None,
        *,
        login: HttpLogin | None = None,
    ) -> Response:
        """GET `url` with `headers` ("Name: value" lines); the body goes to `sink`.

        `login`: HTTP basic/digest credentials for this request only (libcurl does not
        follow redirects here, so they can never travel to another host).

        `guard`, when given, is asked about every address the transfer connects to; a
        refusal ends it with a `CurlError` whose `refused` names the address.

        Returns the response once the transfer ends (also when the sink declined the
        body). Raises what the sink raised, or `CurlError`. If the awaiting task is
        cancelled, the transfer is stopped and its connection closed.
        """
        multi, loop = self._multi, self._loop
        if multi is None or loop is None:
            raise RuntimeError("the session is not open")
        curl = pycurl.Curl()
        future: asyncio.Future[Response] = loop.create_future()
        transfer = _Transfer(curl, sink, future, guard)
        self._configure(curl, url, list(headers), transfer)
        if login is not None:
            # As UTF-8 bytes: pycurl refuses a str that is not ASCII.
            curl.setopt(pycurl.USERNAME, login.user.encode("utf-8"))
            curl.setopt(pycurl.PASSWORD, login.password.encode("utf-8"))
            curl.setopt(pycurl.HTTPAUTH, _AUTH_METHODS.get(login.method, _AUTH_METHODS["any"]))
        self._transfers[curl] = transfer
        multi.add_handle(curl)  # libcurl asks for a 0 ms timer to start it
        try:
            return await future
        finally:
            if curl in self._transfers:  # cancelled (or the session closed) mid-transfer
                self._drop(multi, transfer)

    # ------------------------------------------------------------------ internals

    def _configure(
        self, curl: pycurl.Curl, url: str, headers: list[str], transfer: _Transfer
    ) -> None:
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.HTTPHEADER, headers)
        curl.setopt(pycurl.USERAGENT, self._user_agent)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.FOLLOWLOCATION, 0)  # fetch.py judges every hop itself
        curl.setopt(pycurl.HTTP_CONTENT_DECODING, 0)  # fetch.py decodes, bounded
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, self._connect_ms)
        # A backstop only: fetch.py's total deadline (asyncio) is the real one.
        curl.setopt(pycurl.TIMEOUT_MS, self._max_ms)
        curl.setopt(pycurl.BUFFERSIZE, _RECEIVE_BUFFER)
        if self._cainfo:
            curl.setopt(pycurl.CAINFO, self._cainfo)
        curl.setopt(pycurl.HEADERFUNCTION, transfer.on_header)
        if transfer.guard is not None:
            curl.setopt(pycurl.OPENSOCKETFUNCTION, transfer.on_open_socket)
        if self._resolve:
            curl.setopt(pycurl.RESOLVE, self._resolve)
        curl.setopt(pycurl.WRITEFUNCTION, transfer.on_body)

    def _drop(self, multi: pycurl.CurlMulti, transfer: _Transfer) -> None:
        self._transfers.pop(transfer.curl, None)
        multi.remove_handle(transfer.curl)
        transfer.curl.close()

    # -- libcurl asks for sockets and timers (called inside socket_action/add_handle)

    def _on_socket(self, what: int, fd: int, multi: object, data: object) -> None:
        loop = self._loop
        assert loop is not None
        previous = self._fds.get(fd, 0)
        if what == pycurl.POLL_REMOVE:
            self._unwatch(fd)
            return
        if what & pycurl.POLL_IN and not previous & pycurl.POLL_IN:
            loop.add_reader(fd, self._on_event, fd, pycurl.CSELECT_IN)
        elif not what & pycurl.POLL_IN and previous & pycurl.POLL_IN:
            loop.remove_reader(fd)
        if what & pycurl.POLL_OUT and not previous & pycurl.POLL_OUT:
            loop.add_writer(fd, self._on_event, fd, pycurl.CSELECT_OUT)
        elif not what & pycurl.POLL_OUT and previous & pycurl.POLL_OUT:
            loop.remove_writer(fd)
        self._fds[fd] = what

    def _unwatch(self, fd: int) -> None:
        previous = self._fds.pop(fd, 0)
        if self._loop is None:
            return
        if previous & pycurl.POLL_IN:
            self._loop.remove_reader(fd)
        if previous & pycurl.POLL_OUT:
            self._loop.remove_writer(fd)

    def _on_timer(self, timeout_ms: int) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if timeout_ms >= 0 and self._loop is not None:
            # Even a 0 ms timer is deferred: socket_action may not be called from here.
            self._timer = self._loop.call_later(timeout_ms / 1000, self._on_timeout)

    # -- the loop reports events; hand them to libcurl

    def _on_event(self, fd: int, action: int) -> None:
        self._act(fd, action)

    def _on_timeout(self) -> None:
        self._timer = None
        self._act(pycurl.SOCKET_TIMEOUT, 0)

    def _act(self, fd: int, action: int) -> None:
        multi = self._multi
        if multi is None:
            return
        while True:
            try:
                code, _running = multi.socket_action(fd, action)
            except pycurl.error:  # pragma: no cover - libcurl out of memory and alike
                break
            if code != pycurl.E_CALL_MULTI_PERFORM:
                break
        self._collect(multi)

    def _collect(self, multi: pycurl.CurlMulti) -> None:
        """Finish every transfer libcurl reports as done."""
        while True:
            queued, ok_list, error_list = multi.info_read()
            for curl in ok_list:
                self._finish(multi, curl, None)
            for curl, code, message in error_list:
                self._finish(multi, curl, (code, message))
            if queued == 0:
                break

    def _finish(
        self, multi: pycurl.CurlMulti, curl: pycurl.Curl, error: tuple[int, str] | None
    ) -> None:
        transfer = self._transfers.get(curl)
        if transfer is None:
            return
        connected, os_errno = True, 0
        if transfer.guard is not None and not transfer.refused:
            # A connection reused from the cache opened no socket, so the guard has not
            # seen it: check where the response came from (pycurl allows getinfo only
            # now, after the transfer) and drop it if it was not allowed.
            try:
                ip = str(curl.getinfo(pycurl.PRIMARY_IP) or "")
            except pycurl.error:  # pragma: no cover
                ip = ""
            if ip and not transfer.guard(ip):
                transfer.refused = ip
        if error is not None:
            try:
                connected = bool(curl.getinfo(pycurl.CONNECT_TIME)) or transfer.lines > 0
                os_errno = int(curl.getinfo(pycurl.OS_ERRNO))
            except pycurl.error:  # pragma: no cover
                connected = transfer.lines > 0
        self._drop(multi, transfer)
        future = transfer.future
        if future.done():
            return
        if transfer.refused:  # before the sink's failure: the refusal is the cause
            code, message = error or (pycurl.E_COULDNT_CONNECT, "address refused")
            future.set_exception(
                CurlError(code, message, connected=False, refused=transfer.refused)
            )
            return
        if transfer.failure is not None:
            future.set_exception(transfer.failure)
            return
        if error is None or (error[0] == pycurl.E_WRITE_ERROR and transfer.started):
            # A declined body ends in a write error: the response itself is complete.
            if error is None and not transfer.started:
                try:
                    transfer.begin()  # a response without a body still gets start()
                except BaseException as exc:  # pragma: no cover - begin() stores it
                    future.set_exception(exc)
                    return
                if transfer.failure is not None:
                    future.set_exception(transfer.failure)
                    return
            future.set_result(transfer.response)
            return
        code, message = error
        future.set_exception(CurlError(code, message, connected=connected, os_errno=os_errno))
