"""Where a fetch may go and how its failures are worded: ports, loopback, redirects.

Split from `fetch.py`: the checks made on every hop of a redirect chain (URL policy,
blocked ports, the address guard), what the chain reports as a permanent move, and the
plain words for libcurl's errors.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui_reader.text import BAD_PORTS, UrlRejected, check_url, clean_line, normalize_feed_url

from .addresses import AddressGuard
from .curl_session import E_WEIRD_SERVER_REPLY, CurlError, Response
from .fetch_types import FetchLimits, _Failure, _reason, _seconds

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


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


def next_hop(chain: _Chain, response: Response, guard: AddressGuard, max_redirects: int) -> None:
    """Move `chain` to the redirect `response` points at, or raise `_Failure` saying why not."""
    status = response.status
    location = response.header("location")
    if not location:
        raise _Failure(f"{_reason(status, response.reason)} without a Location")
    if chain.hops >= max_redirects:
        raise _Failure(f"too many redirects (more than {max_redirects})")
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
