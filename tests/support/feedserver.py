#!/usr/bin/env python3
"""Serve a feed corpus on a loopback port, as a real feed host would (standard library only).

* Conditional GET: every file has an ETag (size and mtime) and a Last-Modified (its mtime,
  which feedcorpus sets to the newest item's date); `If-None-Match` / `If-Modified-Since`
  that still match get `304 Not Modified`.
* `--gzip`: gzip bodies for clients that accept it (compressed once per file version).
* `--latency-ms`: every answer waits that long first.
* Bad feeds, chosen by `--bad-seed` among the corpus' `feeds/` files, one kind each:
  `--bad-404 N`, `--bad-500 N`, `--bad-malformed N` (an XML feed cut short, with a broken
  tag at the end) and `--bad-slow N` (answers after `--slow-seconds`).
* Byte ranges (podcast downloads): `Range: bytes=N-` (or `N-M`) gets `206 Partial
  Content`, unless `If-Range` names another version; the same file under `/_norange/`
  ignores Range and answers 200 with the whole file, as some hosts do. Every Range header
  received is listed in `/_stats` (`ranges`: "path bytes=N-").
* `/_stats`: request counters as JSON (`requests`, `bytes_sent`, `by_status`, `ranges`);
  `/_bad`: which files are bad, by kind. The counters are printed on stderr at exit.
* Feeds behind a login, with `--auth-user` and `--auth-password`: `/_auth/basic/<file>`
  wants HTTP basic auth, `/_auth/digest/<file>` digest (MD5, qop=auth), and with
  `--auth-token`, `/_auth/token/<file>` wants the header `X-Feed-Token: <token>`; without
  them, a 401 with its WWW-Authenticate challenge. `/_redirect?to=URL` answers 302 to
  URL (e.g. another loopback host or port). `/_seen`: what each request carried, as JSON
  (`path`, `authorization`, `x_headers`), to prove where credentials went.
* `--tls-cert FILE --tls-key FILE`: serve https instead (the base URL says so).
* The first line on stdout is the base URL (`--port 0` picks a free port; `--url-file`
  also writes it to a file). Binds loopback addresses only.
* Stops on SIGTERM or SIGINT, after `--max-seconds` (default 3600; 0 = never) or after
  `--max-requests` answers, so a forgotten server never lingers.

    python tests/support/feedserver.py /tmp/corpus --port 0
    python tests/support/feedserver.py /tmp/corpus --gzip --latency-ms 50 --bad-404 2
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email.utils
import gzip
import hashlib
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

BAD_KINDS = ("404", "500", "malformed", "slow")


class Counters:
    """Thread-safe request statistics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.bytes_sent = 0
        self.by_status: dict[str, int] = {}
        self.disconnects = 0
        self.ranges: list[str] = []

    def saw_range(self, path: str, value: str) -> None:
        with self._lock:
            self.ranges.append(f"{path} {value}")

    def count(self, status: int, sent: int) -> int:
        with self._lock:
            self.requests += 1
            self.bytes_sent += sent
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            return self.requests

    def dropped(self) -> None:
        with self._lock:
            self.disconnects += 1

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "bytes_sent": self.bytes_sent,
                "by_status": dict(sorted(self.by_status.items())),
                "client_disconnects": self.disconnects,
                "ranges": list(self.ranges),
            }


