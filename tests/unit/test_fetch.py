"""Tests for `tui_reader.feeds.fetch`: every limit, against servers on 127.0.0.1 only.

Two servers are used:

* the project's corpus server (`tests/support/feedserver.py` over a tiny `feedcorpus.py`
  corpus, run as a subprocess) for the realistic parts: ETag/Last-Modified -> 304, gzip,
  latency and its 404/500/malformed/slow feeds;
* a small threaded `http.server` in this file (`_TestServer`) for the hostile cases the
  bench server does not have: drips, gzip bombs, redirect chains, Retry-After, protocol
  garbage, concurrency counting.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.paths import FEEDCORPUS, FEEDSERVER
from tui_reader import __version__
from tui_reader.feeds.fetch import (
    ACCEPT_ENCODING,
    BROTLI_AVAILABLE,
    DEFAULT_USER_AGENT,
    MAX_RETRY_AFTER,
    Fetcher,
    FetchLimits,
    FetchResult,
    parse_retry_after,
)

PAYLOAD = b"<rss><channel><title>payload</title></channel></rss>\n" * 200
MIB = 1024 * 1024
ZEROS = bytes(MIB)  # allocated once, before any tracemalloc measurement


# --------------------------------------------------------------------------- test server

Route = Callable[["_Handler", dict[str, str]], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TestServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        route = self.server.routes.get(parts.path)
        with self.server.lock:
            self.server.requests += 1
        try:
            if route is None:
                self.reply(404, b"no such route\n")
            else:
                route(self, query)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up: expected in limit tests

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


class _TestServer(ThreadingHTTPServer):
    daemon_threads = True  # drip handlers may outlive a test; never wait for them

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.peak_by_host: dict[str, int] = {}
        self.peak_total = 0
        self.requests = 0

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # Concurrency is counted in /sleep only: handlers of earlier tests (drips) may still run.
    def enter(self, host: str) -> None:
        with self.lock:
            self.active[host] = self.active.get(host, 0) + 1
            self.peak_by_host[host] = max(self.peak_by_host.get(host, 0), self.active[host])
            self.peak_total = max(self.peak_total, sum(self.active.values()))

    def leave(self, host: str) -> None:
        with self.lock:
            self.active[host] -= 1

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response is what half of these tests do


def _hello(h: _Handler, q: dict[str, str]) -> None:
    h.reply(200, b"hello", {"Content-Type": "text/plain", "ETag": '"v1"'})


def _echo_headers(h: _Handler, q: dict[str, str]) -> None:
    h.reply(200, json.dumps(dict(h.headers.items())).encode(), {"Content-Type": "text/json"})


def _hop(h: _Handler, q: dict[str, str]) -> None:
    """/hop?codes=301,308 answers 301 -> /hop?codes=308 -> 308 -> /hop -> 200."""
    codes = [c for c in q.get("codes", "").split(",") if c]
    delay = float(q.get("delay", "0"))
    time.sleep(delay)
    if not codes:
        final = int(q.get("final", "200"))
        h.reply(final, b"arrived", {"Content-Type": "text/plain"})
        return
    rest = ",".join(codes[1:])
    location = f"/hop?codes={rest}&delay={delay}&final={q.get('final', '200')}"
    h.reply(int(codes[0]), b"", {"Location": location})


def _to(h: _Handler, q: dict[str, str]) -> None:
    headers = {"Location": q["loc"]} if "loc" in q else {}
    h.reply(int(q.get("code", "302")), b"", headers)


def _loop(h: _Handler, q: dict[str, str]) -> None:
    h.reply(302, b"", {"Location": "/loop"})


def _drip(h: _Handler, q: dict[str, str]) -> None:
    """A valid response whose body arrives one byte per `interval` seconds."""
    interval = float(q["interval"])
    h.send_response(200)
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.flush()
    for _ in range(100):
        time.sleep(interval)
        h.wfile.write(b"x")
        h.wfile.flush()


def _sleep(h: _Handler, q: dict[str, str]) -> None:
    host = (h.headers.get("Host") or "").rsplit(":", 1)[0]
    h.server.enter(host)
    try:
        time.sleep(float(q.get("s", "0.3")))
    finally:
        h.server.leave(host)
    h.reply(200, b"slept")


def _big(h: _Handler, q: dict[str, str]) -> None:
    """`n` bytes, streamed chunked (no Content-Length to refuse up front)."""
    remaining = int(q["n"])
    h.start_chunked(200, {"Content-Type": "text/plain"})
    while remaining > 0:
        piece = ZEROS[: min(remaining, 64 * 1024)]
        h.chunk(piece)
        remaining -= len(piece)
    h.end_chunked()


def _declared_huge(h: _Handler, q: dict[str, str]) -> None:
    """Claims a gigabyte, sends a little, then stalls: the claim alone must be refused."""
    h.send_response(200)
    h.send_header("Content-Length", str(1024 * MIB))
    h.end_headers()
    h.wfile.write(b"x" * 1000)
    h.wfile.flush()
    time.sleep(3)


def _bomb(h: _Handler, q: dict[str, str]) -> None:
    """1 GiB of zeros, gzipped twice, compressed as it is sent (a few KB on the wire)."""
    h.start_chunked(200, {"Content-Type": "application/xml", "Content-Encoding": "gzip, gzip"})
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    outer = zlib.compressobj(9, zlib.DEFLATED, 31)
    for block in range(1024):
        data = outer.compress(inner.compress(ZEROS))
        # Flush every 256 MiB: the first few KB on the wire then hold 256 MiB of zeros, so a
        # decoder that inflates a whole network chunk at once (as httpx's does) blows the
        # memory assertion below, while a piece-bounded one stops after ~20 MB.
        if block % 256 == 255:
            data += outer.compress(inner.flush(zlib.Z_SYNC_FLUSH))
            data += outer.flush(zlib.Z_SYNC_FLUSH)
        h.chunk(data)
    h.chunk(outer.compress(inner.flush()) + outer.flush())
    h.end_chunked()


def _encoded(h: _Handler, q: dict[str, str]) -> None:
    kind = q["e"]
    if kind == "gzip":
        body, header = _gzip(PAYLOAD), "gzip"
    elif kind == "deflate":
        body, header = zlib.compress(PAYLOAD), "deflate"
    elif kind == "rawdeflate":
        packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body, header = packer.compress(PAYLOAD) + packer.flush(), "deflate"
    elif kind == "br":
        import brotli

        body, header = brotli.compress(PAYLOAD), "br"
    elif kind == "gzip-deflate":
        body, header = zlib.compress(_gzip(PAYLOAD)), "gzip, deflate"
    elif kind == "corrupt":
        body, header = b"\x1f\x8b\x08\x00garbage-not-gzip" * 10, "gzip"
    elif kind == "stacked":
        body = PAYLOAD
        for _ in range(4):
            body = _gzip(body)
        header = "gzip, gzip, gzip, gzip"
    else:
        body, header = PAYLOAD, kind  # an encoding we do not know, e.g. "compress"
    h.reply(200, body, {"Content-Encoding": header, "Content-Type": "application/rss+xml"})


def _status(h: _Handler, q: dict[str, str]) -> None:
    headers = {"Retry-After": q["ra"]} if "ra" in q else {}
    h.reply(int(q["code"]), b"go away", headers)


def _garbage(h: _Handler, q: dict[str, str]) -> None:
    h.wfile.write(b"HELLO THERE\r\n\r\n")
    h.close_connection = True


def _cut(h: _Handler, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b"x" * 10)
    h.close_connection = True


def _odd_validators(h: _Handler, q: dict[str, str]) -> None:
    h.reply(200, b"ok", {"ETag": '"caf\xe9"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


ROUTES: dict[str, Route] = {
    "/hello": _hello,
    "/headers": _echo_headers,
    "/hop": _hop,
    "/to": _to,
    "/loop": _loop,
    "/drip": _drip,
    "/sleep": _sleep,
    "/big": _big,
    "/declared-huge": _declared_huge,
    "/bomb": _bomb,
    "/enc": _encoded,
    "/status": _status,
    "/garbage": _garbage,
    "/cut": _cut,
    "/odd-validators": _odd_validators,
}


@pytest.fixture(scope="module")
def server() -> Iterator[_TestServer]:
    srv = _TestServer()
    srv.routes.update(ROUTES)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def _reset_counters(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        srv: _TestServer = request.getfixturevalue("server")
        with srv.lock:
            srv.peak_by_host.clear()
            srv.peak_total = 0


async def fetch(url: str, limits: FetchLimits | None = None, **kwargs: str) -> FetchResult:
    async with Fetcher(limits or FetchLimits()) as fetcher:
        return await fetcher.fetch(url, **kwargs)


# --------------------------------------------------------------------------- bench server


class _Bench:
    def __init__(self, base: str, root: Path, bad: dict[str, list[str]]) -> None:
        self.base = base
        self.root = root
        self.bad = bad
        manifest = json.loads((root / "manifest.json").read_text())
        bad_files = {name for names in bad.values() for name in names}
        self.good = [r["file"] for r in manifest["feeds"] if r["file"] not in bad_files]

    def url(self, file: str) -> str:
        return self.base + file


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Bench]:
    root = tmp_path_factory.mktemp("corpus")
    gen = [sys.executable, str(FEEDCORPUS), "gen", "--out", str(root)]
    gen += ["-n", "8", "-m", "3", "--seed", "1", "-q"]
    subprocess.run(
        gen,
        check=True,
        capture_output=True,
        timeout=60,
    )
    args = [sys.executable, str(FEEDSERVER), str(root), "--port", "0"]
    args += ["--gzip", "--latency-ms", "50", "--max-seconds", "300"]
    args += ["--bad-404", "1", "--bad-500", "1", "--bad-malformed", "1", "--bad-slow", "1"]
    args += ["--slow-seconds", "4"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base
        with urllib.request.urlopen(base + "_bad", timeout=10) as answer:  # loopback only
            bad = json.loads(answer.read())
        yield _Bench(base, root, bad)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_bench_conditional_get_gives_not_modified(bench: _Bench) -> None:
    url = bench.url(bench.good[0])
    first = await fetch(url)
    assert first.status == "ok", first.error
    # gzip (feedserver --gzip) was decoded: the body is the file as written.
    assert first.body == (bench.root / bench.good[0]).read_bytes()
    assert first.etag and first.last_modified
    assert first.content_type and "xml" in first.content_type
    assert first.final_url == url and first.permanent_url is None

    by_etag = await fetch(url, etag=first.etag)
    assert by_etag.status == "not_modified" and by_etag.body == b""
    assert by_etag.etag == first.etag and by_etag.http_status == 304

    by_date = await fetch(url, last_modified=first.last_modified)
    assert by_date.status == "not_modified"
    assert by_date.last_modified == first.last_modified

    stale = await fetch(url, etag='"something-else"')
    assert stale.status == "ok" and stale.etag == first.etag  # every ok carries validators


async def test_bench_bad_feeds(bench: _Bench) -> None:
    async with Fetcher(FetchLimits(deadline=1.0)) as fetcher:
        missing, broken, malformed = await asyncio.gather(
            fetcher.fetch(bench.url(bench.bad["404"][0])),
            fetcher.fetch(bench.url(bench.bad["500"][0])),
            fetcher.fetch(bench.url(bench.bad["malformed"][0])),
        )
        started = time.monotonic()
        slow = await fetcher.fetch(bench.url(bench.bad["slow"][0]))
        elapsed = time.monotonic() - started
    assert (missing.status, missing.error, missing.http_status) == (
        "error",
        "HTTP 404 Not Found",
        404,
    )
    assert (broken.status, broken.error) == ("error", "HTTP 500 Internal Server Error")
    # Judging markup is the parser's job: the fetcher delivers what it got.
    assert malformed.status == "ok" and b"<item><title>broken" in malformed.body
    assert (slow.status, slow.error) == ("error", "timed out after 1 s")
    assert elapsed < 2.0


async def test_bench_latency_counts_against_deadline_and_per_host_bound(bench: _Bench) -> None:
    # 50 ms of latency per request, deadline 20 ms: every fetch times out.
    late = await fetch(bench.url(bench.good[0]), FetchLimits(deadline=0.02))
    assert late.error == "timed out after 0.02 s"

    # Six fetches to one host with per_host=2 need at least three latency rounds.
    limits = FetchLimits(per_host=2, loopback_exempt=False)
    urls = [bench.url(name) for name in bench.good[:3]] * 2
    started = time.monotonic()
    async with Fetcher(limits) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert all(r.status == "ok" for r in results)
    assert time.monotonic() - started >= 3 * 0.05 * 0.9


# --------------------------------------------------------------------------- headers


async def test_user_agent_and_accept_headers(server: _TestServer) -> None:
    result = await fetch(server.url("/headers"))
    sent = {k.lower(): v for k, v in json.loads(result.body).items()}
    assert (
        sent["user-agent"]
        == DEFAULT_USER_AGENT
        == f"tui-reader/{__version__} (+terminal feed reader)"
    )
    assert "gzip" in sent["accept-encoding"] and "deflate" in sent["accept-encoding"]
    assert ("br" in sent["accept-encoding"]) == BROTLI_AVAILABLE
    assert sent["accept-encoding"] == ACCEPT_ENCODING
    assert "application/atom+xml" in sent["accept"]
    assert "if-none-match" not in sent

    async with Fetcher() as fetcher:
        page = await fetcher.fetch_page(server.url("/headers"))
    assert json.loads(page.body)["Accept"].startswith("text/html")


async def test_conditional_headers_sent_and_unsafe_validators_dropped(
    server: _TestServer,
) -> None:
    sent = json.loads(
        (await fetch(server.url("/headers"), etag='"abc"', last_modified="Tue, 02 Jan 2024")).body
    )
    assert sent["If-None-Match"] == '"abc"' and sent["If-Modified-Since"] == "Tue, 02 Jan 2024"
    # A validator with a line break (header injection) or non-ASCII is not sent at all.
    sent = json.loads((await fetch(server.url("/headers"), etag='"a"\r\nX-Evil: 1')).body)
    assert "If-None-Match" not in sent and "X-Evil" not in sent
    # And one the server sends that could not be echoed byte for byte is not returned.
    odd = await fetch(server.url("/odd-validators"))
    assert odd.status == "ok" and odd.etag is None
    assert odd.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"


async def test_304_without_conditional_request_is_an_error(server: _TestServer) -> None:
    result = await fetch(server.url("/status?code=304"))
    assert (result.status, result.error) == ("error", "HTTP 304 Not Modified")


def test_user_agent_must_be_header_safe() -> None:
    with pytest.raises(ValueError):
        Fetcher(user_agent="tui-reader\r\nX-Evil: 1")


async def test_fetch_outside_context_manager_is_an_error_result() -> None:
    result = await Fetcher().fetch("http://127.0.0.1:8080/")
    assert result.status == "error" and result.error == "the fetcher is not open"


# --------------------------------------------------------------------------- redirects


async def test_permanent_chain_sets_permanent_url(server: _TestServer) -> None:
    result = await fetch(server.url("/hop?codes=301,308"))
    assert result.status == "ok" and result.body == b"arrived"
    assert result.final_url == server.url("/hop?codes=&delay=0.0&final=200")
    assert result.permanent_url == result.final_url


@pytest.mark.parametrize("codes", ["301,302", "307", "308,303", "302,301"])
async def test_any_temporary_hop_means_no_permanent_url(server: _TestServer, codes: str) -> None:
    result = await fetch(server.url(f"/hop?codes={codes}"))
    assert result.status == "ok" and result.body == b"arrived"
    assert result.permanent_url is None
    assert result.final_url.startswith(server.url("/hop?codes=&"))


async def test_permanent_chain_to_an_error_does_not_move_the_feed(server: _TestServer) -> None:
    result = await fetch(server.url("/hop?codes=301&final=404"))
    assert (result.status, result.error, result.permanent_url) == (
        "error",
        "HTTP 404 Not Found",
        None,
    )


async def test_redirect_hop_limit(server: _TestServer) -> None:
    five = await fetch(server.url("/hop?codes=301,302,307,308,303"))
    assert five.status == "ok"
    six = await fetch(server.url("/hop?codes=301,302,307,308,303,301"))
    assert (six.status, six.error) == ("error", "too many redirects (more than 5)")
    loop = await fetch(server.url("/loop"))
    assert loop.error == "too many redirects (more than 5)"
    fewer = await fetch(server.url("/hop?codes=301,301"), FetchLimits(max_redirects=1))
    assert fewer.error == "too many redirects (more than 1)"


@pytest.mark.parametrize(
    "location",
    [
        "ftp://user:hunter2@127.0.0.1/feed.xml",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1/",
    ],
)
async def test_redirect_to_non_http_is_refused(server: _TestServer, location: str) -> None:
    from urllib.parse import quote

    before = server.requests
    result = await fetch(server.url(f"/to?code=301&loc={quote(location)}"))
    assert result.status == "error" and result.error is not None
    assert result.error.startswith("redirect to a non-http address refused")
    assert "hunter2" not in result.error  # passwords hidden, as check_url().shown does
    assert result.permanent_url is None
    assert server.requests == before + 1  # the refused hop was never requested


async def test_redirect_edge_cases(server: _TestServer) -> None:
    relative = await fetch(server.url("/to?code=302&loc=hello"))
    assert relative.status == "ok" and relative.final_url == server.url("/hello")
    missing = await fetch(server.url("/to?code=301"))
    assert missing.error == "HTTP 301 Moved Permanently without a Location"
    invalid = await fetch(server.url("/to?code=302&loc=http://exa%20mple.com/"))
    assert invalid.error is not None
    assert invalid.error.startswith("redirect to an invalid address refused")


# --------------------------------------------------------------------------- deadline


@pytest.mark.parametrize("interval", [0.2, 2.0])
async def test_total_deadline_stops_a_drip(server: _TestServer, interval: float) -> None:
    # 0.2 s per byte never trips a per-read timeout; only a total deadline stops it.
    started = time.monotonic()
    result = await fetch(server.url(f"/drip?interval={interval}"), FetchLimits(deadline=1.5))
    elapsed = time.monotonic() - started
    assert (result.status, result.error) == ("error", "timed out after 1.5 s")
    assert 1.4 < elapsed < 2.5


async def test_deadline_covers_the_whole_redirect_chain(server: _TestServer) -> None:
    # Each hop takes 0.4 s: no single request is slow, the chain as a whole is.
    started = time.monotonic()
    result = await fetch(
        server.url("/hop?codes=302,302,302,302,302&delay=0.4"), FetchLimits(deadline=1.5)
    )
    assert result.error == "timed out after 1.5 s"
    assert time.monotonic() - started < 2.5


async def test_queueing_for_a_slot_is_not_charged_to_the_deadline(server: _TestServer) -> None:
    # per_host=1: the second fetch waits ~1 s for the first, then needs ~1 s itself.
    limits = FetchLimits(deadline=1.5, per_host=1, loopback_exempt=False)
    async with Fetcher(limits) as fetcher:
        results = await asyncio.gather(
            fetcher.fetch(server.url("/sleep?s=1.0")), fetcher.fetch(server.url("/sleep?s=1.0"))
        )
    assert [r.status for r in results] == ["ok", "ok"]


async def test_cancellation_propagates(server: _TestServer) -> None:
    async with Fetcher() as fetcher:
        task = asyncio.create_task(fetcher.fetch(server.url("/drip?interval=0.2")))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


# --------------------------------------------------------------------------- body size


async def test_double_gzip_bomb_stops_at_the_decoded_cap(server: _TestServer) -> None:
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = await fetch(server.url("/bomb"))  # default limits: 20 MB decoded
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.status, result.error) == ("error", "response larger than 20 MB")
    assert result.body == b""
    # A gigabyte would be 1024 MiB; decoding is bounded piece by piece.
    assert peak < 64 * MIB, f"peak {peak / MIB:.0f} MiB"
    print(f"bomb: peak traced memory {peak / MIB:.1f} MiB, {elapsed:.2f} s")
    assert elapsed < 10


async def test_decoded_cap_on_plain_bodies(server: _TestServer) -> None:
    limits = FetchLimits(max_body_bytes=MIB)
    exact = await fetch(server.url(f"/big?n={MIB}"), limits)
    assert exact.status == "ok" and len(exact.body) == MIB
    over = await fetch(server.url(f"/big?n={MIB + 1}"), limits)
    assert (over.status, over.error) == ("error", "response larger than 1 MB")
    small = await fetch(server.url("/big?n=5000"), FetchLimits(max_body_bytes=4096))
    assert small.error == "response larger than 4 KB"


async def test_declared_length_over_the_cap_is_refused_without_reading(
    server: _TestServer,
) -> None:
    started = time.monotonic()
    result = await fetch(server.url("/declared-huge"))
    assert result.error == "response larger than 20 MB"
    assert time.monotonic() - started < 1.0  # the server stalls for 3 s after 1000 bytes


@pytest.mark.parametrize("kind", ["gzip", "deflate", "rawdeflate", "gzip-deflate", "br"])
async def test_content_encodings_are_decoded(server: _TestServer, kind: str) -> None:
    if kind == "br" and not BROTLI_AVAILABLE:
        pytest.skip("brotli >= 1.2 not installed")
    result = await fetch(server.url(f"/enc?e={kind}"))
    assert result.status == "ok", result.error
    assert result.body == PAYLOAD


async def test_compression_cap_applies_to_decoded_size(server: _TestServer) -> None:
    # PAYLOAD is ~11 KB decoded but a few hundred bytes gzipped.
    result = await fetch(server.url("/enc?e=gzip"), FetchLimits(max_body_bytes=4096))
    assert result.error == "response larger than 4 KB"


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("compress", "the response uses an unsupported compression ('compress')"),
        ("corrupt", "the response's gzip compression is corrupt"),
        ("stacked", "the response is compressed 4 times over; refused"),
    ],
)
async def test_bad_encodings_are_errors(server: _TestServer, kind: str, error: str) -> None:
    result = await fetch(server.url(f"/enc?e={kind}"))
    assert (result.status, result.error) == ("error", error)


# --------------------------------------------------------------------------- Retry-After


async def test_429_with_delta_retry_after(server: _TestServer) -> None:
    result = await fetch(server.url("/status?code=429&ra=120"))
    assert result.status == "error" and result.http_status == 429
    assert result.retry_after == 120
    assert result.error == "HTTP 429 Too Many Requests"  # callers word the wait themselves


async def test_503_with_http_date_retry_after(server: _TestServer) -> None:
    when = email.utils.formatdate(time.time() + 600, usegmt=True)
    result = await fetch(server.url(f"/status?code=503&ra={when}"))
    assert result.http_status == 503 and result.retry_after is not None
    assert 590 <= result.retry_after <= 601


async def test_retry_after_absent_or_garbage(server: _TestServer) -> None:
    plain = await fetch(server.url("/status?code=503"))
    assert (plain.error, plain.retry_after) == ("HTTP 503 Service Unavailable", None)
    junk = await fetch(server.url("/status?code=429&ra=soon"))
    assert junk.retry_after is None
    # Retry-After on other statuses is not ours to honour.
    other = await fetch(server.url("/status?code=500&ra=60"))
    assert other.retry_after is None


def test_parse_retry_after() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("0", now) == 0
    assert parse_retry_after(" 30 ", now) == 30
    assert parse_retry_after("9" * 5000, now) == MAX_RETRY_AFTER  # clamped, and cheap
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now) == 90
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now) == 0
    assert parse_retry_after("-5", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("tomorrow-ish", now) is None


# --------------------------------------------------------------------------- URL policy


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "file:///etc/passwd", "javascript:alert(1)", "", "/relative/feed"],
)
async def test_non_http_urls_are_refused_without_a_request(server: _TestServer, url: str) -> None:
    before = server.requests
    result = await fetch(url)
    assert result.status == "error" and result.error is not None
    assert result.error.startswith("address refused: ")
    assert result.url == url
    assert server.requests == before


async def test_blocked_ports_are_refused_on_every_hop(server: _TestServer) -> None:
    before = server.requests
    direct = await fetch("http://127.0.0.1:25/feed")
    assert direct.error == (
        "address refused: port 25 belongs to another kind of service, not to web feeds"
    )
    assert server.requests == before
    hop = await fetch(server.url("/to?code=301&loc=http://127.0.0.1:22/"))
    assert hop.error == (
        "redirect refused: port 22 belongs to another kind of service, not to web feeds"
    )
    assert server.requests == before + 1


async def test_passwords_never_appear_in_errors(server: _TestServer) -> None:
    result = await fetch(
        f"http://alice:s3cret@127.0.0.1:{server.port}/to?code=302&loc=ftp://bob:hunter2@x/"
    )
    assert result.error is not None
    assert "s3cret" not in result.error and "hunter2" not in result.error
    assert "ftp://***@x/" in result.error  # text.hide_userinfo hides userinfo whole


# --------------------------------------------------------------------------- network errors


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_network_failures_become_plain_errors(server: _TestServer) -> None:
    port = _closed_port()
    cases = {
        f"http://127.0.0.1:{port}/": "connection refused",
        "http://no-such-host.invalid/": "host not found (no-such-host.invalid)",
        # TLS spoken to a plain-HTTP server: the handshake fails.
        f"https://127.0.0.1:{server.port}/hello": "TLS error",
        server.url("/garbage"): "the server broke the HTTP protocol",
        server.url("/cut"): "the server broke the HTTP protocol",
    }
    async with Fetcher(FetchLimits(deadline=5)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(url) for url in cases))
    for (url, expected), result in zip(cases.items(), results, strict=True):
        assert result.status == "error", url
        assert result.error is not None and result.error.startswith(expected), (url, result)
        assert "Traceback" not in result.error and "\n" not in result.error


# --------------------------------------------------------------------------- concurrency


async def test_per_host_bound(server: _TestServer) -> None:
    async with Fetcher(
        FetchLimits(per_host=2, global_concurrency=16, loopback_exempt=False)
    ) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(server.url("/sleep?s=0.2")) for _ in range(6))
        )
    assert all(r.status == "ok" for r in results)
    assert server.peak_by_host["127.0.0.1"] == 2


async def test_global_bound_across_hosts(server: _TestServer) -> None:
    hosts = ["127.0.0.1", "localhost"] * 4
    async with Fetcher(
        FetchLimits(per_host=4, global_concurrency=2, loopback_exempt=False)
    ) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(server.url("/sleep?s=0.2", host)) for host in hosts)
        )
    assert all(r.status == "ok" for r in results)
    assert server.peak_total == 2


async def test_a_slow_host_does_not_hold_up_other_hosts(server: _TestServer) -> None:
    # Two slow feeds on one host with per_host=1 and only two global slots. The one that
    # waits for its host must not sit on the second global slot meanwhile, or the feed on
    # another host would wait 0.8 s for nothing (no static split of feeds across workers).
    async with Fetcher(
        FetchLimits(per_host=1, global_concurrency=2, loopback_exempt=False)
    ) as fetcher:
        slow = [asyncio.create_task(fetcher.fetch(server.url("/sleep?s=0.8"))) for _ in range(2)]
        await asyncio.sleep(0.1)
        started = time.monotonic()
        fast = await fetcher.fetch(server.url("/hello", "localhost"))
        fast_elapsed = time.monotonic() - started
        assert [r.status for r in await asyncio.gather(*slow)] == ["ok", "ok"]
    assert fast.status == "ok" and fast.body == b"hello"
    assert fast_elapsed < 0.5


async def test_loopback_is_exempt_from_the_per_host_bound(server: _TestServer) -> None:
    """127.0.0.1 is the user's own machine: only the global limit applies to it."""
    async with Fetcher(FetchLimits(per_host=1, global_concurrency=4)) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(server.url("/sleep?s=0.3")) for _ in range(6))
        )
    assert all(r.status == "ok" for r in results)
    assert server.peak_by_host["127.0.0.1"] == 4  # the global limit, not per_host=1


