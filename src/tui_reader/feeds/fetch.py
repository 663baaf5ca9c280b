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
* **Logins only where they belong** (`auth.py`, `auth_login.py`): each hop asks the
  `Logins` what its URL may carry, so the user and password or token headers of an
  `[auth."host"]` table go to that host only (never across a redirect to another one),
  and over plain http only when the user allowed it. A 401 says "needs a login" and
  which config table to add.
* **No exceptions**: every failure becomes a `FetchResult` with status "error" and a
  plain-words reason. Only `asyncio.CancelledError` propagates, as it must.

This module keeps `Fetcher` (slots, deadline, the request loop); the rest is split by job
and re-exported here: `fetch_types.py` (limits, results, request headers),
`fetch_body.py` (bounded decoding of the body) and `fetch_policy.py` (each redirect hop,
blocked ports, loopback, the wording of libcurl errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from tui_reader.text import UrlCheck, check_url, clean_line

from .addresses import (
    AddressClassifier,
    AddressGuard,
    is_local_address,
    origin_is_local,
    proxy_in_use,
)
from .curl_session import CurlError, CurlSession, HttpLogin, Response

# The pieces, split by job; every public name is importable from here as before.
from .errors import LoginError
from .fetch_body import ACCEPT_ENCODING, BROTLI_AVAILABLE, _BodyReader
from .fetch_policy import (
    _REDIRECTS,
    _blocked_port,
    _Chain,
    _describe,
    _is_loopback,
    _port_reason,
    next_hop,
)
from .fetch_types import (
    DEFAULT_USER_AGENT,
    FEED_ACCEPT,
    MAX_RETRY_AFTER,
    PAGE_ACCEPT,
    FetchLimits,
    FetchResult,
    _Failure,
    _header_safe,
    _reason,
    _seconds,
    _validator,
    parse_retry_after,
)

if TYPE_CHECKING:  # the login code loads only when the config has logins
    from .auth_login import HopLogin, Logins

__all__ = [
    "ACCEPT_ENCODING",
    "BROTLI_AVAILABLE",
    "DEFAULT_USER_AGENT",
    "FEED_ACCEPT",
    "MAX_RETRY_AFTER",
    "PAGE_ACCEPT",
    "FetchLimits",
    "FetchResult",
    "Fetcher",
    "parse_retry_after",
]

_RETRY_STATUSES = frozenset({429, 503})


@dataclass
class _HostGate:
    semaphore: asyncio.Semaphore
    users: int = 0


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
    login: HopLogin | None = None  # what the current hop carries (for a 401's wording)
    logins: Logins | None = None  # where the logins of this request come from


class Fetcher:
    """Fetches feeds and pages under `FetchLimits`. Use as ``async with Fetcher() as f``.

    Safe to share between any number of concurrent tasks in one event loop.
    """

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),  # noqa: B008 - frozen: one shared default is safe
        user_agent: str | None = None,
        *,
        classify: AddressClassifier = is_local_address,
        resolve: Iterable[str] = (),
        logins: Logins | None = None,
    ) -> None:
        """`classify` and `resolve` are for tests: which addresses count as local, and
        names libcurl resolves without DNS ("host:port:address"). `logins`: the config's
        `[auth."..."]` rules (none: no request carries a login)."""
        agent = user_agent or DEFAULT_USER_AGENT
        if not _header_safe(agent, max_length=1024):
            raise ValueError("the user agent must be printable ASCII")
        self.limits = limits
        self.user_agent = agent
        self._classify = classify
        self._resolve = tuple(resolve)
        self._logins = logins
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
        request.logins = self._logins
        if "@" in first.url.split("/", 3)[2]:
            first = self._address_login(request, first.url)
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
        except LoginError as exc:
            return self._error(request, str(exc))
        except _Failure as failure:
            return self._error(
                request,
                failure.message,
                http_status=failure.http_status,
                retry_after=failure.retry_after,
            )
        except Exception as exc:  # the promise is "never raises": map whatever slipped by
            return self._error(request, f"unexpected error ({type(exc).__name__})")

    def _address_login(self, request: _Request, url: str) -> UrlCheck:
        """A subscription stored with `user:password@` in its address (before the reader
        took them out at `add`): the login is taken out of the URL libcurl gets and
        treated as a login for that host, under the same rules as the config's (https
        only unless allowed, never to another host)."""
        from .auth import split_login
        from .auth_login import Logins

        given = split_login(url)
        if given is None:  # pragma: no cover - check_url found a userinfo
            return check_url(url)
        base = self._logins or Logins(allow_insecure=False)
        if given.password is not None:
            request.logins = base.with_login(given.url, given.user, given.password)
        return check_url(given.url)

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
            # Asked per hop, before the slot (a password manager may take a while): a
            # login goes only to the URL its rule covers, never on to another host.
            logins = request.logins
            asks = logins is not None and bool(logins.rules or logins.address_rules)
            login = await logins.for_url(chain.current) if asks else None
            request.login = login
            lines = header_lines
            if login is not None and login.headers:
                # A rule's header replaces the reader's own of that name (e.g. Accept).
                names = {line.split(":", 1)[0].lower() for line in login.headers}
                lines = [x for x in header_lines if x.split(":", 1)[0].lower() not in names]
                lines += login.headers
            http_login = None
            if login is not None and login.password is not None:
                http_login = HttpLogin(login.user, login.password, login.method)
            async with self._slot(host):
                if chain.hops == 0:
                    if request.admission is not None and not request.admitted:
                        await request.admission.acquire()
                        request.admitted = True
                    timer.reschedule(loop.time() + self.limits.deadline)
                reader = _BodyReader(self.limits, request.conditional)
                check = None if proxy_in_use() else request.guard.allows
                try:
                    response = await session.get(
                        chain.current, lines, reader, check, login=http_login
                    )
                except CurlError as error:
                    if error.refused:
                        raise _Failure(f"address refused: {request.guard.reason()}") from None
                    status = reader.response.status if reader.response else None
                    raise _Failure(
                        _describe(error, host, self.limits), http_status=status or None
                    ) from None
            if response.status not in _REDIRECTS:
                return self._complete(request, response, reader)
            next_hop(chain, response, request.guard, self.limits.max_redirects)

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
            challenge = response.header("www-authenticate")
            if status == 401 or (status == 403 and challenge):
                from .auth_login import login_message, offered_schemes

                offered = offered_schemes(challenge)
                message = login_message(message, chain.current, offered, request.login)
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