def choose_bad(root: Path, wanted: dict[str, int], seed: str) -> dict[str, list[str]]:
    """Disjoint, deterministic sets of bad feeds; only XML feeds are served malformed (a
    cut JSON document is just as broken, but "not well-formed" is what the tests expect)."""
    folder = root / "feeds"
    files = sorted(f"feeds/{p.name}" for p in folder.iterdir()) if folder.is_dir() else []
    files = [f for f in files if not f.endswith(".tmp")]
    if sum(wanted.values()) > len(files):
        raise SystemExit(f"{sum(wanted.values())} bad feeds asked for, the corpus has {len(files)}")
    order = files[:]
    random.Random(f"bad/{seed}").shuffle(order)
    chosen: dict[str, list[str]] = {kind: [] for kind in BAD_KINDS}
    xml_first = sorted(order, key=lambda f: not f.endswith(".xml"))  # stable: keeps the shuffle
    for name in xml_first:
        if len(chosen["malformed"]) >= wanted["malformed"]:
            break
        chosen["malformed"].append(name)
    rest = [f for f in order if f not in chosen["malformed"]]
    for kind in ("404", "500", "slow"):
        chosen[kind], rest = rest[: wanted[kind]], rest[wanted[kind] :]
    return {kind: sorted(names) for kind, names in chosen.items()}