# --------------------------------------------------------------------------- TLS


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[_TestServer, Path]]:
    """The test server behind TLS, with a self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    srv = _TestServer()
    srv.routes.update(ROUTES)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield srv, cert
    srv.shutdown()
    srv.server_close()


async def test_tls_certificates_are_verified(
    tls_server: tuple[_TestServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, cert = tls_server
    url = f"https://127.0.0.1:{srv.port}/hello"
    # A certificate no trusted authority signed is refused, in plain words.
    refused = await fetch(url, FetchLimits(deadline=5))
    assert refused.status == "error" and refused.error is not None
    assert refused.error.startswith("TLS certificate not accepted"), refused.error
    # Trusting it explicitly ($SSL_CERT_FILE, as behind an intercepting proxy) works.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    trusted = await fetch(url, FetchLimits(deadline=5))
    assert (trusted.status, trusted.body) == ("ok", b"hello"), trusted.error


# --------------------------------------------------------------------------- admission


async def test_admission_slot_is_kept_for_a_body_and_released_otherwise(
    server: _TestServer,
) -> None:
    admission = asyncio.Semaphore(1)
    async with Fetcher() as fetcher:
        ok = await fetcher.fetch(server.url("/hello"), admission=admission)
        assert ok.status == "ok" and ok.admitted
        assert admission.locked()  # the caller holds it until the body is dealt with
        admission.release()
        missing = await fetcher.fetch(server.url("/nowhere"), admission=admission)
        refused = await fetcher.fetch("ftp://127.0.0.1/x", admission=admission)
        assert (missing.http_status, missing.admitted) == (404, False)
        assert (refused.status, refused.admitted) == ("error", False)
        assert not admission.locked()  # errors gave their slot back


async def test_a_full_admission_holds_new_fetches_back_and_cancelling_frees_it(
    server: _TestServer,
) -> None:
    admission = asyncio.Semaphore(1)
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(server.url("/hello"), admission=admission)
        assert first.admitted
        waiting = asyncio.create_task(fetcher.fetch(server.url("/hello"), admission=admission))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # no room for another body until the first is dealt with
        admission.release()
        second = await asyncio.wait_for(waiting, 5)
        assert second.status == "ok" and second.admitted
        admission.release()
        slow = asyncio.create_task(
            fetcher.fetch(server.url("/drip?interval=0.2"), admission=admission)
        )
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert not admission.locked()
