"""A small synchronous HTTP client for the sync APIs: one libcurl easy handle per client.

Why not `feeds/curl_session.py`: that one is GET-only and driven by an asyncio loop for
hundreds of feeds at once; sync talks to one server, in order, from a worker thread, with
POST/PUT/DELETE bodies. Why not urllib: libcurl is already a dependency, keeps the
connection alive between calls (one TLS handshake per sync, not per call) and applies the
same CA bundle as the fetcher.

Secrets: credentials travel only in the headers and body the caller passes; they are never
put in an exception, a log line or a repr. Redirects are not followed (a redirect could carry
an Authorization header to another host): the caller gets the 3xx and says so.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import pycurl

from tui_reader import __version__
from tui_reader.feeds.curl_session import _ca_bundle
from tui_reader.text import clean_line

from .base import Cancelled, ProtocolError, ServerUnavailable

USER_AGENT = f"tui-reader/{__version__} (+terminal feed reader; sync)"
# A whole sync answer (10,000 ids, 250 entries with bodies) stays well below this.
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str
    # The server's clock (its Date header): sync cursors are taken from it, not from ours,
    # so a skewed local clock cannot skip changes.
    date: datetime | None = None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _Capped(io.BytesIO):
    """The body, refused once it would pass MAX_BODY."""

    overflow = False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > MAX_BODY:
            self.overflow = True
            return 0  # libcurl then stops the transfer with a write error
        return super().write(data)


class HttpClient:
    """Requests to one server, in order, from one thread; only `cancel` may be called
    from another."""

    def __init__(self, *, timeout: float = 60.0, connect_timeout: float = 10.0) -> None:
        self._timeout_ms = max(1, int(timeout * 1000))
        self._connect_ms = max(1, int(connect_timeout * 1000))
        self._curl: pycurl.Curl | None = None
        self._cainfo = _ca_bundle()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """From any thread: stop the request in flight within about a second (libcurl
        asks `_progress` at least that often) and refuse new ones with `Cancelled`."""
        self._cancelled.set()

    def _progress(self, *_totals: int) -> int:
        return 1 if self._cancelled.is_set() else 0  # non-zero: libcurl aborts

    def __repr__(self) -> str:
        return f"HttpClient(timeout_ms={self._timeout_ms})"

    def _handle(self) -> pycurl.Curl:
        if self._curl is None:
            self._curl = pycurl.Curl()
        curl = self._curl
        curl.reset()  # same handle, same connection cache: keep-alive across calls
        curl.setopt(pycurl.USERAGENT, USER_AGENT)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.FOLLOWLOCATION, 0)
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, self._connect_ms)
        curl.setopt(pycurl.TIMEOUT_MS, self._timeout_ms)
        # gzip, not everything libcurl decodes: offered brotli, Miniflux 2.2.6 takes it,
        # and brotli costs the server ~1.3-1.6x gzip's time per page of entries for 13%
        # fewer bytes (a first sync of 10,000 entries: 40 such pages).
        curl.setopt(pycurl.ACCEPT_ENCODING, "gzip")
        if self._cainfo:
            curl.setopt(pycurl.CAINFO, self._cainfo)
        curl.setopt(pycurl.NOPROGRESS, 0)
        curl.setopt(pycurl.XFERINFOFUNCTION, self._progress)
        return curl

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Sequence[str] = (),
        body: bytes | None = None,
    ) -> HttpResponse:
        """Send one request; raise ServerUnavailable when no answer came."""
        if self._cancelled.is_set():
            raise Cancelled("sync stopped")
        curl = self._handle()
        sink = _Capped()
        dates: list[bytes] = []
        curl.setopt(
            pycurl.HEADERFUNCTION, lambda h: dates.append(h) if h[:5].lower() == b"date:" else None
        )
        curl.setopt(pycurl.URL, url)
        # "Expect:" off: libcurl would otherwise wait for a 100 reply before large bodies.
        curl.setopt(pycurl.HTTPHEADER, [*headers, "Expect:"])
        curl.setopt(pycurl.WRITEDATA, sink)
        if method == "GET":
            curl.setopt(pycurl.HTTPGET, 1)
        elif method == "POST" or body is not None:
            curl.setopt(pycurl.CUSTOMREQUEST, method)
            curl.setopt(pycurl.POSTFIELDS, body or b"")
        else:
            curl.setopt(pycurl.CUSTOMREQUEST, method)
        try:
            curl.perform()
        except pycurl.error as exc:
            code = exc.args[0] if exc.args else 0
            if self._cancelled.is_set():
                raise Cancelled("sync stopped") from None
            if sink.overflow:
                raise ProtocolError(f"{_host(url)} sent an answer over 64 MiB") from None
            raise ServerUnavailable(_describe(url, code)) from None
        return HttpResponse(
            status=int(curl.getinfo(pycurl.RESPONSE_CODE)),
            body=sink.getvalue(),
            content_type=str(curl.getinfo(pycurl.CONTENT_TYPE) or ""),
            date=_date(dates[-1][5:]) if dates else None,
        )

    def close(self) -> None:
        if self._curl is not None:
            self._curl.close()
            self._curl = None


def _date(raw: bytes) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(raw.decode("latin-1").strip())
    except (ValueError, TypeError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "the server"
    return clean_line(f"{host}:{parts.port}" if parts.port else host, max_length=200)


def _describe(url: str, code: int) -> str:
    """Plain words for a libcurl failure; libcurl's own text is not used (it can quote
    the URL, and the URL is the caller's to show)."""
    host = _host(url)
    if code == pycurl.E_COULDNT_RESOLVE_HOST:
        return f"cannot find the server {host} (name lookup failed)"
    if code == pycurl.E_COULDNT_CONNECT:
        return f"cannot connect to {host} (is the server running?)"
    if code == pycurl.E_OPERATION_TIMEDOUT:
        return f"{host} did not answer in time"
    if code in (pycurl.E_SSL_CONNECT_ERROR, pycurl.E_PEER_FAILED_VERIFICATION):
        return f"secure connection to {host} failed (certificate or TLS problem)"
    return f"connection to {host} failed (curl error {code})"