def break_document(body: bytes) -> bytes:
    """Two thirds of the document and an unclosed, mis-nested item."""
    return body[: max(64, len(body) * 2 // 3)] + b"<item><title>broken & <b>open</title>\n"


def content_type(path: Path, body: bytes) -> str:
    if path.suffix == ".json":
        return "application/feed+json"
    if path.suffix == ".opml":
        return "text/x-opml; charset=utf-8"
    start = body[:512]
    if b"<feed" in start:
        return "application/atom+xml; charset=utf-8"
    if b"<rss" in start:
        return "application/rss+xml; charset=utf-8"
    if path.suffix in (".html", ".htm"):
        return "text/html; charset=utf-8"
    return "application/xml" if start.lstrip().startswith(b"<") else "text/plain; charset=utf-8"


def still_fresh(headers: Any, etag: str, mtime: int) -> bool:
    """True when the client's validators match (If-None-Match wins over the date)."""
    tags = headers.get("If-None-Match")
    if tags is not None:
        given = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in given or etag in given
    since = headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    return when is not None and mtime <= int(when.timestamp())


class CorpusServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # a cold refresh opens many connections at once

    def __init__(self, address: tuple[str, int], options: argparse.Namespace) -> None:
        self.root = Path(options.root).resolve()
        self.options = options
        self.counters = Counters()
        self.done = threading.Event()
        wanted = {kind: getattr(options, f"bad_{kind}") for kind in BAD_KINDS}
        self.bad = choose_bad(self.root, wanted, options.bad_seed)
        self.bad_kind = {f"/{name}": kind for kind, names in self.bad.items() for name in names}
        self._packed: dict[tuple[Path, int], bytes] = {}
        self._packed_lock = threading.Lock()
        self.seen: list[dict[str, Any]] = []  # what each request carried (/_seen)
        self.nonces: set[str] = set()  # digest nonces handed out
        super().__init__(address, FeedHandler)
        if options.tls_cert:
            import ssl  # only for --tls-cert

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(options.tls_cert, options.tls_key)
            self.socket = context.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Readers drop keep-alive connections all the time; that is no server error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.counters.dropped()
            return
        super().handle_error(request, client_address)

    def gzipped(self, path: Path, version: int, body: bytes) -> bytes:
        with self._packed_lock:
            packed = self._packed.get((path, version))
        if packed is None:
            packed = gzip.compress(body, compresslevel=6, mtime=0)
            with self._packed_lock:
                self._packed[(path, version)] = packed
        return packed


class FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real feed hosts
    server_version = "tui-reader-feedserver"
    sys_version = ""
    server: CorpusServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.options.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self.answer(head=False)

    def do_HEAD(self) -> None:
        self.answer(head=True)

    def send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # Counted before the body goes out: a client that has the whole answer must find
        # it counted (tests read the counters in-process right after a download).
        answered = self.server.counters.count(status, 0 if head else len(body))
        if body and not head:
            self.wfile.write(body)
        limit = self.server.options.max_requests
        if limit and answered >= limit:
            self.server.done.set()

    def answer(self, head: bool) -> None:
        server, options = self.server, self.server.options
        if options.latency_ms:
            time.sleep(options.latency_ms / 1000)
        path = unquote(urlsplit(self.path).path)
        plain = {"Content-Type": "text/plain; charset=utf-8"}
        if path in ("/_stats", "/_bad", "/_seen"):
            data: Any = server.counters.as_dict() if path == "/_stats" else server.bad
            if path == "/_seen":
                data = list(server.seen)
            self.send(200, json.dumps(data).encode(), {"Content-Type": "application/json"}, head)
            return
        server.seen.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "x_headers": {k: v for k, v in self.headers.items() if k.lower().startswith("x-")},
            }
        )
        if path == "/_redirect":
            target = parse_qs(urlsplit(self.path).query).get("to", [""])[0]
            self.send(302, b"", {"Location": target, **plain}, head)
            return
        if path.startswith("/_auth/"):
            kind, _, rest = path.removeprefix("/_auth/").partition("/")
            challenge = self.login_refused(kind)
            if challenge is not None:
                self.send(401, b"log in first\n", {**plain, **challenge}, head)
                return
            path = "/" + rest
        kind = server.bad_kind.get(path)
        if kind == "404":
            self.send(404, b"no such feed\n", plain, head)
            return
        if kind == "500":
            self.send(500, b"the server broke\n", plain, head)
            return
        if kind == "slow":
            until = time.monotonic() + options.slow_seconds
            while time.monotonic() < until and not server.done.is_set():
                time.sleep(0.05)  # in steps, so that stopping the server is not held up
        honour_range = not path.startswith("/_norange/")
        if not honour_range:
            path = path.removeprefix("/_norange")
        if path.endswith("/"):
            path += "index.html"
        file = (server.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(server.root) or not file.is_file():
            self.send(404, b"not found\n", plain, head)
            return
        info = file.stat()
        etag = f'"{info.st_size:x}-{info.st_mtime_ns:x}"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(int(info.st_mtime), usegmt=True),
            "Cache-Control": "max-age=0",
        }
        if kind != "malformed" and still_fresh(self.headers, etag, int(info.st_mtime)):
            self.send(304, b"", headers, head)
            return
        body = file.read_bytes()
        if kind == "malformed":
            body = break_document(body)
            headers["ETag"] = f'"broken-{len(body):x}"'
        headers["Content-Type"] = content_type(file, body)
        if options.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = server.gzipped(file, info.st_mtime_ns, body)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        wanted = self.headers.get("Range")
        if wanted:
            server.counters.saw_range(path, wanted)
        if_range = self.headers.get("If-Range")
        part = byte_range(wanted, len(body)) if wanted and honour_range else None
        if part is not None and (if_range is None or if_range == etag):
            start, end = part
            headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
            self.send(206, body[start : end + 1], headers, head)
            return
        self.send(200, body, headers, head)

    def login_refused(self, kind: str) -> dict[str, str] | None:
        """None if the request carries the login `kind` wants, else the challenge headers."""
        options = self.server.options
        user, password = options.auth_user or "", options.auth_password or ""
        given = self.headers.get("Authorization") or ""
        if kind == "basic":
            wanted = base64.b64encode(f"{user}:{password}".encode()).decode()
            if user and given == f"Basic {wanted}":
                return None
            return {"WWW-Authenticate": 'Basic realm="feeds"'}
        if kind == "digest":
            if user and self.digest_ok(given, user, password):
                return None
            nonce = secrets.token_hex(16)
            self.server.nonces.add(nonce)
            return {
                "WWW-Authenticate": (
                    f'Digest realm="feeds", qop="auth", nonce="{nonce}", algorithm=MD5'
                )
            }
        if kind == "token":
            token = options.auth_token
            if token and self.headers.get("X-Feed-Token") == token:
                return None
            return {"WWW-Authenticate": 'Bearer realm="feeds"'}
        return {"WWW-Authenticate": 'Basic realm="unknown"'}

    def digest_ok(self, given: str, user: str, password: str) -> bool:
        if not given.startswith("Digest "):
            return False
        fields = {
            key.lower(): (quoted if quoted is not None and value.startswith('"') else value)
            for key, value, quoted in (
                (m.group(1), m.group(2), m.group(3))
                for m in re.finditer(r'(\w+)=("([^"]*)"|[^,\s]*)', given[7:])
            )
        }
        if fields.get("username") != user or fields.get("nonce") not in self.server.nonces:
            return False

        def md5(text: str) -> str:
            return hashlib.md5(text.encode()).hexdigest()

        ha1 = md5(f"{user}:feeds:{password}")
        ha2 = md5(f"{self.command}:{fields.get('uri', '')}")
        parts = [fields.get(k, "") for k in ("nonce", "nc", "cnonce", "qop")]
        return fields.get("response") == md5(":".join([ha1, *parts, ha2]))


