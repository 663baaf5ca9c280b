"""Issue 14 (12): a public feed may not redirect, nor have its article pages fetched
automatically, into loopback/private/link-local/unique-local addresses.

Tests have no network, only loopback. So the policy is tested twice:

* as a pure function (`is_local_address`, `AddressGuard`) on real public and private
  addresses;
* end to end through libcurl, with the Fetcher's `classify` seam declaring 127.0.0.1 to
  be "public" and the rest of 127.0.0.0/8 "private", and its `resolve` seam giving a
  name (`private.test`) the address 127.0.0.2 in libcurl's own DNS cache. That exercises
  the literal-address check on redirects, the socket-open callback for names, and the
  automatic full-text fetch, with the same code that runs for real addresses.

What is not covered: a real public DNS name and real LAN addresses (no network), a
connection reused from libcurl's cache (PRIMARY_IP check), and proxies.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tui_reader.feeds.addresses import AddressGuard, is_local_address
from tui_reader.feeds.fetch import Fetcher, FetchLimits
from tui_reader.feeds.fulltext import fetch_full_text

# --------------------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata, link-local
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fd00::1",  # unique-local
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:192.168.0.1",
        "not an address",
    ],
)
def test_local_addresses(ip: str) -> None:
    assert is_local_address(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses(ip: str) -> None:
    assert not is_local_address(ip)


def test_guard_rule() -> None:
    public = AddressGuard()
    assert public.allows("93.184.216.34")  # the first address decides: a public feed
    assert public.allows("1.1.1.1")
    assert not public.allows("192.168.1.1")
    assert "192.168.1.1" in public.reason()
    assert not public.allows_host("127.0.0.1")
    assert not public.allows_host("[::1]")
    assert not public.allows_host("localhost")
    assert not public.allows_host("printer.localhost.")
    assert public.allows_host("example.com")  # a name: judged when it is connected to

    private = AddressGuard()
    assert private.allows("192.168.1.5")  # a feed the user added on the LAN
    assert private.allows("127.0.0.1") and private.allows("10.1.2.3")
    assert private.allows("93.184.216.34")  # local -> public is not what the rule is about


# --------------------------------------------------------------------------- end to end


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        server.hits.append(self.path)
        if self.path.startswith("/go?"):
            self.send_response(301)
            self.send_header("Location", self.path[4:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><body><article><h1>Hi</h1><p>" + b"Text. " * 60 + b"</p></article>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.hits: list[str] = []
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[_Server, _Server]]:
    """A "public" server on 127.0.0.1 and a "private" one on 127.0.0.2."""
    try:
        private = _Server("127.0.0.2")
    except OSError as exc:  # not every system routes all of 127.0.0.0/8
        pytest.skip(f"cannot listen on 127.0.0.2 ({exc}); enable the loopback range")
    public = _Server("127.0.0.1")
    yield public, private
    for srv in (public, private):
        srv.shutdown()
        srv.server_close()


def _test_classify(ip: str) -> bool:
    """127.0.0.1 plays the public internet; the rest of 127/8 the user's LAN."""
    return ip != "127.0.0.1"


def _fetcher(private: _Server) -> Fetcher:
    limits = FetchLimits(deadline=10.0)
    return Fetcher(
        limits, classify=_test_classify, resolve=[f"private.test:{private.port}:127.0.0.2"]
    )


async def test_public_feed_may_not_redirect_to_a_private_literal(
    servers: tuple[_Server, _Server],
) -> None:
    public, private = servers
    private.hits.clear()
    target = f"http://127.0.0.2:{private.port}/feed"
    async with _fetcher(private) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{public.port}/go?{target}")
    assert result.status == "error"
    assert "private or local address (127.0.0.2)" in (result.error or "")
    assert result.permanent_url is None  # the subscription is not moved
    assert private.hits == []


async def test_public_feed_may_not_redirect_to_a_name_that_resolves_private(
    servers: tuple[_Server, _Server],
) -> None:
    public, private = servers
    private.hits.clear()
    target = f"http://private.test:{private.port}/feed"
    async with _fetcher(private) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{public.port}/go?{target}")
    assert result.status == "error"
    assert "127.0.0.2" in (result.error or "")  # refused at connect time, by address
    assert private.hits == []


async def test_private_feed_may_redirect_within_private_and_to_public(
    servers: tuple[_Server, _Server],
) -> None:
    public, private = servers
    async with _fetcher(private) as fetcher:
        to_private = f"http://private.test:{private.port}/feed"
        result = await fetcher.fetch(f"http://127.0.0.2:{private.port}/go?{to_private}")
        assert result.status == "ok", result.error
        assert result.permanent_url == to_private
        to_public = f"http://127.0.0.1:{public.port}/feed"
        result = await fetcher.fetch(f"http://private.test:{private.port}/go?{to_public}")
        assert result.status == "ok", result.error


async def test_with_the_real_rule_loopback_to_loopback_is_fine(
    servers: tuple[_Server, _Server],
) -> None:
    """The tests' own servers are the user's: the default rule lets them redirect."""
    public, private = servers
    target = f"http://127.0.0.2:{private.port}/feed"
    async with Fetcher(FetchLimits(deadline=10.0)) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{public.port}/go?{target}")
    assert result.status == "ok", result.error


async def test_automatic_full_text_of_a_public_feed_stays_public(
    servers: tuple[_Server, _Server],
) -> None:
    public, private = servers
    private.hits.clear()
    feed = f"http://127.0.0.1:{public.port}/feed"
    async with _fetcher(private) as fetcher:
        for link in (
            f"http://127.0.0.2:{private.port}/article",
            f"http://private.test:{private.port}/article",
            f"http://127.0.0.1:{public.port}/go?http://127.0.0.2:{private.port}/article",
        ):
            page = await fetch_full_text(fetcher, link, origin=feed)
            assert not page.ok and "private or local address" in page.error, link
        assert private.hits == []
        page = await fetch_full_text(fetcher, f"http://127.0.0.1:{public.port}/a", origin=feed)
        assert page.ok, page.error
        # A private feed's links may be private; without an origin (the user asked for
        # this page) the page is its own origin.
        private_feed = f"http://127.0.0.2:{private.port}/feed"
        link = f"http://private.test:{private.port}/article"
        assert (await fetch_full_text(fetcher, link, origin=private_feed)).ok
        assert (await fetch_full_text(fetcher, link)).ok


async def test_origin_classification() -> None:
    from tui_reader.feeds.addresses import origin_is_local

    assert await origin_is_local("http://127.0.0.1:8000/feed", is_local_address, 1.0)
    assert await origin_is_local("http://[::1]/feed", is_local_address, 1.0)
    assert await origin_is_local("http://localhost/feed", is_local_address, 1.0)
    assert not await origin_is_local("https://93.184.216.34/feed", is_local_address, 1.0)
    assert not await origin_is_local("https://[::1/", is_local_address, 1.0)
    # A name that does not resolve (no network here, or .invalid) counts as public.
    assert not await origin_is_local("https://feed.invalid/", is_local_address, 0.5)
