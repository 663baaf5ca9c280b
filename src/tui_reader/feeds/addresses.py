"""Which network addresses a fetch may reach: public feeds stay on the public internet.

The rule (README "Private addresses", docs/fetching.md):

* A fetch has an *origin*: for a feed, the address its own URL leads to; for an article
  page fetched automatically ("always full text"), the feed it came from.
* An origin on a **local** address (loopback, private RFC 1918, link-local, unique-local
  fc00::/7, CGNAT, unspecified, reserved: anything `ipaddress` does not call global) was
  put there by the user, so everything it leads to is allowed: a NAS feed may link to the
  NAS, a test server on 127.0.0.1 may redirect to 127.0.0.1.
* An origin on a **public** address may not lead into a local one: a redirect or an
  automatic article fetch that would connect to a local address is refused, so a feed on
  the internet cannot make the reader send requests to the user's router or to a service
  on their own machine, and a 301 cannot move a subscription there.

How it is enforced, and why this way: the address that counts is the one libcurl actually
connects to, checked in libcurl's socket-open callback (`CURLOPT_OPENSOCKETFUNCTION`)
before the connection is made. Resolving the name ourselves first and then letting
libcurl resolve it again would leave a gap (DNS can answer differently the second time,
"DNS rebinding"); the callback sees the very address that is about to be used. A literal
IP address in a redirect is refused before any request. A connection libcurl reuses from
its cache opens no socket, so the address of each finished transfer is checked again
(`CURLINFO_PRIMARY_IP`; pycurl allows no `getinfo` earlier) and the response dropped: in
that one case the request has been sent (to an address an earlier, local feed of the
same refresh connected to) before it is refused.

Limits, honestly: the origin of a feed is decided by its first connection, so a public
name whose DNS points at a local address counts as a local feed (its owner already
decides what the feed says; the Host header still names their domain). With a proxy
(`http_proxy`, `https_proxy`, `all_proxy` set) libcurl connects to the proxy, not to the
site, so only literal addresses in URLs can be checked; the rest is the proxy's job.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Decides whether an IP address (text form) is local. Replaceable for tests, which only
# have loopback addresses to play with.
AddressClassifier = Callable[[str], bool]

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY")


def is_local_address(ip: str) -> bool:
    """True for any address that is not on the public internet (see the module docstring)."""
    try:
        address = ipaddress.ip_address(ip.strip("[]").split("%", 1)[0])
    except ValueError:
        return True  # not an address we understand: treat as local, i.e. refuse from public
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global


def literal_address(host: str) -> str | None:
    """`host` as an IP address if it is written as one (brackets removed), else None."""
    text = host.strip("[]")
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    return text


def is_local_name(host: str) -> bool:
    """`localhost` and its subdomains always mean this machine (RFC 6761)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


def proxy_in_use() -> bool:
    """Whether libcurl will talk to a proxy (it reads these variables itself)."""
    return any(os.environ.get(name) for name in _PROXY_VARIABLES)


async def origin_is_local(origin: str, classify: AddressClassifier, timeout: float) -> bool:
    """Whether the feed at URL `origin` is on a local address (all its addresses are).

    For automatic article fetches, which start on another host than the feed's. A name
    that cannot be resolved in `timeout` seconds counts as public: the strict side.
    """
    try:
        parts = urlsplit(origin)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return False
    if is_local_name(host):
        return classify("127.0.0.1")
    literal = literal_address(host)
    if literal is not None:
        return classify(literal)
    if proxy_in_use() or not host:
        return False  # the proxy resolves names: count it as public, the strict side
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port or 443, proto=6)
    except (OSError, TimeoutError, UnicodeError):
        return False
    addresses = [str(info[4][0]) for info in infos]
    return bool(addresses) and all(classify(ip) for ip in addresses)


@dataclass
class AddressGuard:
    """The rule for one fetch (all its redirects). `origin_local` None = not known yet:
    the first address connected to decides it."""

    classify: AddressClassifier = is_local_address
    origin_local: bool | None = None
    refused: str = ""  # the address that was refused, for the error message

    def allows(self, ip: str) -> bool:
        """Called with each address about to be connected to (or found connected)."""
        local = self.classify(ip)
        if self.origin_local is None:
            self.origin_local = local
            return True
        if local and not self.origin_local:
            self.refused = ip
            return False
        return True

    def allows_host(self, host: str) -> bool:
        """The check that can be made before any request: literal addresses and localhost."""
        if is_local_name(host):
            return self.allows("127.0.0.1")
        literal = literal_address(host)
        return True if literal is None else self.allows(literal)

    def reason(self) -> str:
        return (
            f"a public feed may not lead to a private or local address ({self.refused}); "
            "see README, Private addresses"
        )