def byte_range(value: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=N-` or `bytes=N-M` range inside `size`."""
    unit, _, spec = value.strip().partition("=")
    first, dash, last = spec.partition("-")
    if unit != "bytes" or not dash or not first.isdigit() or (last and not last.isdigit()):
        return None
    start, end = int(first), min(int(last) if last else size - 1, size - 1)
    return (start, end) if start <= end else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("root", help="the directory to serve (a feedcorpus output)")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--url-file", help="also write the base URL into this file")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--gzip", action="store_true", help="gzip for clients that accept it")
    for kind in BAD_KINDS:
        parser.add_argument(f"--bad-{kind}", type=int, default=0, metavar="N")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--bad-seed", default="1")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="0 = never stop")
    parser.add_argument("--max-requests", type=int, default=0, help="0 = no limit")
    parser.add_argument("--auth-user", help="the user of the /_auth/ routes")
    parser.add_argument("--auth-password", help="the password of the /_auth/ routes")
    parser.add_argument("--auth-token", help="the X-Feed-Token of /_auth/token/")
    parser.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    options = parser.parse_args(argv)
    try:
        loopback = ipaddress.ip_address(options.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        parser.error("--host must be a loopback IP address (127.0.0.0/8 or ::1)")
    if not Path(options.root).is_dir():
        parser.error(f"{options.root} is not a directory")
    return options


@contextlib.contextmanager
def running(argv: list[str]) -> Iterator[tuple[str, CorpusServer]]:
    """Serve in this process (a thread) until the block ends: (base URL, server).
    `argv` as on the command line; `--port 0` is the usual choice."""
    options = parse_args(argv)
    server = CorpusServer((options.host, options.port), options)
    worker = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    worker.start()
    host, port = server.server_address[:2]
    scheme = "https" if options.tls_cert else "http"
    try:
        yield f"{scheme}://{host}:{port}/", server
    finally:
        server.done.set()
        server.shutdown()
        server.server_close()
        worker.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if ":" in options.host:
        CorpusServer.address_family = socket.AF_INET6
    server = CorpusServer((options.host, options.port), options)
    host, port = server.server_address[:2]
    scheme = "https" if options.tls_cert else "http"
    url = f"{scheme}://[{host}]:{port}/" if ":" in str(host) else f"{scheme}://{host}:{port}/"

    def stop(_signum: int, _frame: object) -> None:
        server.done.set()

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
    worker = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    worker.start()
    if options.url_file:
        target = Path(options.url_file)
        target.with_name(target.name + ".tmp").write_text(url + "\n")
        os.replace(target.with_name(target.name + ".tmp"), target)
    print(url, flush=True)
    bad = {kind: len(names) for kind, names in server.bad.items() if names}
    print(f"feedserver: {options.root} at {url}, pid {os.getpid()}, bad {bad}", file=sys.stderr)
    server.done.wait(options.max_seconds or None)
    server.shutdown()
    server.server_close()
    print(f"feedserver: stopped; {json.dumps(server.counters.as_dict())}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
